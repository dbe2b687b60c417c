package io.splice.streams;

import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.InMemorySchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.internal.SpliceMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import io.splice.streams.internal.TopologyParts;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** The production topology in TopologyTestDriver with typed helpers, for Given/When/Then tests. */
final class TopologyHarness implements AutoCloseable {
    final Topics topics = Topics.defaults();
    final Definitions definitions;
    final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final Topology topology;
    private final TopologyTestDriver driver;
    private final Path stateDir;
    private final Map<String, TestInputTopic<byte[], byte[]>> inputs = new HashMap<>();
    private final SpliceAvroSerializer<SpecificRecord> serializer = new SpliceAvroSerializer<>(registry);
    private final SpliceAvroDeserializer<StitchedRecord> stitchedDeserializer = SpliceAvroDeserializer.of(registry, StitchedRecord.class);

    TopologyHarness(String yaml) throws Exception {
        this(yaml, Map.of());
    }

    TopologyHarness(String yaml, Map<String, Object> extraConfig) throws Exception {
        definitions = DefinitionsLoader.parse(yaml, "test.yaml", topics);
        Map<String, Object> props = new HashMap<>(extraConfig);
        props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, "mock://harness");
        props.put(SpliceStreamsConfig.TOPIC_PARTITIONS, 1);
        topology = SpliceTopology.build(new StreamsBuilder(), definitions, new SpliceStreamsConfig(props), registry,
                new SpliceMetrics(meters));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "harness");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        // TopologyTestDriver commits (and so flushes RocksDB's memtable to a new SST file) after every record: on a
        // tmpfs those flushes cost no disk sync, which makes a 25,000-row test minutes faster
        Path shm = Path.of("/dev/shm");
        Path state = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "splice-tt-state-") : Files.createTempDirectory(Path.of("target"), "tt-state-");
        stateDir = state;
        p.put(StreamsConfig.STATE_DIR_CONFIG, state.toAbsolutePath().toString());
        driver = new TopologyTestDriver(topology, p, Instant.EPOCH);
    }

    String hash(String joinId, String part) {
        return SemanticHasher.hashes(definitions).get(joinId).get(part);
    }

    void pipe(String topic, String key, SpecificRecord value) {
        raw(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value == null ? null : serializer.serialize(topic, value));
    }

    void raw(String topic, byte[] key, byte[] value) {
        raw(topic, key, value, 1_759_320_000_000L);
    }

    /** A record with its Kafka timestamp, which drives stream time (and so retention). */
    void raw(String topic, byte[] key, byte[] value, long timestampMs) {
        inputs.computeIfAbsent(topic, t -> driver.createInputTopic(t, new ByteArraySerializer(), new ByteArraySerializer()))
                .pipeInput(new TestRecord<>(key, value, null, Instant.ofEpochMilli(timestampMs)));
    }

    void pipe(String topic, String key, SpecificRecord value, long timestampMs) {
        raw(topic, key.getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, value), timestampMs);
    }

    /** Gauge value (e.g. splice.store.rows), NaN when absent. */
    double gauge(String name, String... tags) {
        var g = meters.find(name).tags(tags).gauge();
        return g == null ? Double.NaN : g.value();
    }

    void log(FetchLog log) {
        pipe(topics.fetchLog(), log.getContext().getOrDefault("request_id", "k"), log);
    }

    /** Drained stitched records of a topic, in emission order (value null: tombstone). */
    List<KeyValue<String, StitchedRecord>> stitched(String topic) {
        List<KeyValue<String, StitchedRecord>> out = new ArrayList<>();
        for (TestRecord<byte[], byte[]> r : driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                .readRecordsToList()) {
            out.add(KeyValue.pair(new String(r.key(), StandardCharsets.UTF_8),
                    r.value() == null ? null : stitchedDeserializer.deserialize(topic, r.value())));
        }
        return out;
    }

    /** Drained raw records of a topic, with their headers. */
    List<TestRecord<byte[], byte[]>> raw(String topic) {
        return driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer()).readRecordsToList();
    }

    List<TestRecord<byte[], byte[]>> dlq() {
        return driver.createOutputTopic(topics.dlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer()).readRecordsToList();
    }

    /** A timer (e.g. splice.merge.duration); fails the test when absent. */
    io.micrometer.core.instrument.Timer timer(String name, String... tags) {
        var t = meters.find(name).tags(tags).timer();
        if (t == null) {
            throw new AssertionError("no timer " + name + " " + List.of(tags) + " in " + meters.getMetersAsString());
        }
        return t;
    }

    double counter(String name, String... tags) {
        var c = meters.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    static FetchLog.Builder logOf(String join, String version, String requestId) {
        return FetchLog.newBuilder().setJoin(join).setVersion(version).setTs(1_759_320_000_000L)
                .setKeys(Map.of("card_id", "c1")).setContext(requestId == null ? Map.of() : Map.of("request_id", requestId))
                .setValues(Map.of()).setPartHashes(Map.of());
    }

    static FeatureRow row(String rowKey, Map<String, Object> values, Map<String, String> hashes) {
        return FeatureRow.newBuilder().setRowKey(rowKey).setTs(1_759_320_000_000L).setKeys(Map.of("card_id", "c1"))
                .setValues(values).setPartHashes(hashes).build();
    }

    /** Every entry of a join's row store, as bytes (the plan dictionary included). */
    Map<String, byte[]> store(String joinId) {
        Map<String, byte[]> out = new java.util.TreeMap<>();
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(TopologyParts.storeName(joinId));
        try (var it = store.all()) {
            it.forEachRemaining(kv -> out.put(kv.key, kv.value));
        }
        return out;
    }

    /** Puts entries into a join's row store, as a restore from its changelog would (state written by another run). */
    void restore(String joinId, Map<String, byte[]> entries) {
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(TopologyParts.storeName(joinId));
        entries.forEach(store::put);
    }

    /** Moves the app's wall clock (the driver starts it at the epoch). */
    void advanceWallClock(Duration by) {
        driver.advanceWallClockTime(by);
    }

    @Override
    public void close() {
        try {
            driver.close();
        } finally {
            io.splice.local.EmbeddedKafkaBroker.deleteRecursively(stateDir);
        }
    }
}
