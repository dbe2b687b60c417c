package io.splice.backfill.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.splice.backfill.Cli;
import io.splice.backfill.TestData;
import io.splice.backfill.TestSpark;
import io.splice.backfill.compute.FeatureSpec;
import io.splice.backfill.compute.RowSample;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.offline.LatestRevision;
import io.splice.testing.Feature;
import io.splice.testing.JoinYaml;
import io.splice.testing.Joins;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
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

/**
 * {@code splice training-set} end to end on local files, against a brute-force Java reference over a stitched
 * offline table with revisions, tombstones, re-created rows and late revisions (written days after their row time).
 */
class TrainingSetCommandTest {
    @TempDir
    static Path tmp;
    static Path joins;
    static Path offline;
    static SparkSession spark;
    static JoinDefinition v2;
    static JoinDefinition v1;
    static final LocalDate START = LocalDate.parse("2025-10-01");
    static final LocalDate END = LocalDate.parse("2025-10-03");
    static final long T0 = TestData.ms(LocalDate.parse("2025-09-30"));
    /** Every record of both versions' tables, in write order. */
    static final List<Rec> V2 = new ArrayList<>();
    static final List<Rec> V1 = new ArrayList<>();

    /** One offline record (a revision or a tombstone) as the S3 sink writes it, plus when it was written. */
    record Rec(String rowKey, long ts, String card, String merchant, Map<String, Object> values, Map<String, String> sources,
               Long revision, long writeTime, boolean deleted, int partition, long offset, Long stitchedAt) {
        String ds() {
            return io.splice.core.offline.OfflineColumns.ds(ts);
        }

        LatestRevision.Position position() {
            return new LatestRevision.Position(partition, offset);
        }
    }

