package io.splice.demo;

import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceSerdeConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;

/** Reads a topic from the beginning to its current end (committed records only), without a consumer group. */
public final class TopicReader {
    private TopicReader() {
    }

    /** Per partition: the offset after the last data record read (what a sink has to commit to be done). */
    public record Extent(Map<Integer, Long> nextOffsets, long records) {
    }

    /** Feeds every committed record of {@code topic} to {@code sink}, partition by partition in offset order. */
    public static Extent readAll(String bootstrapServers, String topic, Duration timeout,
                                 Consumer<ConsumerRecord<String, byte[]>> sink) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Map<Integer, Long> next = new TreeMap<>();
        long n = 0;
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            List<PartitionInfo> infos = c.partitionsFor(topic, timeout);
            if (infos == null) {
                return new Extent(next, 0);
            }
            infos.forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps, timeout); // the LSO under read_committed
            Map<TopicPartition, Long> remaining = new HashMap<>();
            for (TopicPartition tp : tps) {
                next.put(tp.partition(), 0L);
                if (end.get(tp) > c.position(tp, timeout)) {
                    remaining.put(tp, end.get(tp));
                }
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!remaining.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within " + timeout.toSeconds() + " s");
                }
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    next.put(r.partition(), r.offset() + 1);
                    n++;
                    sink.accept(r);
                }
                remaining.entrySet().removeIf(e -> c.position(e.getKey()) >= e.getValue());
            }
        }
        return new Extent(next, n);
    }

    /** The latest revision per row of a stitched topic. */
    public static LatestRows stitched(String bootstrapServers, String registryUrl, String topic, Duration timeout,
                                      Map<Integer, Long> nextOffsetsOut) {
        LatestRows rows = new LatestRows();
        SpliceAvroDeserializer<StitchedRecord> de = SpliceAvroDeserializer.of(
                SpliceSerdeConfig.client(Map.of(SpliceSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl)), StitchedRecord.class);
        Extent e = readAll(bootstrapServers, topic, timeout, r -> {
            StitchedRecord v = de.deserialize(topic, r.value());
            if (v == null) {
                rows.accept(r.offset(), new LatestRows.Row(r.key(), r.timestamp(), 0, Map.of(), Map.of(), true));
            } else {
                rows.accept(r.offset(), new LatestRows.Row(v.getRowKey(), v.getTs(), v.getRevision(),
                        v.getKeys() == null ? Map.of() : Map.copyOf(v.getKeys()),
                        v.getSources() == null ? Map.of() : Map.copyOf(v.getSources()), false));
            }
        });
        if (nextOffsetsOut != null) {
            nextOffsetsOut.putAll(e.nextOffsets());
        }
        return rows;
    }

    /** Dead letters: count per reason (the part of the error header before the first colon). */
    public static Map<String, Long> deadLetters(String bootstrapServers, String topic, Duration timeout) {
        Map<String, Long> reasons = new TreeMap<>();
        readAll(bootstrapServers, topic, timeout, r -> reasons.merge(reason(r), 1L, Long::sum));
        return reasons;
    }

    /** The reason of a dead letter: the stitching app's {@code splice.error} or Connect's exception message header. */
    static String reason(ConsumerRecord<String, byte[]> r) {
        for (String h : List.of("splice.error", "__connect.errors.exception.message")) {
            Header header = r.headers().lastHeader(h);
            if (header != null && header.value() != null) {
                String s = new String(header.value(), StandardCharsets.UTF_8);
                int colon = s.indexOf(':');
                return (colon > 0 ? s.substring(0, colon) : s).trim();
            }
        }
        return "unknown";
    }
}
