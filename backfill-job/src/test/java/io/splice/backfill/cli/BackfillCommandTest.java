package io.splice.backfill.cli;

import io.splice.backfill.Cli;
import io.splice.backfill.TestData;
import io.splice.backfill.TestSpark;
import io.splice.backfill.compute.RowSample;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.splice.backfill.TestData.DAY;
import static io.splice.backfill.TestData.HOUR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code splice backfill} and {@code splice validate} end to end on local files. */
class BackfillCommandTest {
    @TempDir
    static Path tmp;
    static Path joins;
    static Path data;
    static SparkSession spark;
    static final LocalDate D1 = LocalDate.parse("2025-10-01");
    static final int ROWS_PER_DAY = 15;

    @BeforeAll
    static void data() {
        spark = TestSpark.session();
        joins = TestData.joins(tmp);
        data = tmp.resolve("data");
        Random rnd = new Random(7);
        String[] statuses = {"APPROVED", "DECLINED"};
        List<Map<String, Object>> events = new ArrayList<>();
        long from = TestData.ms(LocalDate.parse("2025-09-24"));
        long to = TestData.ms(LocalDate.parse("2025-10-05"));
        for (long t = from; t < to; t += HOUR) {
            // a few events an hour on a 15-minute grid, some exactly at midnight (a chunk edge)
            for (int i = 0; i < 2; i++) {
                long ts = t + rnd.nextInt(4) * 15 * 60_000L;
                events.add(TestData.event("c" + rnd.nextInt(4), "m" + rnd.nextInt(3), rnd.nextInt(200) * 0.5,
                        statuses[rnd.nextInt(2)], ts));
            }
        }
        TestData.writeByDay(data.resolve("transactions"), events);
        List<Map<String, Object>> rows = new ArrayList<>();
        int n = 0;
        for (int d = 0; d < 4; d++) {
            long day = TestData.ms(D1.plusDays(d));
            for (int i = 0; i < ROWS_PER_DAY; i++) {
                // the first row of each day at exactly midnight: its windows reach into the previous chunk
                long ts = i == 0 ? day : day + rnd.nextInt(24 * 4) * 15 * 60_000L;
                rows.add(TestData.row("r" + n++, "c" + rnd.nextInt(5), "m" + rnd.nextInt(3), ts));
            }
        }
        TestData.writeByDay(data.resolve("payments_rows"), rows);
    }

    static String[] args(Path out, String start, String end, String... extra) {
        List<String> a = new ArrayList<>(List.of("backfill", "--definitions", joins.toString(), "--join", "payments",
                "--version", "v2", "--start-date", start, "--end-date", end, "--input-root", data.toString(),
                "--output", out.toString()));
        a.addAll(Arrays.asList(extra));
        return a.toArray(String[]::new);
    }

    static Map<String, Row> output(Path out) {
        Dataset<Row> df = spark.read().parquet(out.resolve("payments_v2").toString());
        Map<String, Row> m = new HashMap<>();
        for (Row r : df.collectAsList()) {
            assertFalse(m.containsKey(r.getAs("row_key")), "duplicate row key " + r.getAs("row_key"));
            m.put(r.getAs("row_key"), r);
        }
        return m;
    }

