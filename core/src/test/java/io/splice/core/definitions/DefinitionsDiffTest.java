package io.splice.core.definitions;

import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.cli.DefinitionsCommand;
import io.splice.core.definitions.DefinitionsDiff.PartChange;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `splice definitions diff` and the rule `splice run` applies before a rolling restart (issue 14.3). */
class DefinitionsDiffTest {
    static String join(String version, String rowIds, String amtWindow) {
        return """
                  - name: payments
                    version: %s
                    row_ids: [%s]
                    keys: [card_id]
                    bootstrap_from_log: true
                    parts:
                      - name: card_txn
                        source: transactions
                        key: card_id
                        features:
                          - {name: cnt, type: long, agg: count, window: 1h}
                          - {name: amt, type: double, agg: sum, of: amount, window: %s}
                      - name: risk_ext
                        external: true
                        features:
                          - {name: risk, type: double}
                """.formatted(version, rowIds, amtWindow);
    }

    static Definitions defs(String... joins) {
        return DefinitionsLoader.parse("joins:\n" + String.join("", joins), "test.yaml", Topics.defaults());
    }

    @Test
    void addingAVersionIsSafeAndEveryPartOfItIsNew() {
        DefinitionsDiff d = DefinitionsDiff.between(defs(join("v1", "request_id", "24h")),
                defs(join("v1", "request_id", "24h"), join("v2", "request_id", "7d")));
        assertTrue(d.safe());
        assertEquals("unchanged", d.joins().get(0).status());
        assertEquals(Map.of("card_txn", PartChange.NEW, "risk_ext", PartChange.NEW), d.joins().get(1).parts());
        assertTrue(d.render().endsWith("rolling restart: safe (every existing join keeps its state and output)\n"), d.render());
    }

    @Test
    void aChangedWindowIsAChangedHashThatNeedsABackfill() {
        DefinitionsDiff d = DefinitionsDiff.between(defs(join("v1", "request_id", "24h")), defs(join("v1", "request_id", "12h")));
        assertTrue(d.safe());
        assertEquals(PartChange.CHANGED, d.joins().get(0).parts().get("card_txn"));
        assertEquals(PartChange.UNCHANGED, d.joins().get(0).parts().get("risk_ext"));
    }

    @Test
    void changingRowIdsOfARunningJoinIsUnsafeAndSaysWhatToDo() {
        DefinitionsDiff d = DefinitionsDiff.between(defs(join("v1", "request_id", "24h")),
                defs(join("v1", "request_id, session_id", "24h")));
        assertFalse(d.safe());
        assertEquals(1, d.problems().size());
        assertTrue(d.problems().get(0).startsWith("payments.v1: row_ids changed from [request_id] to [request_id, session_id]"),
                d.problems().get(0));
        assertTrue(d.problems().get(0).contains("new version"), d.problems().get(0));
    }

    @Test
    void removingAJoinLeavesTheOthersUntouched() {
        DefinitionsDiff d = DefinitionsDiff.between(defs(join("v1", "request_id", "24h"), join("v2", "request_id", "7d")),
                defs(join("v2", "request_id", "7d")));
        assertTrue(d.safe());
        assertTrue(d.joins().get(0).status().startsWith("removed"));
        assertEquals("unchanged", d.joins().get(1).status());
    }

    @Test
    void theCommandExitsThreeWhenUnsafe() throws Exception {
        Path dir = Files.createTempDirectory("diff");
        Path from = Files.writeString(dir.resolve("old.yaml"), "joins:\n" + join("v1", "request_id", "24h"));
        Path to = Files.writeString(dir.resolve("new.yaml"), "joins:\n" + join("v1", "session_id", "24h"));
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new DefinitionsCommand()).setOut(new PrintWriter(out));
        assertEquals(3, cli.execute("diff", "--from", from.toString(), "--to", to.toString()));
        assertTrue(out.toString().contains("UNSAFE: row_ids changed"), out.toString());
        assertEquals(0, cli.execute("diff", "--from", from.toString(), "--to", from.toString()));
    }
}
