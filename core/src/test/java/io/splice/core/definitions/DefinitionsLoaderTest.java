package io.splice.core.definitions;

import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.api.Window;
import io.splice.testing.Joins;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DefinitionsLoaderTest {
    /** payments/v2 as in examples/joins.yaml, with an online store; the tests below edit its text. */
    static final String BASE = Joins.payments("v2")
            .part("card_txn", "transactions", "card_id", Joins.TXN_COUNT_1H, Joins.TXN_AMOUNT_24H.where("status = 'APPROVED'"))
            .external("risk_ext", Joins.RISK_SCORE)
            .online("payments_v2", "card_id")
            .yaml();

    static Definitions parse(String yaml) {
        return DefinitionsLoader.parse(yaml, "test.yaml", Topics.defaults());
    }

    static String hash(String yaml, String part) {
        return SemanticHasher.hashes(parse(yaml)).get("payments.v2").get(part);
    }

    @Test
    void validFileLoads() {
        Definitions d = parse(BASE);
        assertEquals("payments.v2", d.joins().get(0).id());
        assertEquals(3, d.joins().get(0).features().size());
        assertEquals(Duration.ofHours(24), d.joins().get(0).parts().get(0).longestWindow());
    }

    @Test
    void fiveMistakesGiveFiveLocatedProblems() {
        DefinitionsException e = assertThrows(DefinitionsException.class,
                () -> DefinitionsLoader.load(Path.of("src/test/resources/definitions/five-mistakes.yaml")));
        List<String> paths = e.problems().stream().map(Problem::path).toList();
        assertEquals(List.of(
                "joins[0].colour",
                "joins[0].parts[0].features[1].name",
                "joins[0].parts[0].features[2].type",
                "joins[0].parts[0].features[3].window",
                "joins[0].bootstrap_parts[0].topic"), paths, e.getMessage());
    }

    @Test
    void recordIdentifierMustBeAKey() {
        DefinitionsException e = assertThrows(DefinitionsException.class,
                () -> parse(BASE.replace("record_identifier: card_id", "record_identifier: merchant_id")));
        assertEquals("joins[0].online.record_identifier", e.problems().get(0).path());
        assertEquals(1, e.problems().size());
    }

    @Test
    void missingFieldsAndBadAggregationAreReported() {
        String yaml = BASE.replace("agg: count, window: 1h", "agg: median, window: 1h").replace("    version: v2\n", "");
        DefinitionsException e = assertThrows(DefinitionsException.class, () -> parse(yaml));
        List<String> paths = e.problems().stream().map(Problem::path).toList();
        assertTrue(paths.contains("joins[0].version"), paths.toString());
        assertTrue(paths.contains("joins[0].parts[0].features[0].agg"), paths.toString());
    }

    @Test
    void invalidYamlNamesTheLine() {
        DefinitionsException e = assertThrows(DefinitionsException.class, () -> parse("joins:\n  - name: [x\n"));
        assertTrue(e.problems().get(0).path().startsWith("line "), e.getMessage());
    }

    @Test
    void aKeyWrittenTwiceIsAnErrorNotASilentOverride() {
        // a second `parts:` would otherwise replace the first and drop card_txn without a word
        String yaml = """
                joins:
                  - name: payments
                    version: v2
                    row_ids: [request_id]
                    parts:
                      - name: card_txn
                        external: true
                        features: [{name: cnt, type: long}]
                    parts:
                      - name: risk_ext
                        external: true
                        features: [{name: risk, type: double}]
                """;
        DefinitionsException e = assertThrows(DefinitionsException.class, () -> DefinitionsLoader.parse(yaml, "dup.yaml", Topics.defaults()));
        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).path().startsWith("line 9"), e.getMessage());
        assertTrue(e.problems().get(0).message().contains("Duplicate field 'parts'"), e.getMessage());
    }

    @Test
    void hashSurvivesReformattingAndKeyOrder() {
        String reformatted = """
                joins:
                - version: v2
                  name: payments
                  keys:
                  - card_id
                  row_ids:
                  - request_id
                  bootstrap_from_log: true
                  parts:
                  - key: card_id
                    name: card_txn
                    features:
                    - where: "status = 'APPROVED'"
                      window: 24h
                      of: amount
                      agg: sum
                      type: double
                      name: txn_amount_24h
                    - {window: 60m, agg: count, type: long, name: txn_count_1h}
                    source: transactions
                  - name: risk_ext
                    external: true
                    features: [{name: risk_score, type: double}]
                """;
        assertEquals(hash(BASE, "card_txn"), hash(reformatted, "card_txn"));
        assertEquals(hash(BASE, "risk_ext"), hash(reformatted, "risk_ext"));
        assertEquals(16, hash(BASE, "card_txn").length());
    }

    @Test
    void hashChangesWithMeaning() {
        String base = hash(BASE, "card_txn");
        assertNotEquals(base, hash(BASE.replace("window: 24h", "window: 48h"), "card_txn"));
        assertNotEquals(base, hash(BASE.replace("'APPROVED'", "'DECLINED'"), "card_txn"));
        assertNotEquals(base, hash(BASE.replace("agg: sum", "agg: max"), "card_txn"));
        assertNotEquals(base, hash(BASE.replace("of: amount", "of: fee"), "card_txn"));
        assertNotEquals(base, hash(BASE.replace("source: transactions", "source: txns"), "card_txn"));
        assertNotEquals(base, hash(BASE.replace("type: double, agg: sum", "type: float, agg: sum"), "card_txn"));
        // other parts are untouched by a change in card_txn
        assertEquals(hash(BASE, "risk_ext"), hash(BASE.replace("window: 24h", "window: 48h"), "risk_ext"));
    }

    @Test
    void windowsParse() {
        assertEquals(Duration.ofMinutes(30), Window.parseOrNull("30m").duration());
        assertEquals(Duration.ofDays(7), Window.parseOrNull("7d").duration());
        assertNull(Window.parseOrNull("0h"));
        assertNull(Window.parseOrNull("1w"));
    }

    @Test
    void exampleFileIsValid() {
        Definitions d = DefinitionsLoader.load(Path.of("../examples/joins.yaml"));
        assertEquals(2, d.joins().size());
    }
}
