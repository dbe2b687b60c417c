package io.splice.streams.simulate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;
import io.splice.avro.json.RecordJson;
import io.splice.avro.serde.InMemorySchemaRegistryClient;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.streams.SpliceTopology;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.internal.AvroLimits;
import io.splice.streams.internal.DlqHeaders;
import io.splice.streams.internal.SpliceMetrics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * {@code splice simulate}: runs the real topology in {@link TopologyTestDriver} over a JSONL file of input records
 * (DESIGN §6), with an in-memory registry so that every topic carries the real wire format, and writes what the
 * topology produced, in emission order, to {@code stitched.jsonl} and {@code dlq.jsonl}. Deterministic.
 */
public final class Simulator implements AutoCloseable {
    private static final ObjectMapper JSON = RecordJson.MAPPER;

    /** Counts of a run. */
    public record Result(int inputs, int stitched, int dlq, int skipped) {
    }

    private final Topics topics;
    private final SchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final TopologyTestDriver driver;
    private final Set<String> sourceTopics = new LinkedHashSet<>();
    private final Map<String, TestInputTopic<byte[], byte[]>> inputs = new HashMap<>();
    private final Map<String, TestOutputTopic<byte[], byte[]>> stitchedOutputs = new LinkedHashMap<>();
    private final TestOutputTopic<byte[], byte[]> dlqOutput;
    private final Set<String> backfillTopics = new LinkedHashSet<>();
    private final Map<String, List<String>> featureOrder = new HashMap<>();
    private final SpliceAvroSerializer<SpecificRecord> serializer = new SpliceAvroSerializer<>(registry);
    private final SpliceAvroDeserializer<StitchedRecord> stitchedDeserializer = SpliceAvroDeserializer.of(registry, StitchedRecord.class);
    private final Path stateDir;
    private final PrintWriter warnings;
    private long lastTs;
    /** The topic of every stitched record in the order the topology sent them, for the current input. */
    private final List<String> sendOrder = new ArrayList<>();

