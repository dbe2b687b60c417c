package io.splice.streams.reliability;

import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.avro.serde.InMemorySchemaRegistryClient;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SchemaRegistryException;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.avro.serde.WireFormat;
import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.SpliceTopology;
import io.splice.streams.TestApp;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.internal.DlqHeaders;
import io.splice.streams.internal.SpliceMetrics;
import io.splice.streams.runtime.SpliceRuntime;
import io.splice.testing.Kafka;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #8 (3): bad records of many kinds on every input topic (log, replay, backfill, bootstrap) of a running app on
 * a real broker and registry. Each lands in the DLQ with a reason naming the problem and its source offset; every
 * good record around them is stitched; the app stays RUNNING throughout.
 */
@Tag(Reliability.TAG)
@ExtendWith(SpliceStackExtension.class)
class PoisonPillTest {
    static final int PARTITIONS = 2;

    /** A bad record we sent: where it landed and what the DLQ must say about it. */
    record Sent(String kind, String topic, int partition, long offset, String reason, String mentions) {
    }

    private final List<Sent> sent = new ArrayList<>();
    private final List<String> goodRows = new ArrayList<>();
    private KafkaProducer<byte[], byte[]> producer;
    private SchemaRegistryClient registry;
    private SpliceAvroSerializer<SpecificRecord> serializer;
    private Map<String, String> hashes;
    private Topics topics;
    private Definitions defs;

