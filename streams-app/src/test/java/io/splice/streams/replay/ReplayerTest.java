package io.splice.streams.replay;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splice.avro.FetchLog;
import io.splice.avro.json.RecordJson;
import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.cli.SpliceCli;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12 item 2: a replay counts only the records Kafka acknowledged, fails with one line when a send fails, and
 * selects logs by {@code FetchLog.ts} in both topic and file mode.
 */
@ExtendWith(SpliceStackExtension.class)
class ReplayerTest {
    static final Instant START = Instant.parse("2025-10-01T00:00:00Z");
    static final Instant END = Instant.parse("2025-10-02T00:00:00Z");

    @Test
    void aFailedSendFailsTheReplayAndCountsOnlyAcknowledgedRecords(StackEndpoints stack) throws Exception {
        // Given three logs of the range, the last one larger than the destination topic accepts
        // (and than the producer's batch.size, so that it fails alone: a batch of records that fits batch.size but not the
        // topic is split into itself again and again)
        String prefix = prefix();
        String from = prefix + ".fetch-log";
        String to = prefix + ".fetch-log.replay";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(from, 1, (short) 1),
                    new NewTopic(to, 1, (short) 1).configs(Map.of("max.message.bytes", "4096")))).all().get();
        }
        long ts = START.toEpochMilli() + 1000;
        produce(stack, from, List.of(
                new Sent("r1", ts, log("r1", ts, "")),
                new Sent("r2", ts + 1, log("r2", ts + 1, "")),
                new Sent("r3", ts + 2, log("r3", ts + 2, "x".repeat(20_000)))));

        // When they are replayed
        StringWriter out = new StringWriter();
        int code = cli(out, "replay", "--bootstrap-servers", stack.bootstrapServers(), "--schema-registry", stack.schemaRegistryUrl(),
                "--from", from, "--to", to, "--start", START.toString(), "--end", END.toString());

        // Then the replay fails with one line that names the destination and the cause, and counts only what was written
        List<String> lines = out.toString().lines().toList();
        assertEquals(1, code, out.toString());
        assertEquals(1, lines.size(), out.toString());
        String line = lines.get(0);
        System.out.println(line);
        assertTrue(line.startsWith("error: ") && line.contains(to) && line.contains("RecordTooLargeException"), line);
        Matcher wrote = Pattern.compile("wrote (\\d+) of 3").matcher(line);
        assertTrue(wrote.find(), line);
        Set<String> written = keys(stack, to);
        assertEquals(Set.of("r1", "r2"), written, "the small logs were written, the large one was not");
        assertEquals(written.size(), Integer.parseInt(wrote.group(1)), "the reported count is what Kafka acknowledged: " + line);
    }

    @Test
    void topicAndFileModeSelectTheSameLogsByFetchLogTs(StackEndpoints stack, @TempDir Path tmp) throws Exception {
        // Given logs whose Kafka timestamp (when they were produced) differs from their ts (when they were served)
        String prefix = prefix();
        String from = prefix + ".fetch-log";
        String toFromTopic = prefix + ".replay-a";
        String toFromFile = prefix + ".replay-b";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(from, 2, (short) 1), new NewTopic(toFromTopic, 2, (short) 1),
                    new NewTopic(toFromFile, 2, (short) 1))).all().get();
        }
        long hour = 3_600_000L;
        long s = START.toEpochMilli();
        long e = END.toEpochMilli();
        List<Sent> logs = List.of(
                new Sent("in-in", s + hour, log("in-in", s + hour, "")),                // served and produced in the range
                new Sent("in-late", e + hour, log("in-late", e - hour, "")),            // served in the range, produced after it
                new Sent("before-in", s + 2 * hour, log("before-in", s - hour, "")),    // served before, produced in the range
                new Sent("after-in", e - 2 * hour, log("after-in", e + hour, "")));     // served after, produced in the range
        produce(stack, from, logs);
        Path file = tmp.resolve("logs.jsonl");
        List<String> jsonl = new ArrayList<>();
        for (Sent l : logs) {
            ObjectNode line = RecordJson.MAPPER.createObjectNode();
            line.put("key", l.key());
            line.set("value", RecordJson.toJson(l.log()));
            jsonl.add(line.toString());
        }
        Files.write(file, jsonl);
        HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        Map<String, Object> client = Map.of("bootstrap.servers", stack.bootstrapServers());

        // When the range is replayed from the topic and from the file
        Replayer.Counts fromTopic = new Replayer(client, registry, START, END, null, false).fromTopic(from, toFromTopic);
        Replayer.Counts fromFile = new Replayer(client, registry, START, END, null, false).fromFile(file, toFromFile);

        // Then both select the logs served in the range, whenever they were produced
        assertEquals(new Replayer.Counts(4, 2, 2), fromTopic);
        assertEquals(new Replayer.Counts(4, 2, 2), fromFile);
        assertEquals(Set.of("in-in", "in-late"), keys(stack, toFromTopic));
        assertEquals(Set.of("in-in", "in-late"), keys(stack, toFromFile));
    }

    record Sent(String key, long kafkaTimestamp, FetchLog log) {
    }

    static FetchLog log(String requestId, long ts, String padding) {
        return FetchLog.newBuilder().setJoin("payments").setVersion("v1").setTs(ts)
                .setKeys(Map.of("card_id", "card-" + requestId)).setContext(Map.of("request_id", requestId))
                .setValues(padding.isEmpty() ? Map.of("risk", 0.5) : Map.of("risk", 0.5, "note", padding))
                .setPartHashes(Map.of()).build();
    }

    static String prefix() {
        return "rp" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    }

    static void produce(StackEndpoints stack, String topic, List<Sent> logs) throws Exception {
        try (KafkaProducer<String, FetchLog> p = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers(), "acks", "all"),
                new StringSerializer(), new SpliceAvroSerializer<>(new HttpSchemaRegistryClient(stack.schemaRegistryUrl())))) {
            for (Sent l : logs) {
                p.send(new ProducerRecord<>(topic, null, l.kafkaTimestamp(), l.key(), l.log())).get();
            }
        }
    }

    /** Keys of every record on the topic (read to its end offsets). */
    static Set<String> keys(StackEndpoints stack, String topic) {
        Set<String> keys = new TreeSet<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of("bootstrap.servers", stack.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = c.endOffsets(parts);
            while (parts.stream().anyMatch(p -> c.position(p) < ends.get(p))) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    keys.add(r.key());
                }
            }
        }
        return keys;
    }

    static int cli(StringWriter both, String... args) {
        PrintWriter pw = new PrintWriter(both, true);
        return new CommandLine(new SpliceCli()).setOut(pw).setErr(pw).execute(args);
    }
}
