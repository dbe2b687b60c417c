package io.splice.streams.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.json.RecordJson;
import io.splice.avro.serde.InMemorySchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.cli.SpliceCli;
import io.splice.streams.simulate.Simulator;
import io.splice.testing.PropertiesFile;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #8 (6): definitions with thousands of features, a 10 MB events file through {@code splice simulate} in a JVM
 * with a small heap, and keys and values at the size limits; past the limits, clear errors.
 */
@Tag(Reliability.TAG)
class InputLimitsTest {
    static final int PARTS = 50;
    static final int FEATURES_PER_PART = 100;
    static final long EVENTS_FILE_BYTES = 10L * 1024 * 1024;
    static final String SIMULATE_HEAP = "-Xmx128m";
    static final int MAX_VALUE_BYTES = 350 * 1024; // the default of splice.max.value.bytes

    @Test
    void thousandsOfFeaturesValidateHashAndSimulateQuickly(@TempDir Path tmp) throws Exception {
        // Given a join of 50 parts x 100 features
        StringBuilder yaml = new StringBuilder("joins:\n  - name: wide\n    version: v1\n    row_ids: [request_id]\n"
                + "    keys: [card_id]\n    bootstrap_from_log: true\n    parts:\n");
        for (int p = 0; p < PARTS; p++) {
            yaml.append("      - name: part_").append(p).append("\n        source: transactions\n        key: card_id\n        features:\n");
            for (int f = 0; f < FEATURES_PER_PART; f++) {
                yaml.append("          - {name: f_").append(p).append('_').append(f)
                        .append(", type: double, agg: sum, of: amount_").append(f).append(", window: ").append(1 + f % 24).append("h}\n");
            }
        }
        Path file = Reliability.write(tmp.resolve("wide.yaml"), yaml.toString());
        int features = PARTS * FEATURES_PER_PART;

        // When it is validated, hashed and simulated
        long t0 = System.nanoTime();
        StringWriter out = new StringWriter();
        assertEquals(0, cli(out, "definitions", "validate", "--definitions", file.toString()), out.toString());
        assertTrue(out.toString().contains(features + " features"), out.toString());
        long validateMs = ms(t0);
        t0 = System.nanoTime();
        assertEquals(0, cli(new StringWriter(), "definitions", "hash", "--definitions", file.toString()));
        Definitions defs = DefinitionsLoader.parse(yaml.toString(), "wide.yaml", Topics.defaults());
        Map<String, String> hashes = SemanticHasher.hashes(defs).get("wide.v1");
        assertEquals(PARTS, hashes.size());
        long hashMs = ms(t0);

        int rows = 20;
        Path events = tmp.resolve("wide-events.jsonl");
        try (BufferedWriter w = Files.newBufferedWriter(events)) {
            for (int r = 0; r < rows; r++) {
                Map<String, Object> half = new HashMap<>();
                Map<String, Object> rest = new HashMap<>();
                for (int p = 0; p < PARTS; p++) {
                    for (int f = 0; f < FEATURES_PER_PART; f++) {
                        (p % 2 == 0 ? half : rest).put("f_" + p + "_" + f, r + f / 100.0);
                    }
                }
                Map<String, String> logged = new HashMap<>();
                Map<String, String> backfilled = new HashMap<>();
                hashes.forEach((part, h) -> (Integer.parseInt(part.substring(5)) % 2 == 0 ? logged : backfilled).put(part, h));
                line(w, "splice.fetch-log", "c" + r, RecordJson.toJson(FetchLog.newBuilder().setJoin("wide").setVersion("v1")
                        .setTs(Workload.BASE_TS).setKeys(Map.of("card_id", "c" + r)).setContext(Map.of("request_id", "r" + r))
                        .setValues(half).setPartHashes(logged).build()));
                line(w, "splice.backfill.wide.v1", "r" + r, RecordJson.toJson(FeatureRow.newBuilder().setRowKey("r" + r)
                        .setTs(Workload.BASE_TS).setKeys(Map.of("card_id", "c" + r)).setValues(rest).setPartHashes(backfilled).build()));
            }
        }
        t0 = System.nanoTime();
        Simulator.Result result;
        try (Simulator sim = new Simulator(defs, "splice", new PrintWriter(new StringWriter()))) {
            result = sim.run(events, tmp.resolve("wide-out"));
        }
        long simulateMs = ms(t0);

        // Then every row is stitched with every feature, half from the log and half from the backfill
        assertEquals(0, result.dlq());
        List<String> stitched = Files.readAllLines(tmp.resolve("wide-out/stitched.jsonl"));
        JsonNode last = RecordJson.MAPPER.readTree(stitched.get(stitched.size() - 1));
        assertEquals(features, last.get("value").get("values").size());
        assertEquals("log", last.get("value").get("sources").get("f_0_0").asText());
        assertEquals("backfill", last.get("value").get("sources").get("f_1_0").asText());
        assertTrue(validateMs < 30_000 && hashMs < 30_000 && simulateMs < 60_000,
                "validate " + validateMs + " ms, hash " + hashMs + " ms, simulate " + simulateMs + " ms");
        System.out.printf("wide join: %d features in %d parts: validate %d ms, hash %d ms, simulate %d rows (%d records) %d ms%n",
                features, PARTS, validateMs, hashMs, rows, result.stitched(), simulateMs);
    }

