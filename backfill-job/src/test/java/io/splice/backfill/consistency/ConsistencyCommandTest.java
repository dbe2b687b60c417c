package io.splice.backfill.consistency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.splice.backfill.Cli;
import io.splice.backfill.TestSpark;
import io.splice.core.api.JoinDefinition;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import io.splice.testing.JoinYaml;
import io.splice.testing.Joins;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code splice consistency} over an offline table (served values: the latest revision's log-sourced features) and a
 * backfill output (computed values) with planted mismatches, counted exactly per day and feature.
 *
 * <p>Day 1 (a0..a9) and day 2 (b0..b9); served txn_count_1h = i, txn_amount_24h = 10 i + 1. Not compared: a9 (its
 * values came from a bootstrap table), a8 (stitched under a stale part hash), b9 (deleted), b7 (a stale backfill),
 * risk_score (external), day 3 (outside the range). Planted: a0..a2 count one more; b0..b3 amount 0.5% higher (within
 * a 1% tolerance); b4 amount null (a mismatch at any tolerance).
 */
class ConsistencyCommandTest {
    @TempDir
    static Path tmp;
    static Path joins;
    static Path offline;
    static Path backfill;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void data() throws Exception {
        SparkSession spark = TestSpark.session();
        joins = Files.writeString(tmp.resolve("joins.yaml"), JoinYaml.yaml(Joins.payments("v1")
                .part("card_txn", "transactions", "card_id", Joins.TXN_COUNT_1H, Joins.TXN_AMOUNT_24H)
                .external("risk_ext", Joins.RISK_SCORE)));
        JoinDefinition j = DefinitionsLoader.load(joins).join("payments", "v1").orElseThrow();
        Map<String, String> hashes = SemanticHasher.hashes(j);
        Map<String, String> current = Map.of("card_txn", hashes.get("card_txn"), "risk_ext", hashes.get("risk_ext"));
        Map<String, String> stale = Map.of("card_txn", "0000000000000000", "risk_ext", hashes.get("risk_ext"));
        Map<String, String> log = Map.of("txn_count_1h", "log", "txn_amount_24h", "log", "risk_score", "log");
        Map<String, String> fromBackfill = Map.of("txn_count_1h", "backfill", "txn_amount_24h", "backfill", "risk_score", "log");
        Map<String, String> boot = Map.of("txn_count_1h", "bootstrap:splice.bootstrap.t", "txn_amount_24h",
                "bootstrap:splice.bootstrap.t", "risk_score", "log");
        List<Row> off = new ArrayList<>();
        List<Row> bf = new ArrayList<>();
        long offset = 0;
        for (String day : List.of("2025-10-01", "2025-10-02", "2025-10-03")) {
            String p = day.endsWith("01") ? "a" : day.endsWith("02") ? "b" : "c";
            long ts = Instant.parse(day + "T12:00:00Z").toEpochMilli();
            for (int i = 0; i < 10; i++) {
                String row = p + i;
                long cnt = i;
                double amt = 10.0 * i + 1;
                // revision 1 took the backfill's (older) values; revision 2 the log's; the latest counts
                off.add(offline(row, ts, 99L, 99.0, fromBackfill, current, 1L, false, i % 3, offset++, day));
                Map<String, String> sources = row.equals("a9") ? boot : log;
                Map<String, String> stitchedUnder = row.equals("a8") ? stale : current;
                off.add(offline(row, ts, cnt, amt, sources, stitchedUnder, 2L, false, i % 3, offset++, day));
                if (row.equals("b9")) {
                    off.add(offline(row, ts, null, null, Map.of(), Map.of(), 2L, true, i % 3, offset++, day));
                }
                Long bCnt = p.equals("a") && i < 3 || p.equals("c") ? Long.valueOf(cnt + 1) : Long.valueOf(cnt);
                Double bAmt = p.equals("b") && i < 4 ? Double.valueOf(amt * 1.005) : row.equals("b4") ? null : Double.valueOf(amt);
                Map<String, String> bHashes = row.equals("b7") ? Map.of("card_txn", "0000000000000000")
                        : Map.of("card_txn", hashes.get("card_txn"));
                bf.add(RowFactory.create(row, new Timestamp(ts), "c" + i, bCnt, bAmt, null, "v1", bHashes, day));
            }
        }
        DataType map = DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType);
        StructType offSchema = new StructType().add("row_key", "string").add("ts", "timestamp").add("keys", map)
                .add("txn_count_1h", "long").add("txn_amount_24h", "double").add("risk_score", "double")
                .add("sources", map).add("feature_version", "string").add("part_hashes", map).add("revision", "long")
                .add("write_time", "timestamp").add("stitched_at", "timestamp").add("is_deleted", "boolean")
                .add("kafka_partition", "int").add("kafka_offset", "long").add("ds", "string");
        offline = tmp.resolve("features");
        spark.createDataFrame(off, offSchema).write().partitionBy("ds").parquet(offline.resolve("payments_v1").toString());
        StructType bfSchema = new StructType().add("row_key", "string").add("ts", "timestamp").add("card_id", "string")
                .add("txn_count_1h", "long").add("txn_amount_24h", "double").add("risk_score", "double")
                .add("feature_version", "string").add("part_hashes", map).add("ds", "string");
        backfill = tmp.resolve("backfill");
        spark.createDataFrame(bf, bfSchema).write().partitionBy("ds").parquet(backfill.resolve("payments_v1").toString());
    }

    static Row offline(String row, long ts, Long cnt, Double amt, Map<String, String> sources, Map<String, String> hashes,
                       Long revision, boolean deleted, int partition, long offset, String ds) {
        return RowFactory.create(row, new Timestamp(ts), deleted ? Map.of() : Map.of("card_id", "c"), cnt, amt, 0.5,
                sources, "v1", hashes, revision, new Timestamp(ts), new Timestamp(ts + 1000), deleted, partition, offset, ds);
    }

    static Cli run(String... extra) {
        return runOn(backfill, extra);
    }

    static Cli runOn(Path backfillOutput, String... extra) {
        List<String> args = new ArrayList<>(List.of("consistency", "--master", "local[2]", "--definitions", joins.toString(),
                "--join", "payments", "--version", "v1", "--start-date", "2025-10-01", "--end-date", "2025-10-02",
                "--offline", offline.toString(), "--backfill", backfillOutput.toString()));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    static Map<String, JsonNode> cells(JsonNode report) {
        Map<String, JsonNode> m = new HashMap<>();
        report.path("cells").forEach(c -> m.put(c.path("ds").asText() + " " + c.path("feature").asText(), c));
        return m;
    }

    @Test
    @DisplayName("planted mismatches are counted exactly per day and feature, with differences and examples")
    void plantedMismatchesCountedExactly() throws Exception {
        Path json = tmp.resolve("consistency.json");
        Cli r = run("--out", json.toString(), "--examples", "2");
        assertEquals(0, r.exit(), r.toString());
        JsonNode rep = JSON.readTree(Files.readString(json));
        Map<String, JsonNode> c = cells(rep);
        assertEquals(List.of("2025-10-01 txn_amount_24h", "2025-10-01 txn_count_1h", "2025-10-02 txn_amount_24h",
                "2025-10-02 txn_count_1h"), c.keySet().stream().sorted().toList(), "risk_score (external) and day 3 are not compared");
        JsonNode d1cnt = c.get("2025-10-01 txn_count_1h");
        assertEquals(8, d1cnt.path("compared").asLong());
        assertEquals(3, d1cnt.path("mismatched").asLong());
        assertEquals(0.375, d1cnt.path("mean_abs_diff").asDouble(), 1e-12);
        assertEquals(1.0, d1cnt.path("max_abs_diff").asDouble(), 1e-12);
        assertEquals(List.of("a0", "a1"), rows(d1cnt.path("examples")));
        assertEquals("0", d1cnt.path("examples").get(0).path("log").asText());
        assertEquals("1", d1cnt.path("examples").get(0).path("backfill").asText());
        assertEquals(0, c.get("2025-10-01 txn_amount_24h").path("mismatched").asLong());
        JsonNode d2amt = c.get("2025-10-02 txn_amount_24h");
        assertEquals(8, d2amt.path("compared").asLong());
        assertEquals(5, d2amt.path("mismatched").asLong(), "b0..b3 differ by 0.5% (default tolerance 1e-9), b4 is null");
        assertEquals(0.32 / 7, d2amt.path("mean_abs_diff").asDouble(), 1e-9, "over the 7 numeric pairs");
        assertEquals(0.155, d2amt.path("max_abs_diff").asDouble(), 1e-9);
        assertEquals(0, c.get("2025-10-02 txn_count_1h").path("mismatched").asLong());
        assertEquals(32, rep.path("compared").asLong());
        assertEquals(8, rep.path("mismatched").asLong());
        // the text report says the same
        assertTrue(r.out().matches("(?s).*2025-10-01 +txn_count_1h +8 +3 +37\\.50%.*"), r.out());
        assertTrue(r.out().contains("  a0: log 0, backfill 1"), r.out());
    }

    @Test
    @DisplayName("--tolerance: a 0.5% difference agrees within 1%, a null never does")
    void toleranceHonoured() throws Exception {
        Cli r = run("--tolerance", "0.01", "--json");
        assertEquals(0, r.exit(), r.toString());
        Map<String, JsonNode> c = cells(JSON.readTree(r.out()));
        assertEquals(1, c.get("2025-10-02 txn_amount_24h").path("mismatched").asLong());
        assertEquals(List.of("b4"), rows(c.get("2025-10-02 txn_amount_24h").path("examples")));
        assertTrue(c.get("2025-10-02 txn_amount_24h").path("examples").get(0).path("backfill").isNull());
        assertEquals(3, c.get("2025-10-01 txn_count_1h").path("mismatched").asLong(), "a count off by one is not within 1% of 1");
    }

    @Test
    @DisplayName("every problem of the arguments is listed at once")
    void problemsListedAtOnce() {
        Cli r = Cli.run("consistency", "--definitions", joins.toString(), "--join", "payments", "--version", "v1",
                "--tolerance", "2", "--offline", offline.toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("error: missing --start-date"), r.err());
        assertTrue(r.err().contains("error: missing --end-date"), r.err());
        assertTrue(r.err().contains("error: missing --backfill"), r.err());
        assertTrue(r.err().contains("error: --tolerance 2.0: a relative tolerance in [0, 1]"), r.err());
        Cli none = runOn(tmp.resolve("nowhere"));
        assertEquals(2, none.exit(), none.toString());
        assertTrue(none.err().contains("does not exist (run splice backfill --output"), none.err());
    }

    static List<String> rows(JsonNode examples) {
        List<String> out = new ArrayList<>();
        examples.forEach(e -> out.add(e.path("row_key").asText()));
        return out;
    }
}
