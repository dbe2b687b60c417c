package io.splice.streams.cli;

import io.splice.core.api.DeadLetterHeaders;
import io.splice.core.api.Topics;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.testing.Kafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18.6: {@code splice dlq list|show|redrive} on dead letters shaped as the app writes them: counts by reason and
 * source topic, a record shown by its source offset, a redrive of the log dead letters to the replay topic with
 * {@code splice.redriven.from}, a dry run that sends nothing, and a second redrive of the same selection that sends
 * nothing new; row-evicted dead letters (no original bytes) are never redriven.
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