    @Test
    void aDefinitionsFilePastTheYamlLimitIsAClearError(@TempDir Path tmp) throws Exception {
        // Given a definitions file over the 3 MB the YAML parser accepts
        StringBuilder yaml = new StringBuilder("joins:\n  - name: huge\n    version: v1\n    row_ids: [request_id]\n    parts:\n"
                + "      - name: ext\n        external: true\n        features:\n");
        for (int f = 0; yaml.length() < 3_300_000; f++) {
            yaml.append("          - {name: a_rather_long_feature_name_to_fill_the_file_").append(f).append(", type: double}\n");
        }
        Path file = Reliability.write(tmp.resolve("huge.yaml"), yaml.toString());
        // When it is validated / Then it is refused with a message naming the limit, not an exception
        StringWriter err = new StringWriter();
        assertEquals(1, cli(err, "definitions", "validate", "--definitions", file.toString()));
        assertTrue(err.toString().contains("exceeds the limit"), err.toString());
    }

    @Test
    void aTenMegabyteEventsFileSimulatesInASmallHeap(@TempDir Path tmp) throws Exception {
        // Given an events file of at least 10 MB
        Workload w = Workload.generate("splice", 28_000, 7);
        Path events = tmp.resolve("events.jsonl");
        w.writeEvents(events);
        long size = Files.size(events);
        assertTrue(size >= EVENTS_FILE_BYTES, "events file is " + size + " bytes");
        Path defs = Reliability.write(tmp.resolve("joins.yaml"), Workload.yaml("splice"));

        // When splice simulate runs it in a JVM with a 128 MB heap
        long t0 = System.nanoTime();
        ChildApp sim = ChildApp.start(tmp.resolve("simulate.log"), List.of(SIMULATE_HEAP), "simulate", "--definitions", defs.toString(),
                "--events", events.toString(), "--out", tmp.resolve("out").toString());
        // Then it completes, and wrote what the topology produced
        assertEquals(0, sim.exitCode(300), sim.tail());
        long seconds = ms(t0) / 1000;
        assertTrue(sim.log().contains("simulated " + w.size() + " input records"), sim.tail());
        long stitched;
        try (var lines = Files.lines(tmp.resolve("out/stitched.jsonl"))) {
            stitched = lines.count();
        }
        assertTrue(stitched >= w.rows, stitched + " stitched records for " + w.rows + " rows");
        System.out.printf("simulate: %.1f MB events file (%d records) in a %s JVM: %d stitched records in %d s%n",
                size / 1048576.0, w.size(), SIMULATE_HEAP, stitched, seconds);
    }

