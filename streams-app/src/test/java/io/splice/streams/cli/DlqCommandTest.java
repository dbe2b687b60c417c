package io.splice.streams.cli;

import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.core.api.DeadLetterHeaders;
import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.TestApp;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.SpliceRuntime;
import io.splice.testing.Feature;
import io.splice.testing.JoinYaml;
import io.splice.testing.Joins;
import io.splice.testing.Kafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18.6: {@code splice dlq list|show|redrive} on dead letters shaped as the app writes them: counts by reason and
 * source topic, a record shown by its source offset, a redrive of the log dead letters to the replay topic with
 * {@code splice.redriven.from}, a dry run that sends nothing, and a second redrive of the same selection that sends
 * nothing new; row-evicted dead letters (no original bytes) are never redriven. And the whole scenario on a running
 * app: dead letters fixed by a definitions change are redriven and stitched, the rest stay.
 */
@ExtendWith(SpliceStackExtension.class)
class DlqCommandTest {

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = SpliceCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void listShowAndRedriveIdempotently(StackEndpoints stack) throws Exception {
        String prefix = Kafka.uniquePrefix("dlq");
        Topics topics = new Topics(prefix);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topics.dlq(), 1, (short) 1), new NewTopic(topics.fetchLog(), 2, (short) 1),
                    new NewTopic(topics.fetchLogReplay(), 2, (short) 1))).all().get();
        }
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            dead(p, topics, "undecodable", topics.fetchLog(), 0, 5, "card-1", "not avro", Map.of("traceparent", "t-5"));
            dead(p, topics, "undecodable", topics.fetchLog(), 1, 7, "card-2", "still not avro", Map.of());
            dead(p, topics, "row-evicted", topics.fetchLog(), 0, 9, "card-3", "{\"ts\": 1}", Map.of());
            p.flush();
        }
        String[] common = {"--bootstrap-servers", stack.bootstrapServers(), "--schema-registry", stack.schemaRegistryUrl(),
                "--dlq", topics.dlq()};

        Run list = run(cat(new String[]{"dlq", "list"}, common));
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("3 dead letters in " + topics.dlq()), list.out());
        assertTrue(list.out().contains("     2  undecodable  " + topics.fetchLog()), list.out());
        assertTrue(list.out().contains("     1  row-evicted  " + topics.fetchLog()), list.out());
        assertTrue(list.out().contains("traceparent: t-5") && list.out().contains("value: text not avro"), list.out());

        Run show = run(cat(new String[]{"dlq", "show", "--source-offset", "7"}, common));
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("key=card-2") && !show.out().contains("card-1"), show.out());

        // Given a dry run: nothing is sent
        Run dry = run(cat(new String[]{"dlq", "redrive", "--dry-run"}, common));
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("would redrive 2"), dry.out());
        assertEquals(0, replayed(stack, topics).size());

        // When redriven: the two log dead letters go to the replay topic, the row-evicted one stays
        Run redrive = run(cat(new String[]{"dlq", "redrive"}, common));
        assertEquals(0, redrive.code(), redrive.err());
        assertTrue(redrive.out().contains("redrove 2, already redriven 0, skipped 1"), redrive.out());
        List<ConsumerRecord<byte[], byte[]>> replayed = replayed(stack, topics);
        assertEquals(2, replayed.size(), redrive.out());
        ConsumerRecord<byte[], byte[]> first = replayed.stream().filter(r -> "card-1".equals(new String(r.key(), StandardCharsets.UTF_8)))
                .findFirst().orElseThrow();
        assertEquals("not avro", new String(first.value(), StandardCharsets.UTF_8));
        assertEquals(topics.dlq() + "-0@0", DlqCommand.header(first, DlqCommand.REDRIVEN_FROM));
        assertEquals("t-5", DlqCommand.header(first, "traceparent"), "the record's own headers are kept");
        assertEquals(null, DlqCommand.header(first, DeadLetterHeaders.ERROR), "the dead-letter headers are not");

        // Then redriving the same selection again sends nothing new
        Run again = run(cat(new String[]{"dlq", "redrive", "--reason", "undecodable"}, common));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("redrove 0, already redriven 2"), again.out());
        assertEquals(2, replayed(stack, topics).size());
    }

    /**
     * The operator's walkthrough (docs/operations.md, "Fixing dead letters"): a feature server already logs a feature the
     * app's definitions do not define yet, so its logs go to the DLQ as {@code unknown-feature}, beside an undecodable
     * record (a producer bug); the definitions get the feature (a new external part: a safe rolling restart), the app
     * restarts with them, and {@code splice dlq redrive --reason unknown-feature} sends those logs to the replay topic,
     * where they are stitched with the new feature; the undecodable record stays in the DLQ.
     */
    @Test
    void logsFixedByADefinitionsChangeAreRedrivenAndStitchedAndTheRestStay(StackEndpoints stack) throws Exception {
        String prefix = Kafka.uniquePrefix("dlqfix");
        Topics topics = new Topics(prefix);
        Definitions before = DefinitionsLoader.parse(JoinYaml.yaml(Joins.payments("v1").parts(Joins.RISK_EXT)), "before.yaml", topics);
        Definitions fixed = DefinitionsLoader.parse(JoinYaml.yaml(Joins.payments("v1").parts(Joins.RISK_EXT)
                .external("device_ext", Feature.of("device", "string"))), "fixed.yaml", topics);
        Map<String, String> hashes = SemanticHasher.hashes(fixed).get("payments.v1");
        assertEquals(SemanticHasher.hashes(before).get("payments.v1").get("risk_ext"), hashes.get("risk_ext"));
        SpliceStreamsConfig config = new SpliceStreamsConfig(TestApp.props(stack, prefix, 2));
        HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        String[] common = {"--bootstrap-servers", stack.bootstrapServers(), "--schema-registry", stack.schemaRegistryUrl(),
                "--dlq", topics.dlq()};
        Map<String, StitchedRecord> stitched = new HashMap<>();
        try (KafkaConsumer<String, byte[]> out = Kafka.consumer(stack.bootstrapServers());
             KafkaProducer<String, FetchLog> logs = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()),
                     new StringSerializer(), new SpliceAvroSerializer<>(registry));
             KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()),
                     new StringSerializer(), new ByteArraySerializer())) {
            out.subscribe(List.of(topics.stitched("payments", "v1")));
            SpliceAvroDeserializer<StitchedRecord> values = SpliceAvroDeserializer.of(registry, StitchedRecord.class);
            Runnable poll = () -> out.poll(Duration.ofMillis(200))
                    .forEach(r -> stitched.put(r.key(), values.deserialize(r.topic(), r.value())));

            // Given the app on the old definitions: 3 logs it knows, 2 with the new feature 'device', 1 undecodable
            try (SpliceRuntime app = new SpliceRuntime(before, config).start()) {
                for (int i = 0; i < 5; i++) {
                    Map<String, Object> served = new HashMap<>(Map.of("risk", 0.1 * i));
                    Map<String, String> partHashes = new HashMap<>(Map.of("risk_ext", hashes.get("risk_ext")));
                    if (i >= 3) {
                        served.put("device", "ios-" + i);
                        partHashes.put("device_ext", hashes.get("device_ext"));
                    }
                    logs.send(new ProducerRecord<>(topics.fetchLog(), "r" + i, FetchLog.newBuilder().setJoin("payments")
                            .setVersion("v1").setTs(1_759_320_000_000L + i).setKeys(Map.of("card_id", "c" + i))
                            .setContext(Map.of("request_id", "r" + i)).setValues(served).setPartHashes(partHashes).build()));
                }
                raw.send(new ProducerRecord<>(topics.fetchLog(), "r9", "not avro".getBytes(StandardCharsets.UTF_8)));
                logs.flush();
                raw.flush();
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    poll.run();
                    return stitched.size() == 3 && deadLetters(stack, topics).size() == 3;
                });
            }
            Run list = run(cat(new String[]{"dlq", "list", "--counts-only"}, common));
            assertEquals(0, list.code(), list.err());
            assertTrue(list.out().contains("     2  unknown-feature  " + topics.fetchLog()), list.out());
            assertTrue(list.out().contains("     1  undecodable  " + topics.fetchLog()), list.out());

            // When the definitions define 'device', the app runs them, and the unknown-feature dead letters are redriven
            try (SpliceRuntime app = new SpliceRuntime(fixed, config).start()) {
                Run redrive = run(cat(new String[]{"dlq", "redrive", "--reason", "unknown-feature"}, common));
                assertEquals(0, redrive.code(), redrive.err());
                assertTrue(redrive.out().contains("redrove 2, already redriven 0"), redrive.out());

                // Then the two rows are stitched, with the served 'device' from the log, once each
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    poll.run();
                    return stitched.size() == 5 && Kafka.caughtUp(out);
                });
            }
        }
        for (int i = 3; i < 5; i++) {
            StitchedRecord r = stitched.get("r" + i);
            assertEquals("ios-" + i, r.getValues().get("device").toString());
            assertEquals("log", r.getSources().get("device"));
            assertEquals(1L, r.getRevision());
        }
        assertEquals(Set.of("r0", "r1", "r2", "r3", "r4"), stitched.keySet());
        // and the undecodable record stays: the DLQ gained nothing, and only it is left to redrive
        assertEquals(3, deadLetters(stack, topics).size());
        Run left = run(cat(new String[]{"dlq", "redrive", "--dry-run"}, common));
        assertEquals(0, left.code(), left.err());
        assertTrue(left.out().contains("would redrive 1, already redriven 2"), left.out());
    }

    static List<ConsumerRecord<byte[], byte[]>> deadLetters(StackEndpoints stack, Topics topics) {
        return DlqCommand.readAll(new HashMap<>(Map.of("bootstrap.servers", stack.bootstrapServers())), topics.dlq(), r -> true);
    }

    static void dead(KafkaProducer<byte[], byte[]> p, Topics topics, String reason, String source, int partition, long offset,
                     String key, String value, Map<String, String> own) {
        RecordHeaders h = new RecordHeaders();
        own.forEach((k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
        DeadLetterHeaders.of(DeadLetterHeaders.error(reason, "test", source, partition, offset), source, partition, offset)
                .forEach((k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
        p.send(new ProducerRecord<>(topics.dlq(), 0, null, key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8), h));
    }

    static List<ConsumerRecord<byte[], byte[]>> replayed(StackEndpoints stack, Topics topics) {
        Map<String, Object> props = new HashMap<>(Map.of("bootstrap.servers", stack.bootstrapServers()));
        return DlqCommand.readAll(props, topics.fetchLogReplay(), r -> true);
    }

    static String[] cat(String[] a, String[] b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