    @BeforeAll
    static void data() {
        spark = TestSpark.session();
        String yaml = JoinYaml.yaml(
                Joins.payments("v1").keys("card_id", "merchant_id")
                        .part("card_txn", "transactions", "card_id", Joins.TXN_COUNT_1H)
                        .external("risk_ext", Joins.RISK_SCORE),
                Joins.payments("v2").keys("card_id", "merchant_id")
                        .part("card_txn", "transactions", "card_id", Joins.TXN_COUNT_1H, Joins.TXN_AMOUNT_24H,
                                Feature.agg("last_status_7d", "string", "last", "status", "7d"))
                        .external("risk_ext", Joins.RISK_SCORE));
        try {
            joins = Files.writeString(tmp.resolve("joins.yaml"), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var defs = DefinitionsLoader.load(joins);
        v2 = defs.join("payments", "v2").orElseThrow();
        v1 = defs.join("payments", "v1").orElseThrow();
        offline = tmp.resolve("offline");
        generate(v2, V2, 42);
        generate(v1, V1, 43);
        write(offline.resolve("payments_v2"), v2, V2, true);
        write(offline.resolve("payments_v1"), v1, V1, true);
    }

    /**
     * 80 rows over 2025-09-30..10-04 (days outside the range too) in 3 partitions; 400 records written in order over
     * six days: revisions (values change), tombstones, re-creations after a tombstone; a record's Kafka time
     * (write_time) is its row time, as a Kafka Streams output inherits it, while stitched_at is when it was written.
     */
    static void generate(JoinDefinition j, List<Rec> out, long seed) {
        Random rnd = new Random(seed);
        int rows = 80;
        long[] ts = new long[rows];
        Long[] revision = new Long[rows];
        boolean[] deleted = new boolean[rows];
        long[] offsets = new long[3];
        Random shared = new Random(5); // the same row times and keys in both versions
        for (int i = 0; i < rows; i++) {
            ts[i] = T0 + shared.nextInt(5 * 24) * HOUR + shared.nextInt(60) * 60_000L;
        }
        long written = T0 + DAY; // first writes on 2025-10-01
        for (int n = 0; n < 400; n++) {
            int i = n < rows ? n : rnd.nextInt(rows);
            written += rnd.nextInt(20) * 60_000L + 1000;
            int partition = i % 3;
            long offset = offsets[partition]++;
            String rowKey = "req-" + i;
            String card = "c" + (i % 7);
            String merchant = "m" + (i % 4);
            long stitchedAt = Math.max(written, ts[i] + 1000); // a revision is never written before its row time
            if (revision[i] != null && !deleted[i] && rnd.nextInt(6) == 0) {
                out.add(new Rec(rowKey, ts[i], card, merchant, Map.of(), Map.of(), revision[i], stitchedAt, true, partition,
                        offset, stitchedAt));
                deleted[i] = true;
                continue;
            }
            revision[i] = revision[i] == null ? 1L : revision[i] + 1;
            deleted[i] = false;
            Map<String, Object> values = new LinkedHashMap<>();
            Map<String, String> sources = new LinkedHashMap<>();
            boolean allLog = rnd.nextBoolean();
            for (FeatureDefinition f : j.features()) {
                Object v = rnd.nextInt(8) == 0 ? null : switch (f.type()) {
                    case LONG -> (long) rnd.nextInt(50);
                    case DOUBLE -> rnd.nextInt(10000) / 4.0;
                    case STRING -> rnd.nextBoolean() ? "APPROVED" : "DECLINED";
                    default -> throw new IllegalStateException();
                };
                values.put(f.name(), v);
                String[] labels = {"log", "backfill", "missing", "bootstrap:payments.bootstrap"};
                sources.put(f.name(), allLog ? "log" : labels[rnd.nextInt(labels.length)]);
            }
            out.add(new Rec(rowKey, ts[i], card, merchant, values, sources, revision[i], ts[i] + 5, false, partition, offset,
                    stitchedAt));
        }
    }

    static StructType schema(JoinDefinition j, boolean stitchedAt) {
        DataType map = DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType);
        List<StructField> f = new ArrayList<>(List.of(
                DataTypes.createStructField("row_key", DataTypes.StringType, false),
                DataTypes.createStructField("ts", DataTypes.TimestampType, false),
                DataTypes.createStructField("keys", map, false)));
        for (FeatureDefinition fd : j.features()) {
            f.add(DataTypes.createStructField(fd.name(), FeatureSpec.sparkType(fd.type()), true));
        }
        f.addAll(List.of(
                DataTypes.createStructField("sources", map, false),
                DataTypes.createStructField("feature_version", DataTypes.StringType, false),
                DataTypes.createStructField("part_hashes", map, false),
                DataTypes.createStructField("revision", DataTypes.LongType, true),
                DataTypes.createStructField("write_time", DataTypes.TimestampType, false),
                DataTypes.createStructField("is_deleted", DataTypes.BooleanType, false),
                DataTypes.createStructField("kafka_partition", DataTypes.IntegerType, false),
                DataTypes.createStructField("kafka_offset", DataTypes.LongType, false)));
        if (stitchedAt) {
            f.add(DataTypes.createStructField("stitched_at", DataTypes.TimestampType, true));
        }
        f.add(DataTypes.createStructField("ds", DataTypes.StringType, false));
        return DataTypes.createStructType(f);
    }

    /** Writes the records as the sink lays them out: by ds, a few objects per day (one per Kafka partition group). */
    static void write(Path dir, JoinDefinition j, List<Rec> recs, boolean stitchedAt) {
        List<Row> rows = new ArrayList<>();
        for (Rec r : recs) {
            List<Object> v = new ArrayList<>(List.of(r.rowKey(), new Timestamp(r.ts()),
                    r.deleted() ? Map.of() : Map.of("card_id", r.card(), "merchant_id", r.merchant())));
            j.features().forEach(f -> v.add(r.values().get(f.name())));
            v.addAll(java.util.Arrays.asList(r.sources(), j.version(), Map.of(), r.revision(), new Timestamp(r.writeTime()),
                    r.deleted(), r.partition(), r.offset()));
            if (stitchedAt) {
                v.add(r.stitchedAt() == null ? null : new Timestamp(r.stitchedAt()));
            }
            v.add(r.ds());
            rows.add(RowFactory.create(v.toArray()));
        }
        spark.createDataFrame(rows, schema(j, stitchedAt)).repartition(2, org.apache.spark.sql.functions.col("kafka_partition"))
                .write().partitionBy("ds").parquet(dir.toString());
    }

    // ---- the brute-force reference ----

    /** The expected rows, rendered like {@link #render}, in the expected order. */
    static List<String> reference(JoinDefinition j, List<Rec> recs, Long asOf, Double rate, long seed, List<String> served,
                                  Map<String, String> labels, boolean requireLabels) {
        Map<String, Rec> latest = new HashMap<>();
        for (Rec r : recs) {
            LocalDate d = LocalDate.parse(r.ds());
            if (d.isBefore(START) || d.isAfter(END) || (asOf != null && r.stitchedAt() > asOf)) {
                continue;
            }
            Rec cur = latest.get(r.rowKey());
            if (cur == null || r.position().isAfter(cur.position())) {
                latest.put(r.rowKey(), r);
            }
        }
        List<Rec> keep = new ArrayList<>();
        for (Rec r : latest.values()) {
            if (r.deleted()) {
                continue;
            }
            if (rate != null && !RowSample.keeps(rate, seed, r.rowKey())) {
                continue;
            }
            if (served != null && !served.stream().allMatch(f -> "log".equals(r.sources().get(f)))) {
                continue;
            }
            if (requireLabels && !labels.containsKey(r.rowKey())) {
                continue;
            }
            keep.add(r);
        }
        keep.sort(Comparator.comparingLong(Rec::ts).thenComparing(Rec::rowKey));
        List<String> out = new ArrayList<>();
        for (Rec r : keep) {
            StringBuilder sb = new StringBuilder(r.rowKey() + "|" + r.card() + "|" + r.merchant() + "|" + r.ts() + "|" + r.ds());
            j.features().forEach(f -> sb.append('|').append(r.values().get(f.name())));
            if (labels != null) {
                sb.append('|').append(labels.get(r.rowKey()));
            }
            out.add(sb.toString());
        }
        return out;
    }

    /** The rows of a written set, file by file in name order (so the order written is checked too). */
    static List<String> render(Path out, int extra) {
        List<String> rows = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(out)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path f : files) {
            for (Row r : spark.read().parquet(f.toString()).collectAsList()) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < r.size(); i++) {
                    Object v = r.get(i);
                    if (v instanceof Timestamp t) {
                        v = t.getTime();
                    }
                    sb.append(i == 0 ? "" : "|").append(v);
                }
                rows.add(sb.toString());
            }
        }
        return rows;
    }

    static String[] args(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("training-set", "--definitions", joins.toString(), "--join", "payments",
                "--version", "v2", "--start-date", START.toString(), "--end-date", END.toString(),
                "--offline", offline.toString(), "--out", out.toString()));
        for (int i = 0; i < more.length; i++) {
            int at = a.indexOf(more[i]);
            if (at > 0 && i + 1 < more.length) { // an option of the base: its value replaced
                a.set(at + 1, more[++i]);
            } else {
                a.add(more[i]);
            }
        }
        return a.toArray(String[]::new);
    }

    static Cli ok(String... args) {
        Cli r = Cli.run(args);
        assertEquals(0, r.exit(), r.toString());
        return r;
    }

    @Test
    @DisplayName("one row per live row of the days: its latest revision by (kafka_partition, kafka_offset), deleted rows dropped, typed and sorted")
    void latestPerRow() {
        Path out = tmp.resolve("set-latest");
        Cli r = ok(args(out));
        List<String> expected = reference(v2, V2, null, null, 0, null, null, false);
        assertTrue(expected.size() > 20, "fixture too small: " + expected.size());
        assertEquals(expected, render(out, 0));
        // the fixture has what the test claims: deleted rows, re-created rows, several revisions per row
        Map<String, List<Rec>> byRow = V2.stream().collect(Collectors.groupingBy(Rec::rowKey));
        assertTrue(byRow.values().stream().anyMatch(l -> l.get(l.size() - 1).deleted()), "a row deleted last");
        assertTrue(byRow.values().stream().anyMatch(l -> l.stream().anyMatch(Rec::deleted) && !l.get(l.size() - 1).deleted()),
                "a row re-created after a tombstone");
        // columns: row ids, keys, ts, ds, features typed as declared
        StructType s = spark.read().parquet(out.toString()).schema();
        assertEquals(List.of("request_id", "card_id", "merchant_id", "ts", "ds", "txn_count_1h", "txn_amount_24h",
                "last_status_7d", "risk_score"), List.of(s.fieldNames()));
        assertEquals(DataTypes.LongType, s.apply("txn_count_1h").dataType());
        assertEquals(DataTypes.DoubleType, s.apply("txn_amount_24h").dataType());
        assertEquals(DataTypes.TimestampType, s.apply("ts").dataType());
        assertTrue(r.out().contains("wrote " + expected.size() + " rows"), r.out());
        assertTrue(Files.exists(out.resolve("_MANIFEST.json")));

        // --format csv: the same rows, a header line, in the same order
        Path csv = tmp.resolve("set-latest-csv");
        ok(args(csv, "--format", "csv"));
        List<String> lines = new ArrayList<>();
        try (Stream<Path> s2 = Files.list(csv)) {
            for (Path f : s2.filter(p -> p.getFileName().toString().endsWith(".csv")).sorted().toList()) {
                Files.readAllLines(f).stream().skip(1).forEach(lines::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertEquals(expected.stream().map(x -> x.split("\\|")[0]).toList(), lines.stream().map(x -> x.split(",")[0]).toList());
    }

    @Test
    @DisplayName("--as-of: only revisions written (stitched_at) at or before the instant, at several instants, never the event time")
    void asOf() {
        // instants before, between and after the revisions of rows with several; the first before anything was written
        long first = V2.stream().mapToLong(Rec::stitchedAt).min().orElseThrow();
        long last = V2.stream().mapToLong(Rec::stitchedAt).max().orElseThrow();
        List<Long> instants = List.of(first - 1, first + (last - first) / 4, first + (last - first) / 2,
                first + 3 * (last - first) / 4, last);
        List<List<String>> sets = new ArrayList<>();
        for (long t : instants) {
            Path out = tmp.resolve("set-asof-" + t);
            Cli r = ok(args(out, "--as-of", Instant.ofEpochMilli(t).toString()));
            List<String> expected = reference(v2, V2, t, null, 0, null, null, false);
            assertEquals(expected, render(out, 0), "as of " + Instant.ofEpochMilli(t));
            assertTrue(r.out().contains("by stitched_at"), r.out());
            sets.add(expected);
        }
        assertTrue(sets.get(0).isEmpty(), "nothing was written before the first revision");
        assertEquals(reference(v2, V2, null, null, 0, null, null, false), sets.get(4));
        // the instants give different sets, and some row has different values at two of them
        assertEquals(sets.size(), new TreeSet<>(sets.stream().map(Object::toString).toList()).size());
        Map<String, String> mid = sets.get(2).stream().collect(Collectors.toMap(x -> x.split("\\|")[0], x -> x));
        assertTrue(sets.get(3).stream().anyMatch(x -> mid.containsKey(x.split("\\|")[0]) && !mid.get(x.split("\\|")[0]).equals(x)),
                "a row revised between two instants");

        // a table without a written-time column refuses --as-of (write_time is the event time), in one line
        Path noStitched = tmp.resolve("offline-no-stitched");
        write(noStitched.resolve("payments_v2"), v2, V2, false);
        Cli refused = Cli.run(args(tmp.resolve("set-asof-refused"), "--offline", noStitched.toString(), "--as-of",
                "2025-10-03T00:00:00Z"));
        assertEquals(2, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("has no stitched_at or log_append_time column"), refused.err());
        assertEquals(1, refused.err().lines().count(), refused.err());
    }

    @Test
    @DisplayName("--served-only keeps the rows whose features all came from the log and says how many")
    void servedOnly() throws IOException {
        Path out = tmp.resolve("set-served");
        Cli r = ok(args(out, "--served-only"));
        List<String> nonExternal = List.of("txn_count_1h", "txn_amount_24h", "last_status_7d");
        List<String> expected = reference(v2, V2, null, null, 0, nonExternal, null, false);
        List<String> all = reference(v2, V2, null, null, 0, null, null, false);
        assertTrue(!expected.isEmpty() && expected.size() < all.size(), expected.size() + " of " + all.size());
        assertEquals(expected, render(out, 0));
        assertTrue(r.out().contains("served-only: " + expected.size() + " of " + all.size() + " rows"), r.out());
        // the served share is counted (and in the manifest) on every run, also without --served-only
        assertTrue(r.out().contains("served: " + expected.size() + " of " + all.size() + " rows"), r.out());
        JsonNode m = new ObjectMapper().readTree(Files.readString(out.resolve("_MANIFEST.json")));
        assertEquals(expected.size(), m.path("counts").path("served_rows").asLong(), m.toString());

        Path one = tmp.resolve("set-served-one");
        ok(args(one, "--served-only", "txn_count_1h", "--with-sources"));
        List<String> got = render(one, 0);
        List<String> exp1 = reference(v2, V2, null, null, 0, List.of("txn_count_1h"), null, false);
        assertEquals(exp1.size(), got.size());
        // --with-sources: txn_count_1h__source is log on every row
        StructType s = spark.read().parquet(one.toString()).schema();
        int idx = List.of(s.fieldNames()).indexOf("txn_count_1h__source");
        assertTrue(idx > 0, s.toString());
        assertTrue(got.stream().allMatch(x -> x.split("\\|")[idx].equals("log")));

        Cli unknown = Cli.run(args(tmp.resolve("set-served-bad"), "--served-only", "nope"));
        assertEquals(2, unknown.exit(), unknown.toString());
        assertTrue(unknown.err().contains("--served-only names feature(s) nope"), unknown.err());
    }

    @Test
    @DisplayName("--labels: joined on the row ids; missing labels null (or dropped with --require-labels); late and duplicate label rows: the latest by ts wins")
    void labels() throws IOException {
        // label rows in JSON lines by ds of the label's time: some rows have none, some two or three (the latest by
        // ts wins, whatever file or day it is in), some arrive days later
        Random rnd = new Random(3);
        Map<String, String> latestLabel = new HashMap<>();
        Map<String, Long> latestTs = new HashMap<>();
        List<Map<String, Object>> labelRows = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            int n = rnd.nextInt(4); // 0: no label
            for (int k = 0; k < n; k++) {
                long ts = T0 + DAY + rnd.nextInt(8 * 24) * HOUR; // up to a week late
                String label = "l" + i + "-" + k;
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("request_id", "req-" + i);
                m.put("is_fraud", label);
                m.put("ts", ts);
                labelRows.add(m);
                if (!latestTs.containsKey("req-" + i) || ts > latestTs.get("req-" + i)) {
                    latestTs.put("req-" + i, ts);
                    latestLabel.put("req-" + i, label);
                }
            }
        }
        Path labels = tmp.resolve("labels");
        TestData.writeByDay(labels, labelRows);
        Path out = tmp.resolve("set-labels");
        Cli r = ok(args(out, "--labels", labels.toString(), "--label-columns", "is_fraud"));
        List<String> expected = reference(v2, V2, null, null, 0, null, latestLabel, false);
        assertTrue(expected.stream().anyMatch(x -> x.endsWith("|null")), "some rows without a label");
        assertEquals(expected, render(out, 0));
        long labelled = expected.stream().filter(x -> !x.endsWith("|null")).count();
        assertTrue(r.out().contains("labels: " + labelled + " of " + expected.size() + " rows have one"), r.out());

        Path req = tmp.resolve("set-labels-required");
        ok(args(req, "--labels", labels.toString(), "--label-columns", "is_fraud", "--require-labels"));
        assertEquals(reference(v2, V2, null, null, 0, null, latestLabel, true), render(req, 0));

        Cli missing = Cli.run(args(tmp.resolve("set-labels-bad"), "--labels", labels.toString(), "--label-columns", "nope"));
        assertEquals(2, missing.exit(), missing.toString());
        assertTrue(missing.err().contains("label table " + labels + " has no column(s) nope"), missing.err());
    }

    @Test
    @DisplayName("--sample-rate: by a hash of the row key, the same rows in v1 and v2")
    void samplingStableAcrossVersions() {
        Path o2 = tmp.resolve("set-sample-v2");
        Path o1 = tmp.resolve("set-sample-v1");
        ok(args(o2, "--sample-rate", "0.4", "--seed", "7"));
        List<String> a = new ArrayList<>(List.of(args(o1, "--sample-rate", "0.4", "--seed", "7")));
        a.set(a.indexOf("v2"), "v1");
        ok(a.toArray(String[]::new));
        List<String> got2 = render(o2, 0);
        assertEquals(reference(v2, V2, null, 0.4, 7, null, null, false), got2);
        List<String> got1 = render(o1, 0);
        assertEquals(reference(v1, V1, null, 0.4, 7, null, null, false), got1);
        Set<String> live2 = ids(reference(v2, V2, null, null, 0, null, null, false));
        Set<String> live1 = ids(reference(v1, V1, null, null, 0, null, null, false));
        Set<String> both = new TreeSet<>(live1);
        both.retainAll(live2);
        Set<String> s2 = ids(got2);
        Set<String> s1 = ids(got1);
        s2.retainAll(both);
        s1.retainAll(both);
        assertEquals(s1, s2, "rows live in both versions are sampled alike");
        assertTrue(!s1.isEmpty() && s1.size() < both.size(), s1.size() + " of " + both.size());
    }

    static Set<String> ids(List<String> rows) {
        return rows.stream().map(x -> x.split("\\|")[0]).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    @DisplayName("reproducible: two runs identical, --from-manifest identical, --verify detects a new and a removed object")
    void reproducibility() throws IOException {
        Path table = tmp.resolve("offline-repro");
        copy(offline.resolve("payments_v2"), table.resolve("payments_v2"));
        Path o1 = tmp.resolve("set-repro-1");
        Path o2 = tmp.resolve("set-repro-2");
        String asOf = Instant.ofEpochMilli(T0 + 3 * DAY).toString();
        Path defs = Files.copy(joins, tmp.resolve("joins-repro.yaml"));
        ok(args(o1, "--definitions", defs.toString(), "--offline", table.toString(), "--as-of", asOf, "--labels", labelsFor(),
                "--label-columns", "y"));
        ok(args(o2, "--definitions", defs.toString(), "--offline", table.toString(), "--as-of", asOf, "--labels", labelsFor(),
                "--label-columns", "y"));
        List<String> rows = render(o1, 0);
        assertFalse(rows.isEmpty());
        assertEquals(rows, render(o2, 0));
        var m1 = TrainingSetManifest.read(o1.toString(), new org.apache.hadoop.conf.Configuration());
        var m2 = TrainingSetManifest.read(o2.toString(), new org.apache.hadoop.conf.Configuration());
        assertEquals(m1.fingerprint(), m2.fingerprint());
        // the manifest: command line, definitions hash and part hashes, as_of, every object with size and Kafka range
        var j = m1.json();
        assertTrue(j.path("command_line").asText().startsWith("splice training-set --definitions"));
        assertEquals(64, j.path("definitions").path("sha256").asText().length());
        assertTrue(j.path("definitions").path("part_hashes").has("card_txn"));
        assertEquals(asOf, j.path("as_of").asText());
        assertEquals("stitched_at", j.path("written_column").asText());
        int objects = j.path("offline").path("objects").size();
        assertTrue(objects >= 6, "objects: " + objects);
        j.path("offline").path("objects").forEach(o -> {
            assertTrue(o.path("size").asLong() > 0);
            assertTrue(o.has("kafka_partition") && o.has("kafka_offset"), o.toString());
        });
        assertEquals(rows.size(), j.path("counts").path("rows").asLong());
        assertTrue(j.path("source_shares").path("txn_count_1h").has("log"), j.toString());
        assertTrue(j.path("null_rates").has("risk_score"));

        // the definitions change afterwards: --from-manifest uses the text it holds
        Files.writeString(defs, "joins: []\n");
        Path o3 = tmp.resolve("set-repro-3");
        Cli again = ok("training-set", "--from-manifest", o1.toString(), "--out", o3.toString());
        assertEquals(rows, render(o3, 0));
        assertEquals(m1.fingerprint(), TrainingSetManifest.read(o3.toString(), new org.apache.hadoop.conf.Configuration()).fingerprint());
        assertTrue(again.out().contains("re-running the request of"), again.out());

        Cli v = ok("training-set", "--verify", o1.toString());
        assertTrue(v.out().contains("REPRODUCIBLE:"), v.out());
        assertTrue(v.out().contains("note: definitions " + defs + " changed since"), v.out());

        // a new object in a day read: still reproducible from the manifest (noted), --from-manifest ignores it
        Path day = table.resolve("payments_v2/ds=2025-10-02");
        Path some = firstParquet(day);
        Files.copy(some, day.resolve("late-" + some.getFileName()));
        Cli v2 = ok("training-set", "--verify", o1.toString());
        assertTrue(v2.out().contains("1 object appeared in the days since"), v2.out());
        Path o4 = tmp.resolve("set-repro-4");
        ok("training-set", "--from-manifest", o1.toString(), "--out", o4.toString());
        assertEquals(rows, render(o4, 0));

        // an object read is removed: not reproducible, and --from-manifest refuses
        Files.delete(some);
        Cli gone = Cli.run("training-set", "--verify", o1.toString());
        assertEquals(1, gone.exit(), gone.toString());
        assertTrue(gone.out().contains("NOT REPRODUCIBLE: offline object ") && gone.out().contains(some.getFileName() + " vanished"),
                gone.out());
        Cli refused = Cli.run("training-set", "--from-manifest", o1.toString(), "--out", tmp.resolve("set-repro-5").toString());
        assertEquals(2, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("vanished since the manifest was written"), refused.err());
    }

    static String labelsFor() {
        Path p = tmp.resolve("labels-flat");
        if (!Files.exists(p)) {
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < 80; i += 2) {
                rows.add(RowFactory.create("req-" + i, (long) i % 3, T0 + 2 * DAY + i));
            }
            spark.createDataFrame(rows, DataTypes.createStructType(List.of(
                            DataTypes.createStructField("request_id", DataTypes.StringType, false),
                            DataTypes.createStructField("y", DataTypes.LongType, false),
                            DataTypes.createStructField("ts", DataTypes.LongType, false))))
                    .coalesce(1).write().parquet(p.toString()); // not partitioned by ds
        }
        return p.toString();
    }

    static Path firstParquet(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().findFirst().orElseThrow();
        }
    }

    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    @Test
    @DisplayName("clear one-line errors: a missing day, a missing column, an unknown join or version; --dry-run writes nothing")
    void errors() throws IOException {
        Cli day = Cli.run(args(tmp.resolve("set-err-day"), "--end-date", "2025-10-06"));
        assertEquals(2, day.exit(), day.toString());
        assertTrue(day.err().contains("has no partition ds= for 2025-10-05..2025-10-06"), day.err());
        assertEquals(1, day.err().lines().count(), day.err());

        Path dropped = tmp.resolve("offline-dropped/payments_v2");
        spark.read().parquet(offline.resolve("payments_v2").toString()).drop("txn_amount_24h")
                .write().partitionBy("ds").parquet(dropped.toString());
        Cli col = Cli.run(args(tmp.resolve("set-err-col"), "--offline", dropped.getParent().toString()));
        assertEquals(2, col.exit(), col.toString());
        assertTrue(col.err().contains("has no column(s) txn_amount_24h"), col.err());

        Cli join = Cli.run(args(tmp.resolve("set-err-join"), "--version", "v9"));
        assertEquals(2, join.exit(), join.toString());
        assertTrue(join.err().contains("defines no join payments version v9; it defines payments.v1, payments.v2"), join.err());

        Path dry = tmp.resolve("set-dry");
        Cli d = ok(args(dry, "--dry-run", "--sample-rate", "0.5"));
        assertFalse(Files.exists(dry));
        assertTrue(d.out().contains("Dry run: nothing written.") && d.out().contains("ds=2025-10-02"), d.out());
        assertNotEquals(0, d.out().length());
    }

}