    public Simulator(Definitions definitions, String topicPrefix, PrintWriter warnings) throws IOException {
        this.topics = new Topics(topicPrefix);
        this.warnings = warnings;
        this.stateDir = Files.createTempDirectory("splice-simulate-");
        Map<String, Object> props = new HashMap<>();
        props.put(SpliceStreamsConfig.TOPIC_PREFIX, topicPrefix);
        props.put(SpliceStreamsConfig.TOPIC_PARTITIONS, 1);
        props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, "mock://simulate");
        // TopologyTestDriver commits after every record, and a RocksDB commit flushes a file: in memory it is ~100x faster.
        props.put(SpliceStreamsConfig.STATE_STORE, "in_memory");
        SpliceStreamsConfig config = new SpliceStreamsConfig(props);
        AvroLimits.atLeast(config.maxValueBytes()); // simulate is a process of its own: its Avro bounds, as splice run's
        // The serializer of stitched records sees every send, in order: the order across output topics (DESIGN §6).
        SpliceAvroSerializer<StitchedRecord> avro = new SpliceAvroSerializer<>(registry);
        Serializer<StitchedRecord> observed = new Serializer<>() {
            @Override
            public byte[] serialize(String topic, StitchedRecord record) {
                return serialize(topic, null, record);
            }

            @Override
            public byte[] serialize(String topic, Headers headers, StitchedRecord record) {
                sendOrder.add(topic);
                return avro.serialize(topic, headers, record);
            }
        };
        Topology topology = SpliceTopology.build(new StreamsBuilder(), definitions, config, registry, SpliceMetrics.noop(), observed);
        for (TopologyDescription.Subtopology st : topology.describe().subtopologies()) {
            for (TopologyDescription.Node n : st.nodes()) {
                if (n instanceof TopologyDescription.Source s && s.topicSet() != null) {
                    sourceTopics.addAll(s.topicSet());
                }
            }
        }
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "splice-simulate");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        this.driver = new TopologyTestDriver(topology, p, Instant.EPOCH);
        for (JoinDefinition j : definitions.joins()) {
            stitchedOutputs.put(topics.stitched(j), driver.createOutputTopic(topics.stitched(j),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer()));
            backfillTopics.add(topics.backfill(j));
            featureOrder.put(topics.stitched(j), j.features().stream().map(f -> f.name()).toList());
        }
        this.dlqOutput = driver.createOutputTopic(topics.dlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Runs every event of {@code events} and writes the outputs to {@code outDir}. */
    public Result run(Path events, Path outDir) throws IOException {
        Files.createDirectories(outDir);
        int inputs = 0, stitched = 0, dlq = 0, skipped = 0;
        try (BufferedReader in = Files.newBufferedReader(events, StandardCharsets.UTF_8);
             BufferedWriter stitchedOut = Files.newBufferedWriter(outDir.resolve("stitched.jsonl"), StandardCharsets.UTF_8);
             BufferedWriter dlqOut = Files.newBufferedWriter(outDir.resolve("dlq.jsonl"), StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode event;
                try {
                    event = JSON.readTree(line);
                } catch (IOException e) {
                    throw new IllegalArgumentException(events + " line " + lineNo + ": not valid JSON: " + e.getMessage());
                }
                if (!event.isObject() || !event.hasNonNull("topic")) {
                    throw new IllegalArgumentException(events + " line " + lineNo + ": expected {\"topic\": ..., \"key\": ..., \"value\"|\"raw\": ...}");
                }
                String topic = event.get("topic").asText();
                if (!sourceTopics.contains(topic)) {
                    warnings.println("warning: " + events + " line " + lineNo + ": no join reads topic '" + topic + "'; skipped");
                    skipped++;
                    continue;
                }
                pipe(topic, event, events + " line " + lineNo);
                inputs++;
                // Each output topic keeps its own order; the send order across them (one join's output read back by
                // another's bootstrap) comes from the topology, so the lines are in emission order (DESIGN §6).
                Map<String, Deque<TestRecord<byte[], byte[]>>> pending = new HashMap<>();
                stitchedOutputs.forEach((t, out) -> pending.put(t, new ArrayDeque<>(out.readRecordsToList())));
                List<Map.Entry<String, TestRecord<byte[], byte[]>>> inOrder = new ArrayList<>();
                for (String t : sendOrder) {
                    TestRecord<byte[], byte[]> r = pending.get(t).poll();
                    if (r != null) {
                        inOrder.add(Map.entry(t, r));
                    }
                }
                sendOrder.clear();
                pending.forEach((t, q) -> q.forEach(r -> inOrder.add(Map.entry(t, r)))); // none expected; never lost
                for (Map.Entry<String, TestRecord<byte[], byte[]>> e : inOrder) {
                    stitchedOut.write(stitchedLine(e.getKey(), e.getValue()).toString());
                    stitchedOut.newLine();
                    stitched++;
                }
                for (TestRecord<byte[], byte[]> r : dlqOutput.readRecordsToList()) {
                    dlqOut.write(dlqLine(r).toString());
                    dlqOut.newLine();
                    dlq++;
                }
            }
        }
        return new Result(inputs, stitched, dlq, skipped);
    }

    private void pipe(String topic, JsonNode event, String where) {
        JsonNode keyNode = event.get("key");
        byte[] key = keyNode == null || keyNode.isNull() ? null : keyNode.asText().getBytes(StandardCharsets.UTF_8);
        byte[] value;
        long ts = lastTs;
        if (event.hasNonNull("raw")) {
            value = Base64.getDecoder().decode(event.get("raw").asText());
        } else {
            JsonNode v = event.get("value");
            if (v == null || v.isNull()) {
                value = null;
            } else {
                if (v.hasNonNull("ts") && v.get("ts").canConvertToLong()) {
                    ts = Math.max(0, v.get("ts").asLong());
                }
                value = encode(topic, v, keyNode == null || keyNode.isNull() ? null : keyNode.asText(), where);
            }
        }
        lastTs = ts;
        inputs.computeIfAbsent(topic, t -> driver.createInputTopic(t, new ByteArraySerializer(), new ByteArraySerializer()))
                .pipeInput(new TestRecord<>(key, value, null, Instant.ofEpochMilli(ts)));
    }

    /** Encodes a JSON value in the wire format of its topic; JSON that fits no record is sent as raw bytes. */
    private byte[] encode(String topic, JsonNode v, String key, String where) {
        try {
            SpecificRecord record;
            if (topic.equals(topics.fetchLog()) || topic.equals(topics.fetchLogReplay())) {
                FetchLog log = RecordJson.fetchLog(v);
                record = log;
            } else if (!backfillTopics.contains(topic) && RecordJson.isStitched(v)) {
                record = RecordJson.stitchedRecord(v, key);
            } else {
                record = RecordJson.featureRow(v, key);
            }
            return serializer.serialize(topic, record);
        } catch (IllegalArgumentException e) {
            warnings.println("warning: " + where + ": value does not fit the topic's record (" + e.getMessage()
                    + "); sent as raw bytes");
            return v.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    private ObjectNode stitchedLine(String topic, TestRecord<byte[], byte[]> r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("topic", topic);
        o.put("key", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
        if (r.value() == null) {
            o.putNull("value");
        } else {
            ObjectNode value = RecordJson.toJson(stitchedDeserializer.deserialize(topic, r.value()));
            inDefinitionOrder(value, "values", featureOrder.get(topic));
            inDefinitionOrder(value, "sources", featureOrder.get(topic));
            o.set("value", value);
        }
        return o;
    }

    /** Lists features in definition order (Avro maps carry no order), so outputs read like the definition. */
    private static void inDefinitionOrder(ObjectNode record, String field, List<String> order) {
        JsonNode m = record.get(field);
        ObjectNode sorted = JSON.createObjectNode();
        order.forEach(f -> {
            if (m.has(f)) {
                sorted.set(f, m.get(f));
            }
        });
        m.fields().forEachRemaining(e -> sorted.putIfAbsent(e.getKey(), e.getValue()));
        record.set(field, sorted);
    }

    private ObjectNode dlqLine(TestRecord<byte[], byte[]> r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("topic", topics.dlq());
        o.put("key", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
        o.put("error", DlqHeaders.get(r.headers(), DlqHeaders.ERROR));
        o.put("source_topic", DlqHeaders.get(r.headers(), DlqHeaders.SOURCE_TOPIC));
        String partition = DlqHeaders.get(r.headers(), DlqHeaders.SOURCE_PARTITION);
        String offset = DlqHeaders.get(r.headers(), DlqHeaders.SOURCE_OFFSET);
        if (partition != null) {
            o.put("source_partition", Integer.parseInt(partition));
        }
        if (offset != null) {
            o.put("source_offset", Long.parseLong(offset));
        }
        return o;
    }

    @Override
    public void close() {
        try {
            driver.close();
        } finally {
            deleteRecursively(stateDir);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (var walk = Files.walk(dir)) {
            List<Path> paths = new ArrayList<>(walk.toList());
            java.util.Collections.reverse(paths);
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort: a temp dir
        }
    }
}