    static Set<String> dataFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".parquet")).map(p -> dir.relativize(p).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    @DisplayName("--dry-run prints chunks, partitions found, estimates and output paths, and writes nothing")
    void dryRunWritesNothing() {
        Path out = tmp.resolve("dry");
        Cli r = Cli.run(args(out, "2025-10-01", "2025-10-04", "--chunk-size-days", "2", "--dry-run"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("chunk 1/2 2025-10-01..2025-10-02: compute"), r.out());
        assertTrue(r.out().contains("chunk 2/2 2025-10-03..2025-10-04: compute"), r.out());
        assertTrue(r.out().contains("2025-09-24..2025-10-04: 11 of 11 day partitions found, ~528 rows"), r.out());
        assertTrue(r.out().contains("left rows: " + data.resolve("payments_rows") + " [json] 2025-10-01..2025-10-04: 4 of 4 day partitions found, ~60 rows"), r.out());
        assertTrue(r.out().contains("external, never computed: risk_ext"), r.out());
        assertTrue(r.out().contains("Dry run: nothing written."), r.out());
        assertFalse(Files.exists(out), "a dry run creates no output");
    }

    @Test
    @DisplayName("missing input partitions are an error naming the days, unless --allow-missing")
    void missingPartitionsAreReported() {
        Path out = tmp.resolve("missing");
        Cli r = Cli.run(args(out, "2025-10-03", "2025-10-06"));
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("left rows (" + data.resolve("payments_rows") + ") is missing input partitions for 2025-10-05..2025-10-06"), r.err());
        assertTrue(r.err().contains("part card_txn (" + data.resolve("transactions") + ") is missing input partitions for 2025-10-05..2025-10-06"), r.err());
        assertFalse(Files.exists(out), "nothing written");
        Cli allowed = Cli.run(args(out, "2025-10-03", "2025-10-06", "--allow-missing", "--dry-run"));
        assertEquals(0, allowed.exit(), allowed.toString());
        assertTrue(allowed.out().contains("warning: left rows"), allowed.out());
    }

    @Test
    @DisplayName("Parquet inputs: detected by extension, rows estimated from footers, computed like JSON")
    void parquetInputs() {
        // Given the transactions as Parquet (as Spark writes them, partitioned by ds)
        Path parquet = tmp.resolve("parquet/transactions");
        spark.read().json(data.resolve("transactions").toString()).write().partitionBy("ds").parquet(parquet.toString());
        long oct1 = spark.read().parquet(parquet.toString()).where("ds >= '2025-09-24' and ds <= '2025-10-01'").count();
        Path out = tmp.resolve("parquet-out");
        String[] a = args(out, "2025-10-01", "2025-10-01", "--input", "transactions=" + parquet);
        // When planned, then run
        Cli dry = Cli.run(java.util.stream.Stream.concat(Arrays.stream(a), Stream.of("--dry-run")).toArray(String[]::new));
        Cli run = Cli.run(a);
        // Then
        assertEquals(0, dry.exit(), dry.toString());
        assertTrue(dry.out().contains(parquet + " [parquet] 2025-09-24..2025-10-01: 8 of 8 day partitions found, ~" + String.format("%,d", oct1) + " rows"), dry.out());
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().contains("chunk 1/1 2025-10-01: 15 rows in"), run.out());
        assertEquals(15, output(out).size());
    }

    @Test
    @DisplayName("bad arguments exit 2 with a message and touch nothing")
    void badArgumentsExit2() {
        Path out = tmp.resolve("bad");
        Cli unknown = Cli.run("backfill", "--definitions", joins.toString(), "--join", "payments", "--version", "v9",
                "--start-date", "2025-10-01", "--end-date", "2025-10-01", "--output", out.toString());
        assertEquals(2, unknown.exit(), unknown.toString());
        assertTrue(unknown.err().contains("defines no join payments version v9; it defines payments.v2"), unknown.err());
        Cli publish = Cli.run(args(out, "2025-10-01", "2025-10-01", "--publish"));
        assertEquals(2, publish.exit(), publish.toString());
        assertTrue(publish.err().contains("--publish needs --bootstrap-servers and --schema-registry"), publish.err());
        Cli backwards = Cli.run(args(out, "2025-10-02", "2025-10-01"));
        assertEquals(2, backwards.exit(), backwards.toString());
        assertTrue(backwards.err().contains("--end-date 2025-10-01 is before --start-date 2025-10-02"), backwards.err());
        // every problem at once, not just the first
        Cli many = Cli.run(args(out, "2025-10-02", "2025-10-01", "--chunk-size-days", "0", "--publish", "--engine", "fast"));
        assertEquals(2, many.exit(), many.toString());
        assertEquals(List.of("error: --end-date 2025-10-01 is before --start-date 2025-10-02",
                "error: --chunk-size-days must be at least 1",
                "error: --publish needs --bootstrap-servers and --schema-registry (or bootstrap.servers in --config)",
                "error: unknown --engine 'fast' (expected sweep or range)"), many.err().lines().toList());
        assertFalse(Files.exists(out));
    }

    @Test
    @DisplayName("chunks of 1 day with the sweep equal one 4-day chunk with the RANGE reference, row for row")
    void chunkEdgesChangeNothingAndMatchReference() throws IOException {
        // Given the same inputs
        Path daily = tmp.resolve("daily");
        Path whole = tmp.resolve("whole");
        // When computed in 4 one-day chunks (sweep) and in one chunk (RANGE reference)
        Cli a = Cli.run(args(daily, "2025-10-01", "2025-10-04", "--chunk-size-days", "1"));
        Cli b = Cli.run(args(whole, "2025-10-01", "2025-10-04", "--chunk-size-days", "4", "--engine", "range"));
        // Then
        assertEquals(0, a.exit(), a.toString());
        assertEquals(0, b.exit(), b.toString());
        assertTrue(a.out().contains("chunk 4/4 2025-10-04: 15 rows in "), a.out());
        assertTrue(a.out().matches("(?s).*chunk 2/4 2025-10-02: 15 rows in [0-9.]+ s \\([0-9,]+ rows/s\\) \\| elapsed [0-9.]+ s \\| ETA [0-9.]+ s.*"), a.out());
        Map<String, Row> x = output(daily);
        Map<String, Row> y = output(whole);
        assertEquals(60, x.size());
        assertEquals(x.keySet(), y.keySet());
        List<String> features = List.of("txn_count_1h", "txn_amount_24h", "max_amount_7d", "min_amount_24h", "avg_amount_24h",
                "last_status_7d", "merchants_24h", "merchant_txn_count", "merchant_amount_sum_2d");
        int withEvents = 0;
        for (String k : x.keySet()) {
            for (String f : features) {
                assertEquals((Object) y.get(k).getAs(f), x.get(k).getAs(f), k + "." + f);
            }
            if (x.get(k).<Long>getAs("merchant_txn_count") > 0) {
                withEvents++;
            }
        }
        assertEquals(60, withEvents, "every row has merchant events before it (unbounded window)");
        // and the layout: row_key, ts, keys, features, feature_version, part_hashes; the external part is absent
        Row any = x.get("r0");
        List<String> cols = Arrays.asList(any.schema().fieldNames());
        assertTrue(cols.containsAll(List.of("row_key", "ts", "card_id", "merchant_id", "feature_version", "part_hashes", "ds")), cols.toString());
        assertFalse(cols.contains("risk_score"));
        assertEquals("v2", any.getAs("feature_version"));
        Map<String, String> hashes = SemanticHasher.hashes(DefinitionsLoader.load(joins).join("payments", "v2").orElseThrow());
        assertEquals(Map.of("card_txn", hashes.get("card_txn"), "merchant_txn", hashes.get("merchant_txn")),
                any.getJavaMap(any.fieldIndex("part_hashes")));
        assertEquals(TestData.ms(D1), any.<Long>getAs("ts"), "r0 is at midnight, the chunk edge");
        String marker = Files.readString(daily.resolve("payments_v2/ds=2025-10-01/_SUCCESS"));
        assertTrue(marker.contains("\"card_txn\" : \"" + hashes.get("card_txn") + "\"") && marker.contains("\"rows\" : 15"), marker);
    }

    @Test
    @DisplayName("a re-run skips complete chunks; --overwrite replaces them; validate finds no duplicates")
    void rerunSkipsAndOverwriteReplaces() throws IOException {
        Path out = tmp.resolve("rerun");
        assertEquals(0, Cli.run(args(out, "2025-10-01", "2025-10-02", "--chunk-size-days", "2")).exit());
        Set<String> first = dataFiles(out);
        String marker = Files.readString(out.resolve("payments_v2/ds=2025-10-01/_SUCCESS"));
        // When re-run
        Cli again = Cli.run(args(out, "2025-10-01", "2025-10-02", "--chunk-size-days", "2"));
        // Then skipped, files untouched
        assertEquals(0, again.exit(), again.toString());
        assertTrue(again.out().contains("chunk 1/1 2025-10-01..2025-10-02: complete (_SUCCESS with current part hashes), skipped"), again.out());
        assertEquals(first, dataFiles(out));
        // When overwritten
        Cli over = Cli.run(args(out, "2025-10-01", "2025-10-02", "--chunk-size-days", "2", "--overwrite"));
        assertEquals(0, over.exit(), over.toString());
        assertTrue(over.out().contains("recompute (--overwrite)"), over.out());
        Set<String> second = dataFiles(out);
        assertFalse(second.isEmpty());
        assertTrue(second.stream().noneMatch(first::contains), "every file replaced: " + first + " vs " + second);
        assertNotEquals(marker, Files.readString(out.resolve("payments_v2/ds=2025-10-01/_SUCCESS")), "new marker");
        assertEquals(30, output(out).size());
        assertFalse(Files.exists(out.resolve("payments_v2/_staging/")) && dataFilesQuiet(out.resolve("payments_v2/_staging")) > 0);
        Cli v = Cli.run("validate", "--join", "payments", "--version", "v2", "--start-date", "2025-10-01", "--end-date",
                "2025-10-02", "--output", out.toString());
        assertEquals(0, v.exit(), v.toString());
        assertTrue(v.out().contains("2025-10-01          15           0  ok"), v.out());
        assertTrue(v.out().contains("txn_count_1h 0.0%"), v.out());
    }

    static long dataFilesQuiet(Path p) {
        try {
            return dataFiles(p).size();
        } catch (IOException e) {
            return 0;
        }
    }

    @Test
    @DisplayName("a run that dies mid-range resumes without duplicates; validate exits 1 on a duplicated file")
    void failureMidRangeResumesWithoutDuplicates() throws IOException {
        Path out = tmp.resolve("crash");
        // Given a run that fails after swapping in 2025-10-03 (first day of chunk 2) but before its marker
        Cli crashed = Cli.run(args(out, "2025-10-01", "2025-10-04", "--chunk-size-days", "2", "--fail-after-swaps", "3"));
        assertEquals(1, crashed.exit(), crashed.toString());
        assertTrue(crashed.err().contains("simulated failure"), crashed.err());
        assertTrue(Files.exists(out.resolve("payments_v2/ds=2025-10-03")));
        assertFalse(Files.exists(out.resolve("payments_v2/ds=2025-10-03/_SUCCESS")));
        // When re-run
        Cli resumed = Cli.run(args(out, "2025-10-01", "2025-10-04", "--chunk-size-days", "2"));
        // Then the complete chunk is skipped and the interrupted one recomputed and replaced
        assertEquals(0, resumed.exit(), resumed.toString());
        assertTrue(resumed.out().contains("chunk 1/2 2025-10-01..2025-10-02: complete"), resumed.out());
        assertTrue(resumed.out().contains("chunk 2/2 2025-10-03..2025-10-04: recompute (interrupted run)"), resumed.out());
        assertEquals(60, output(out).size(), "no duplicate, no loss");
        String[] validate = {"validate", "--join", "payments", "--version", "v2", "--start-date", "2025-10-01",
                "--end-date", "2025-10-04", "--output", out.toString(), "--definitions", joins.toString()};
        Cli ok = Cli.run(validate);
        assertEquals(0, ok.exit(), ok.toString());
        // Given a day whose files were copied twice (what a naive append re-run does)
        Path day = out.resolve("payments_v2/ds=2025-10-02");
        Path file;
        try (Stream<Path> s = Files.list(day)) {
            file = s.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        Files.copy(file, day.resolve("copy-" + file.getFileName()));
        Cli dup = Cli.run(validate);
        assertEquals(1, dup.exit(), dup.toString());
        assertTrue(dup.out().matches("(?s).*2025-10-02 +[0-9]+ +[1-9][0-9]* ! .*"), dup.out());
        assertTrue(dup.out().contains("FAILED"), dup.out());
    }

    static final StructType STITCHED = DataTypes.createStructType(List.of(
            DataTypes.createStructField("row_key", DataTypes.StringType, false),
            DataTypes.createStructField("revision", DataTypes.LongType, true),
            DataTypes.createStructField("sources", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType), false),
            DataTypes.createStructField("is_deleted", DataTypes.BooleanType, false),
            DataTypes.createStructField("kafka_partition", DataTypes.IntegerType, false),
            DataTypes.createStructField("kafka_offset", DataTypes.LongType, false),
            DataTypes.createStructField("ds", DataTypes.StringType, false)));

    /** A stitched revision (or tombstone) as the S3 sink writes it, at (partition, offset). */
    static Row stitchedRow(String rowKey, Long revision, Map<String, String> sources, boolean deleted, int partition,
                           long offset, String ds) {
        return RowFactory.create(rowKey, revision, sources, deleted, partition, offset, ds);
    }

    @Test
    @DisplayName("--only-uncovered computes a part only for rows the stitched output does not cover; a deleted row covers nothing")
    void onlyUncoveredSkipsCoveredParts() {
        // Given stitched output for 2025-10-01 where card_txn came from the log for every row, and merchant_txn
        // from the log for r0..r6 only (r7.. took the backfill); r14 was then deleted by a tombstone without a
        // revision (what the sink wrote before it knew the revision a tombstone ends), r13 by a tombstone carrying
        // the revision it ends (it ties with that revision: only the offset orders them)
        Path stitched = tmp.resolve("stitched");
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS_PER_DAY; i++) {
            Map<String, String> sources = new HashMap<>();
            for (String f : List.of("txn_count_1h", "txn_amount_24h", "max_amount_7d", "min_amount_24h", "avg_amount_24h",
                    "last_status_7d", "merchants_24h")) {
                sources.put(f, i % 2 == 0 ? "log" : "bootstrap:splice.bootstrap.x");
            }
            String merchant = i < 7 ? "log" : "backfill";
            sources.put("merchant_txn_count", merchant);
            sources.put("merchant_amount_sum_2d", merchant);
            int partition = i % 3;
            // an older revision that was not covered must not count
            rows.add(stitchedRow("r" + i, 1L, Map.of("txn_count_1h", "backfill"), false, partition, 100L * i, "2025-10-01"));
            rows.add(stitchedRow("r" + i, 2L, sources, false, partition, 100L * i + 7, "2025-10-01"));
            if (i == 14) {
                rows.add(stitchedRow("r" + i, null, Map.of(), true, partition, 100L * i + 9, "2025-10-01"));
            } else if (i == 13) {
                rows.add(stitchedRow("r" + i, 2L, Map.of(), true, partition, 100L * i + 9, "2025-10-01"));
            }
        }
        spark.createDataFrame(rows, STITCHED).write().partitionBy("ds").parquet(stitched.resolve("payments_v2").toString());
        Path out = tmp.resolve("uncovered");
        // When
        Cli r = Cli.run(args(out, "2025-10-01", "2025-10-01", "--only-uncovered", "--stitched", stitched.toString()));
        // Then
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("card_txn: 2 of 15 rows need a backfill"), r.out());
        assertTrue(r.out().contains("merchant_txn: 8 of 15 rows need a backfill"), r.out());
        Map<String, Row> x = output(out);
        assertEquals(Set.of("r7", "r8", "r9", "r10", "r11", "r12", "r13", "r14"), x.keySet());
        assertEquals(Set.of("merchant_txn"), x.get("r7").getJavaMap(x.get("r7").fieldIndex("part_hashes")).keySet());
        assertTrue(x.get("r7").isNullAt(x.get("r7").fieldIndex("txn_count_1h")), "card_txn not computed for r7");
        for (String deleted : List.of("r13", "r14")) {
            assertEquals(Set.of("card_txn", "merchant_txn"),
                    x.get(deleted).getJavaMap(x.get(deleted).fieldIndex("part_hashes")).keySet(), "a deleted row covers nothing: " + deleted);
        }
        // When every row is covered for card_txn (no tombstones) the part is not computed at all
        Path stitched2 = tmp.resolve("stitched2");
        spark.createDataFrame(rows, STITCHED).where("NOT is_deleted")
                .write().partitionBy("ds").parquet(stitched2.resolve("payments_v2").toString());
        Cli r2 = Cli.run(args(tmp.resolve("uncovered2"), "2025-10-01", "2025-10-01", "--only-uncovered", "--stitched",
                stitched2.toString()));
        assertEquals(0, r2.exit(), r2.toString());
        assertTrue(r2.out().contains("card_txn: 0 of 15 rows need a backfill, skipped"), r2.out());
        // And --consistency-sample computes the sampled covered rows too (every part: their merge is unchanged, the
        // app only compares), chosen by row key hash; the uncovered rows as before
        Cli r4 = Cli.run(args(tmp.resolve("uncovered4"), "2025-10-01", "2025-10-01", "--only-uncovered", "--stitched",
                stitched2.toString(), "--consistency-sample", "0.4"));
        assertEquals(0, r4.exit(), r4.toString());
        Set<String> sampled = new TreeSet<>();
        for (int i = 0; i < ROWS_PER_DAY; i++) {
            if (RowSample.keeps(0.4, RowSample.CONSISTENCY_SEED, "r" + i)) {
                sampled.add("r" + i);
            }
        }
        assertTrue(!sampled.isEmpty() && sampled.size() < ROWS_PER_DAY, "the sample is a strict subset: " + sampled);
        assertTrue(r4.out().contains("consistency sample: " + sampled.size() + " of 15 rows"), r4.out());
        Map<String, Row> x4 = output(tmp.resolve("uncovered4"));
        Set<String> expected = new TreeSet<>(sampled);
        for (int i = 7; i < ROWS_PER_DAY; i++) {
            expected.add("r" + i);
        }
        assertEquals(expected, new TreeSet<>(x4.keySet()));
        for (String k : sampled) {
            assertEquals(Set.of("card_txn", "merchant_txn"), x4.get(k).getJavaMap(x4.get(k).fieldIndex("part_hashes")).keySet(), k);
        }
        // And a stitched table without the order columns is refused with their names
        Path stitched3 = tmp.resolve("stitched3");
        spark.createDataFrame(rows, STITCHED).drop("kafka_partition", "kafka_offset")
                .write().partitionBy("ds").parquet(stitched3.resolve("payments_v2").toString());
        Cli r3 = Cli.run(args(tmp.resolve("uncovered3"), "2025-10-01", "2025-10-01", "--only-uncovered", "--stitched",
                stitched3.toString()));
        assertNotEquals(0, r3.exit(), r3.toString());
        assertTrue(r3.err().contains("kafka_partition, kafka_offset"), r3.err());
    }

    @Test
    @DisplayName("validate --stitched counts only rows whose latest record (by partition and offset) is not a tombstone")
    void validateSharesCountOnlyLiveRows() {
        // Given stitched rows of 2025-10-02: s0 live; s1 deleted by a tombstone without revision; s2 deleted by one
        // carrying the revision it ends (a tie on revision); s3 deleted and re-created (revision 2 after the tombstone)
        Path stitched = tmp.resolve("stitched-validate");
        Map<String, String> log = Map.of("txn_count_1h", "log");
        Map<String, String> backfill = Map.of("txn_count_1h", "backfill");
        List<Row> rows = List.of(
                stitchedRow("s0", 1L, log, false, 0, 10, "2025-10-02"),
                stitchedRow("s1", 1L, backfill, false, 1, 11, "2025-10-02"),
                stitchedRow("s1", null, Map.of(), true, 1, 12, "2025-10-02"),
                stitchedRow("s2", 1L, backfill, false, 2, 20, "2025-10-02"),
                stitchedRow("s2", 1L, Map.of(), true, 2, 21, "2025-10-02"),
                stitchedRow("s3", 1L, backfill, false, 0, 30, "2025-10-02"),
                stitchedRow("s3", 1L, Map.of(), true, 0, 31, "2025-10-02"),
                stitchedRow("s3", 2L, log, false, 0, 32, "2025-10-02"));
        spark.createDataFrame(rows, STITCHED).write().partitionBy("ds").parquet(stitched.resolve("payments_v2").toString());
        // When
        Cli v = Cli.run("validate", "--join", "payments", "--version", "v2", "--start-date", "2025-10-02", "--end-date",
                "2025-10-02", "--output", tmp.resolve("no-backfill").toString(), "--stitched", stitched.toString());
        // Then the two live rows are counted, both served from the log
        assertTrue(v.out().matches("(?s).*\\n2025-10-02 +2 +log 100\\.0%.*"), v.out());
    }
}
