package io.splice.streams.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import io.splice.avro.StitchedRecord;
import io.splice.avro.json.RecordJson;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.core.api.Definitions;
import io.splice.streams.simulate.Simulator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The content of a stitched topic as the tests compare it: per row key, the last record's values and sources in a
 * canonical text form (null for a tombstone), plus every violation of "revisions 1..n, no gap, no repeat" seen while
 * reading. Fed either from Kafka (read_committed) or from the {@code stitched.jsonl} of {@link Simulator}.
 */
final class StitchedView {
    final Map<String, String> latest = new HashMap<>();
    final Map<String, Long> lastRevision = new HashMap<>();
    final List<String> violations = new ArrayList<>();
    /** Per row key, its last live record (the values a store that ignores deletions keeps). */
    final Map<String, JsonNode> lastLive = new HashMap<>();
    long records;
    long maxRevision;

    static String canonical(JsonNode values, JsonNode sources) {
        Map<String, String> v = new TreeMap<>();
        values.fields().forEachRemaining(e -> v.put(e.getKey(), e.getValue().toString()));
        Map<String, String> s = new TreeMap<>();
        sources.fields().forEachRemaining(e -> s.put(e.getKey(), e.getValue().asText()));
        return "values=" + v + " sources=" + s;
    }

    void add(String key, JsonNode value) {
        records++;
        if (value == null || value.isNull()) {
            latest.put(key, null);
            return;
        }
        long revision = value.get("revision").asLong();
        long expected = lastRevision.getOrDefault(key, 0L) + 1;
        if (revision != expected && violations.size() < 20) {
            violations.add(key + ": revision " + revision + " after " + (expected - 1));
        }
        lastRevision.put(key, revision);
        lastLive.put(key, value);
        maxRevision = Math.max(maxRevision, revision);
        latest.put(key, canonical(value.get("values"), value.get("sources")));
    }

    int liveRows() {
        return (int) latest.values().stream().filter(Objects::nonNull).count();
    }

    /** What differs from {@code expected}, at most a few lines; empty when equal. */
    String diff(StitchedView expected) {
        List<String> out = new ArrayList<>();
        for (var e : expected.latest.entrySet()) {
            if (!latest.containsKey(e.getKey())) {
                out.add("missing " + e.getKey() + " (expected " + e.getValue() + ")");
            } else if (!Objects.equals(latest.get(e.getKey()), e.getValue())) {
                out.add(e.getKey() + ": got " + latest.get(e.getKey()) + ", expected " + e.getValue());
            }
        }
        for (String k : latest.keySet()) {
            if (!expected.latest.containsKey(k)) {
                out.add("extra " + k + " = " + latest.get(k));
            }
        }
        return out.size() > 10 ? out.subList(0, 10) + " … (" + out.size() + " differences)" : String.join("\n", out);
    }

    /** {@link #simulate} in the background (the tests run the app meanwhile). */
    static java.util.concurrent.CompletableFuture<StitchedView> simulateAsync(Definitions defs, String prefix, Path events,
                                                                              Path outDir) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return simulate(defs, prefix, events, outDir);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** This view (read from the stitched topic) equals {@code want} (the simulation), with revisions 1..n per row. */
    void assertMatches(StitchedView want) {
        org.junit.jupiter.api.Assertions.assertEquals("", diff(want), "stitched topic vs splice simulate");
        org.junit.jupiter.api.Assertions.assertEquals(List.of(), violations, "revisions 1..n per row, no gap, no repeat");
    }

    /** Runs {@code splice simulate}'s engine over {@code events} and reads its {@code stitched.jsonl} (every topic). */
    static StitchedView simulate(Definitions defs, String prefix, Path events, Path outDir) throws IOException {
        StringWriter warnings = new StringWriter();
        try (Simulator sim = new Simulator(defs, prefix, new PrintWriter(warnings, true))) {
            sim.run(events, outDir);
        }
        return read(outDir.resolve("stitched.jsonl"), null);
    }

    /** The simulation's output of one stitched {@code topic} (after {@link #simulate} wrote {@code outDir}). */
    static StitchedView simulated(Path outDir, String topic) throws IOException {
        return read(outDir.resolve("stitched.jsonl"), topic);
    }

    /** The simulation's dead letters as {@code source topic / key} (after {@link #simulate} wrote {@code outDir}). */
    static List<String> simulatedDeadLetters(Path outDir) throws IOException {
        List<String> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(outDir.resolve("dlq.jsonl"), StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode n = RecordJson.MAPPER.readTree(line);
                out.add(n.get("source_topic").asText() + " / " + n.get("key").asText());
            }
        }
        out.sort(null);
        return out;
    }

    private static StitchedView read(Path stitched, String topic) throws IOException {
        StitchedView view = new StitchedView();
        try (BufferedReader in = Files.newBufferedReader(stitched, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode n = RecordJson.MAPPER.readTree(line);
                if (topic == null || topic.equals(n.get("topic").asText())) {
                    view.add(n.get("key").asText(), n.get("value"));
                }
            }
        }
        return view;
    }

    /** Reads a stitched topic from the beginning with {@code read_committed}; {@link #poll()} adds what is new. */
    static final class KafkaReader implements AutoCloseable {
        final StitchedView view = new StitchedView();
        /** Per partition, the offsets of the committed records read (what a sink must hold, each once). */
        final Map<Integer, java.util.Set<Long>> offsets = new HashMap<>();
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final SpliceAvroDeserializer<StitchedRecord> deserializer;
        private final String topic;

        KafkaReader(Map<String, Object> clientProps, SchemaRegistryClient registry, String topic) {
            Map<String, Object> c = new HashMap<>(clientProps);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            this.deserializer = SpliceAvroDeserializer.of(registry, StitchedRecord.class);
            this.topic = topic;
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                parts.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
        }

        /** Polls once (up to {@code wait}); returns the view. */
        StitchedView poll(Duration wait) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait)) {
                offsets.computeIfAbsent(r.partition(), p -> new java.util.HashSet<>()).add(r.offset());
                String key = new String(r.key(), StandardCharsets.UTF_8);
                view.add(key, r.value() == null ? null : RecordJson.toJson(deserializer.deserialize(topic, r.value())));
            }
            return view;
        }

        String topic() {
            return topic;
        }

        StitchedView poll() {
            return poll(Duration.ofMillis(200));
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public String toString() {
        return latest.size() + " rows (" + liveRows() + " live), " + records + " records, max revision " + maxRevision
                + (violations.isEmpty() ? "" : ", violations " + violations.stream().collect(Collectors.joining("; ")));
    }
}