    @Test
    void keysAndValuesAtTheSizeLimitsAreStitchedAndOneByteMoreIsAClearError(@TempDir Path tmp) throws Exception {
        Workload w = new Workload("splice");
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        SpliceAvroSerializer<SpecificRecord> ser = new SpliceAvroSerializer<>(registry);
        String bigKey = "k".repeat(100_000); // a 100 KB row key
        Path events = tmp.resolve("limits.jsonl");
        try (BufferedWriter out = Files.newBufferedWriter(events)) {
            // a log and a backfill row of exactly the limit, then one byte over it (simulate encodes the JSON to the same
            // Avro body: only the registry's schema id may differ, and it always takes 4 bytes)
            line(out, w.topics.fetchLog(), "c", RecordJson.toJson(log(w, "at-limit-log", pad(MAX_VALUE_BYTES,
                    p -> ser.serialize(w.topics.fetchLog(), log(w, "at-limit-log", p))))));
            line(out, w.topics.fetchLog(), "c", RecordJson.toJson(log(w, "over-limit-log", pad(MAX_VALUE_BYTES + 1,
                    p -> ser.serialize(w.topics.fetchLog(), log(w, "over-limit-log", p))))));
            line(out, w.backfillTopic(), "at-limit-row", RecordJson.toJson(row(w, "at-limit-row", pad(MAX_VALUE_BYTES,
                    p -> ser.serialize(w.backfillTopic(), row(w, "at-limit-row", p))))));
            line(out, w.backfillTopic(), "over-limit-row", RecordJson.toJson(row(w, "over-limit-row", pad(MAX_VALUE_BYTES + 1,
                    p -> ser.serialize(w.backfillTopic(), row(w, "over-limit-row", p))))));
            // a 100 KB row key, through the log (re-keyed) and the backfill
            line(out, w.topics.fetchLog(), "c", RecordJson.toJson(log(w, bigKey, "")));
            line(out, w.backfillTopic(), bigKey, RecordJson.toJson(row(w, bigKey, "")));
        }
        Simulator.Result r;
        try (Simulator sim = new Simulator(w.definitions, "splice", new PrintWriter(new StringWriter()))) {
            r = sim.run(events, tmp.resolve("out"));
        }
        List<JsonNode> stitched = read(tmp.resolve("out/stitched.jsonl"));
        List<JsonNode> dlq = read(tmp.resolve("out/dlq.jsonl"));
        List<String> keys = new ArrayList<>();
        stitched.forEach(n -> keys.add(n.get("key").asText()));
        assertTrue(keys.containsAll(List.of("at-limit-log", "at-limit-row", bigKey)), "at the limits: stitched; got "
                + keys.stream().map(k -> k.length() > 20 ? k.substring(0, 20) + "…" : k).toList() + ", dlq " + dlq);
        assertEquals(2, r.dlq(), dlq.toString());
        for (JsonNode d : dlq) {
            assertEquals("too-large: value of " + (MAX_VALUE_BYTES + 1) + " bytes exceeds the limit of " + MAX_VALUE_BYTES
                    + " bytes (" + SpliceStreamsConfig.MAX_VALUE_BYTES + ")", d.get("error").asText().replaceAll(" \\(splice\\.[^ ]*-0@\\d+\\)$", ""));
        }
        JsonNode big = stitched.stream().filter(n -> n.get("key").asText().equals(bigKey)).reduce((a, b) -> b).orElseThrow();
        assertEquals("backfill", big.get("value").get("sources").get("cnt").asText());

        // and a limit that is no number of bytes is refused before anything starts
        Path bad = PropertiesFile.write(tmp.resolve("bad.properties"), Map.of(SpliceStreamsConfig.MAX_VALUE_BYTES, 0));
        StringWriter err = new StringWriter();
        assertEquals(1, cli(err, "run", "--definitions", Reliability.write(tmp.resolve("j.yaml"), Workload.yaml("splice")).toString(),
                "--config", bad.toString()));
        assertTrue(err.toString().contains("Invalid value 0 for configuration " + SpliceStreamsConfig.MAX_VALUE_BYTES), err.toString());
        System.out.printf("size limits: values of %d bytes stitched, %d bytes dead-lettered (%s); a %d-byte row key stitched%n",
                MAX_VALUE_BYTES, MAX_VALUE_BYTES + 1, dlq.get(0).get("error").asText(), bigKey.length());
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /** The padding that makes {@code encode(padding)} exactly {@code size} bytes. */
    private static String pad(int size, java.util.function.Function<String, byte[]> encode) {
        int base = encode.apply("").length;
        for (int n = size - base; n > size - base - 8; n--) {
            String p = "p".repeat(n);
            if (encode.apply(p).length == size) {
                return p;
            }
        }
        throw new IllegalStateException("cannot pad to " + size);
    }

    private static FetchLog log(Workload w, String row, String pad) {
        Map<String, String> context = new HashMap<>(Map.of("request_id", row));
        if (!pad.isEmpty()) {
            context.put("pad", pad);
        }
        return FetchLog.newBuilder().setJoin("payments").setVersion("v1").setTs(Workload.BASE_TS).setKeys(Map.of("card_id", "c"))
                .setContext(context).setValues(new HashMap<>(Map.of("risk", 0.5)))
                .setPartHashes(Map.of("risk_ext", w.hashes.get("risk_ext"))).build();
    }

    private static FeatureRow row(Workload w, String row, String pad) {
        Map<String, String> keys = new HashMap<>(Map.of("card_id", "c"));
        if (!pad.isEmpty()) {
            keys.put("pad", pad);
        }
        return FeatureRow.newBuilder().setRowKey(row).setTs(Workload.BASE_TS).setKeys(keys)
                .setValues(new HashMap<>(Map.of("cnt", 1L, "amt", 2.0))).setPartHashes(Map.of("card_txn", w.hashes.get("card_txn"))).build();
    }

    private static void line(BufferedWriter out, String topic, String key, JsonNode value) throws Exception {
        ObjectNode o = RecordJson.MAPPER.createObjectNode();
        o.put("topic", topic);
        o.put("key", key);
        o.set("value", value);
        out.write(o.toString());
        out.newLine();
    }

    private static List<JsonNode> read(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            out.add(RecordJson.MAPPER.readTree(l));
        }
        return out;
    }

    private static int cli(StringWriter both, String... args) {
        PrintWriter pw = new PrintWriter(both, true);
        return new CommandLine(new SpliceCli()).setOut(pw).setErr(pw).execute(args);
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