    @Test
    void everyKindOfBadRecordOnEveryInputGoesToTheDlqAndTheAppKeepsRunning(StackEndpoints stack, @TempDir Path tmp) throws Exception {
        long t0 = System.nanoTime();
        String prefix = Kafka.uniquePrefix("poison");
        Workload w = new Workload(prefix);
        defs = w.definitions;
        topics = w.topics;
        hashes = w.hashes;
        Map<String, Object> props = TestApp.props(stack.bootstrapServers(), stack.schemaRegistryUrl(), prefix, PARTITIONS,
                tmp.resolve("state"));
        // producers key logs by row key here, so a log whose key is missing or not its row key is a bad record too
        props.put(SpliceStreamsConfig.LOG_KEYED_BY_ROW_KEY, true);
        // small enough that one record with a 70 KB key map makes a row too large
        props.put(SpliceStreamsConfig.MAX_ROW_BYTES, 64 * 1024);
        Map<String, Object> client = Map.of("bootstrap.servers", stack.bootstrapServers());
        try (Admin admin = Admin.create(client)) {
            // a bootstrap table kept on a non-compacted topic (allowed), where a null key can reach the app
            admin.createTopics(List.of(new NewTopic(w.bootstrapTopic, PARTITIONS, (short) 1)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE)))).all().get();
        }
        TestApp.createTopics(defs, props);
        registry = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        serializer = new SpliceAvroSerializer<>(registry);

        List<String> awayFromRunning = Collections.synchronizedList(new ArrayList<>());
        List<String> transitions = Collections.synchronizedList(new ArrayList<>());
        boolean[] running = {false};
        try (SpliceRuntime app = new SpliceRuntime(defs, new SpliceStreamsConfig(props)).onStateChange((now, before) -> {
            transitions.add(before + "->" + now);
            if (now == KafkaStreams.State.RUNNING) {
                running[0] = true;
            } else if (running[0]) {
                awayFromRunning.add(before + "->" + now);
            }
        }).start();
             KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers(),
                     "acks", "all", "max.request.size", 2 * 1024 * 1024), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer = p;
            await().atMost(Duration.ofMinutes(1)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);

            // When bad records, each between good ones, arrive on every input topic
            logTopicKinds(topics.fetchLog(), "log");
            logTopicKinds(topics.fetchLogReplay(), "replay");
            compactedTopicKinds(w.backfillTopic(), "bf", true);
            compactedTopicKinds(w.bootstrapTopic, "bs", false);
            String nullKeyOnCompacted = nullKeyIsRefusedOnACompactedTopic(w.backfillTopic());

            // Then every bad record is in the DLQ with its reason and source offset
            Map<String, ConsumerRecord<byte[], byte[]>> dlq = new HashMap<>();
            try (KafkaConsumer<byte[], byte[]> consumer = committedConsumer(stack)) {
                consumer.subscribe(List.of(topics.dlq()));
                await("every bad record in the DLQ").atMost(Duration.ofMinutes(2)).until(() -> {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        dlq.put(DlqHeaders.get(r.headers(), DlqHeaders.SOURCE_TOPIC) + "-" + DlqHeaders.get(r.headers(), DlqHeaders.SOURCE_PARTITION)
                                + "@" + DlqHeaders.get(r.headers(), DlqHeaders.SOURCE_OFFSET), r);
                    }
                    return dlq.size() >= sent.size();
                });
            }
            assertEquals(sent.size(), dlq.size(), "one DLQ record per bad record, nothing else");
            Map<String, Integer> kindsByTopic = new LinkedHashMap<>();
            for (Sent s : sent) {
                String where = s.topic() + "-" + s.partition() + "@" + s.offset();
                ConsumerRecord<byte[], byte[]> r = dlq.get(where);
                assertTrue(r != null, s.kind() + " on " + s.topic() + " is in the DLQ at its source offset " + where);
                String error = DlqHeaders.get(r.headers(), DlqHeaders.ERROR);
                assertTrue(error.startsWith(s.reason() + ": "), s.kind() + ": reason " + s.reason() + " in '" + error + "'");
                assertTrue(error.contains(s.mentions()), s.kind() + ": '" + error + "' mentions '" + s.mentions() + "'");
                assertTrue(error.endsWith("(" + where + ")"), s.kind() + ": '" + error + "' names the source offset");
                kindsByTopic.merge(s.topic(), 1, Integer::sum);
            }
            kindsByTopic.values().forEach(n -> assertTrue(n >= 12, "at least 12 kinds on every input topic: " + kindsByTopic));

            // and every good record around them is stitched
            try (StitchedView.KafkaReader reader = new StitchedView.KafkaReader(client, registry, w.stitchedTopic())) {
                await("every good record stitched").atMost(Duration.ofMinutes(1))
                        .until(() -> reader.poll().latest.keySet().containsAll(goodRows));
                StitchedView v = reader.poll(Duration.ofMillis(500));
                assertEquals(goodRows.size(), v.latest.size(), "nothing but the good rows: " + v.latest.keySet());
                assertEquals(List.of(), v.violations);
                // a bootstrap record between bad ones counts, and the extra column of a table is ignored
                assertTrue(v.latest.get("bs-g3").contains("cnt=bootstrap:" + w.bootstrapTopic), v.latest.get("bs-g3"));
                assertTrue(v.latest.get("bf-extra").contains("cnt=backfill") && !v.latest.get("bf-extra").contains("nope"),
                        v.latest.get("bf-extra"));
            }
            // and the app stayed RUNNING throughout
            assertEquals(KafkaStreams.State.RUNNING, app.streams().state());
            assertEquals(List.of(), awayFromRunning, "state transitions away from RUNNING (all: " + transitions + ")");
            System.out.printf("poison pills: %d bad records (%s per topic) all in %s with reason and offset; %d good rows "
                            + "stitched; null key on compacted topic refused by the broker: %s; states %s; %d s%n",
                    sent.size(), kindsByTopic, topics.dlq(), goodRows.size(), nullKeyOnCompacted, transitions,
                    (System.nanoTime() - t0) / 1_000_000_000);
        }
    }

    /** A registry outage is not the record's fault: the task fails and retries; nothing good is dead-lettered. */
    @Test
    void aRegistryOutageDoesNotDeadLetterGoodRecords(@TempDir Path tmp) {
        Topics t = Topics.defaults();
        Definitions d = DefinitionsLoader.parse(Workload.yaml("splice"), "outage.yaml", t);
        InMemorySchemaRegistryClient real = new InMemorySchemaRegistryClient();
        boolean[] down = {true};
        SchemaRegistryClient flaky = new SchemaRegistryClient() {
            public int register(String subject, Schema schema) {
                return real.register(subject, schema);
            }

            public int lookup(String subject, Schema schema) {
                return real.lookup(subject, schema);
            }

            public Schema getById(int id) {
                if (down[0]) {
                    throw new SchemaRegistryException("Schema registry at http://registry:8081 is unreachable while fetching "
                            + "schema id " + id + ": ConnectException", -1);
                }
                return real.getById(id);
            }
        };
        Map<String, Object> cfg = Map.of(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, "mock://outage", SpliceStreamsConfig.TOPIC_PARTITIONS, 1);
        var topology = SpliceTopology.build(new StreamsBuilder(), d, new SpliceStreamsConfig(cfg), flaky, SpliceMetrics.noop());
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "outage");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        p.put(StreamsConfig.STATE_DIR_CONFIG, tmp.toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, p, Instant.EPOCH)) {
            byte[] good = new SpliceAvroSerializer<>(real).serialize(t.fetchLog(), FetchLog.newBuilder().setJoin("payments")
                    .setVersion("v1").setTs(1L).setKeys(Map.of("card_id", "c")).setContext(Map.of("request_id", "r1"))
                    .setValues(Map.of()).setPartHashes(Map.of()).build());
            var in = driver.createInputTopic(t.fetchLog(), new ByteArraySerializer(), new ByteArraySerializer());
            assertThrows(RuntimeException.class, () -> in.pipeInput(new TestRecord<>("c".getBytes(StandardCharsets.UTF_8), good)));
            var dlq = driver.createOutputTopic(t.dlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            assertTrue(dlq.isEmpty(), "a good record is not dead-lettered while the registry is down");
        }
    }

    // ---- the kinds -------------------------------------------------------------------------------------------

    private void logTopicKinds(String topic, String tag) throws Exception {
        int g = 0;
        goodLog(topic, tag + "-g" + g++);
        bad("not Avro", topic, "r", "this is not avro".getBytes(StandardCharsets.UTF_8), "undecodable", "magic byte");
        goodLog(topic, tag + "-g" + g++);
        bad("unknown schema id", topic, "r", WireFormat.frame(987_654_321, new byte[]{2, 'x'}), "undecodable", "987654321");
        goodLog(topic, tag + "-g" + g++);
        bad("schema id of another record type", topic, "r", serializer.serialize(topics.backfill(defs.joins().get(0)),
                row("r", Map.of("cnt", 1L))), "undecodable", "FeatureRow");
        goodLog(topic, tag + "-g" + g++);
        byte[] whole = serializer.serialize(topic, log("r-trunc", Map.of("risk", 0.5)));
        bad("truncated Avro", topic, "r-trunc", Arrays.copyOf(whole, whole.length - 8), "undecodable", "Malformed Avro");
        goodLog(topic, tag + "-g" + g++);
        bad("corrupt length (a 2 GB string)", topic, "r", WireFormat.frame(registry.register(topic + "-value", FetchLog.getClassSchema()),
                hugeStringLength()), "undecodable", "exceeds maximum allowed");
        goodLog(topic, tag + "-g" + g++);
        bad("null key where one is needed", topic, (byte[]) null, serializer.serialize(topic, log("r-nokey", Map.of())), "missing-key", "no key");
        goodLog(topic, tag + "-g" + g++);
        bad("key is not the row key", topic, "other", serializer.serialize(topic, log("r-k", Map.of())), "bad-key", "row key");
        goodLog(topic, tag + "-g" + g++);
        FetchLog noRowId = FetchLog.newBuilder(log("x", Map.of())).setContext(Map.of()).build();
        bad("missing row id", topic, "x", serializer.serialize(topic, noRowId), "missing-row-id", "request_id");
        goodLog(topic, tag + "-g" + g++);
        bad("wrong type", topic, "r-wt", serializer.serialize(topic, log("r-wt", Map.of("cnt", "three"))), "wrong-type", "'cnt'");
        goodLog(topic, tag + "-g" + g++);
        bad("unknown feature", topic, "r-uf", serializer.serialize(topic, log("r-uf", Map.of("nope", 1L))), "unknown-feature", "'nope'");
        goodLog(topic, tag + "-g" + g++);
        FetchLog big = FetchLog.newBuilder(log("r-big", Map.of())).setContext(Map.of("request_id", "r-big", "pad", "x".repeat(360_000))).build();
        bad("value over the size limit", topic, "r-big", serializer.serialize(topic, big), "too-large", "splice.max.value.bytes");
        goodLog(topic, tag + "-g" + g++);
        bad("timestamp missing", topic, "r", withoutTs(topic, "FetchLog"), "undecodable", "missing required field ts");
        goodLog(topic, tag + "-g" + g++);
        bad("negative timestamp", topic, "r-neg", serializer.serialize(topic, FetchLog.newBuilder(log("r-neg", Map.of())).setTs(-5).build()),
                "bad-timestamp", "-5");
        goodLog(topic, tag + "-g" + g++);
        bad("invalid UTF-8 key", topic, new byte[]{(byte) 0xc3, (byte) 0x28}, serializer.serialize(topic, log("r", Map.of())), "bad-key", "UTF-8");
        goodLog(topic, tag + "-g" + g++);
        bad("null value on a non-compacted topic", topic, "r", (byte[]) null, "empty-value", "not compacted");
        goodLog(topic, tag + "-g" + g++);
        bad("empty value on a non-compacted topic", topic, "r", new byte[0], "empty-value", "not compacted");
        goodLog(topic, tag + "-g" + g++);
        FetchLog wide = FetchLog.newBuilder(log("r-wide", Map.of())).setKeys(Map.of("card_id", "c", "pad", "w".repeat(70_000))).build();
        bad("row over splice.max.row.bytes", topic, "r-wide", serializer.serialize(topic, wide), "row-too-large", "splice.max.row.bytes");
        goodLog(topic, tag + "-g" + g++);
        bad("trailing bytes", topic, "r-tr", concat(serializer.serialize(topic, log("r-tr", Map.of())), new byte[]{1, 2, 3}),
                "undecodable", "trailing bytes");
        goodLog(topic, tag + "-g" + g);
    }

    private void compactedTopicKinds(String topic, String tag, boolean backfill) throws Exception {
        int g = 0;
        good(topic, tag, g++, backfill);
        bad("not Avro", topic, "r", "{\"row_key\": \"r\"}".getBytes(StandardCharsets.UTF_8), "undecodable", "magic byte");
        good(topic, tag, g++, backfill);
        bad("unknown schema id", topic, "r", WireFormat.frame(987_654_322, new byte[]{2, 'r'}), "undecodable", "987654322");
        good(topic, tag, g++, backfill);
        bad("schema id of another record type", topic, "r", serializer.serialize(topics.fetchLog(), log("r", Map.of())),
                "undecodable", "FetchLog");
        good(topic, tag, g++, backfill);
        byte[] whole = serializer.serialize(topic, row("r", Map.of("cnt", 1L)));
        bad("truncated Avro", topic, "r", Arrays.copyOf(whole, whole.length - 6), "undecodable", "Malformed Avro");
        good(topic, tag, g++, backfill);
        bad("corrupt length (a 2 GB string)", topic, "r", WireFormat.frame(registry.register(topic + "-value", FeatureRow.getClassSchema()),
                hugeStringLength()), "undecodable", "exceeds maximum allowed");
        good(topic, tag, g++, backfill);
        if (!backfill) {
            // the backfill topic is compacted, and the broker itself refuses a null key there (checked below)
            bad("null key where one is needed", topic, (byte[]) null, serializer.serialize(topic, row("r", Map.of("cnt", 1L))), "missing-key", "no key");
            good(topic, tag, g++, backfill);
        }
        bad("missing row id", topic, "r", serializer.serialize(topic, row("", Map.of("cnt", 1L))), "missing-row-id", "empty row_key");
        good(topic, tag, g++, backfill);
        bad("row_key differs from the key", topic, "r1", serializer.serialize(topic, row("r2", Map.of("cnt", 1L))), "bad-key", "differs");
        good(topic, tag, g++, backfill);
        bad("wrong type", topic, "r", serializer.serialize(topic, row("r", Map.of("cnt", 1.5))), "wrong-type", "'cnt'");
        good(topic, tag, g++, backfill);
        Map<String, Object> big = new HashMap<>(Map.of("cnt", 1L));
        bad("value over the size limit", topic, "r", serializer.serialize(topic, FeatureRow.newBuilder(row("r", big))
                .setKeys(Map.of("pad", "y".repeat(400_000))).build()), "too-large", "splice.max.value.bytes");
        good(topic, tag, g++, backfill);
        bad("timestamp missing", topic, "r", withoutTs(topic, "FeatureRow"), "undecodable", "missing required field ts");
        good(topic, tag, g++, backfill);
        bad("negative timestamp", topic, "r", serializer.serialize(topic, FeatureRow.newBuilder(row("r", Map.of("cnt", 1L))).setTs(-7).build()),
                "bad-timestamp", "-7");
        good(topic, tag, g++, backfill);
        bad("invalid UTF-8 key", topic, new byte[]{(byte) 0xff, 'r'}, serializer.serialize(topic, row("r", Map.of("cnt", 1L))), "bad-key", "UTF-8");
        good(topic, tag, g++, backfill);
        bad("empty (0-byte) value, not a tombstone", topic, "r", new byte[0], "empty-value", "0-byte");
        good(topic, tag, g++, backfill);
        bad("row over splice.max.row.bytes", topic, "r-wide", serializer.serialize(topic, FeatureRow.newBuilder(row("r-wide", Map.of("cnt", 1L)))
                .setKeys(Map.of("card_id", "c", "pad", "w".repeat(70_000))).build()), "row-too-large", "splice.max.row.bytes");
        good(topic, tag, g++, backfill);
        bad("trailing bytes", topic, "r", concat(serializer.serialize(topic, row("r", Map.of("cnt", 1L))), new byte[]{9}),
                "undecodable", "trailing bytes");
        good(topic, tag, g, backfill);
        if (backfill) {
            // an unknown feature in a backfill or bootstrap table is an extra column: ignored, not an error (DESIGN §5.10)
            goodRows.add("bf-extra");
            send(topic, "bf-extra", serializer.serialize(topic, row("bf-extra", Map.of("cnt", 4L, "nope", "label"))));
        }
    }

    /** Kafka itself refuses a record without a key on a compacted topic: it never reaches the app. */
    private String nullKeyIsRefusedOnACompactedTopic(String topic) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> producer.send(new ProducerRecord<>(topic, null,
                serializer.serialize(topic, row("r", Map.of("cnt", 1L))))).get());
        assertTrue(e.getCause().getMessage().toLowerCase().contains("key"), e.getCause().toString());
        return e.getCause().getClass().getSimpleName();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private void goodLog(String topic, String row) throws Exception {
        goodRows.add(row);
        send(topic, row, serializer.serialize(topic, log(row, Map.of("risk", 0.25))));
    }

    private void good(String topic, String tag, int i, boolean backfill) throws Exception {
        String row = tag + "-g" + i;
        goodRows.add(row);
        if (!backfill) {
            send(topics.fetchLog(), row, serializer.serialize(topics.fetchLog(), log(row, Map.of("risk", 0.5)))); // the row's log
        }
        send(topic, row, serializer.serialize(topic, row(row, Map.of("cnt", (long) i, "amt", 1.0))));
    }

    private void bad(String kind, String topic, String key, byte[] value, String reason, String mentions) throws Exception {
        bad(kind, topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value, reason, mentions);
    }

    private void bad(String kind, String topic, byte[] key, byte[] value, String reason, String mentions) throws Exception {
        RecordMetadata m = send(topic, key, value);
        sent.add(new Sent(kind, topic, m.partition(), m.offset(), reason, mentions));
    }

    private RecordMetadata send(String topic, String key, byte[] value) throws Exception {
        return send(topic, key.getBytes(StandardCharsets.UTF_8), value);
    }

    private RecordMetadata send(String topic, byte[] key, byte[] value) throws Exception {
        return producer.send(new ProducerRecord<>(topic, key, value)).get();
    }

    private FetchLog log(String row, Map<String, Object> values) {
        Map<String, String> logged = new HashMap<>();
        logged.put("risk_ext", hashes.get("risk_ext"));
        return FetchLog.newBuilder().setJoin("payments").setVersion("v1").setTs(Workload.BASE_TS)
                .setKeys(Map.of("card_id", "c1")).setContext(Map.of("request_id", row))
                .setValues(new HashMap<>(values)).setPartHashes(logged).build();
    }

    private FeatureRow row(String row, Map<String, Object> values) {
        return FeatureRow.newBuilder().setRowKey(row).setTs(Workload.BASE_TS).setKeys(Map.of("card_id", "c1"))
                .setValues(new HashMap<>(values)).setPartHashes(Map.of("card_txn", hashes.get("card_txn"))).build();
    }

    /** A record named like the real one (so the reader resolves it) whose writer schema has no {@code ts}. */
    private byte[] withoutTs(String topic, String name) throws IOException {
        boolean log = name.equals("FetchLog");
        Schema legacy = log
                ? SchemaBuilder.record(name).namespace("io.splice.avro").fields().requiredString("join").requiredString("version").endRecord()
                : SchemaBuilder.record(name).namespace("io.splice.avro").fields().requiredString("row_key").endRecord();
        int id = registry.register(topic + "-legacy-" + UUID.randomUUID() + "-value", legacy);
        GenericRecord r = new GenericData.Record(legacy);
        if (log) {
            r.put("join", "payments");
            r.put("version", "v1");
        } else {
            r.put("row_key", "r");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(legacy).write(r, enc);
        enc.flush();
        return WireFormat.frame(id, out.toByteArray());
    }

    /** An Avro body whose first string claims to be about 2 GB long (Avro would allocate that much unbounded). */
    private static byte[] hugeStringLength() {
        long n = 2_000_000_000L;
        long z = (n << 1) ^ (n >> 63);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((z & ~0x7FL) != 0) {
            out.write((int) ((z & 0x7F) | 0x80));
            z >>>= 7;
        }
        out.write((int) z);
        out.write(new byte[]{'a', 'b', 'c'}, 0, 3);
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static KafkaConsumer<byte[], byte[]> committedConsumer(StackEndpoints stack) {
        return new KafkaConsumer<>(Map.of("bootstrap.servers", stack.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.GROUP_ID_CONFIG, "poison-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
