package io.splice.bench;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads an output topic ({@code read_committed}) between two offset snapshots: records, tombstones, distinct rows. */
final class Verify {
    private Verify() {
    }

    record Output(long records, long tombstones, long distinctRows) {
    }

    static Map<TopicPartition, Long> ends(String bootstrapServers, String topic) {
        try (KafkaConsumer<String, byte[]> c = consumer(bootstrapServers)) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            return new HashMap<>(c.endOffsets(parts));
        }
    }

    static Output read(String bootstrapServers, String topic, Map<TopicPartition, Long> from, long timeoutMs) {
        BitSet rows = new BitSet();
        long records = 0, tombstones = 0;
        try (KafkaConsumer<String, byte[]> c = consumer(bootstrapServers)) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, Long> ends = c.endOffsets(parts);
            c.assign(parts);
            for (TopicPartition tp : parts) {
                c.seek(tp, from.getOrDefault(tp, 0L));
            }
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (System.currentTimeMillis() < deadline) {
                boolean done = true;
                for (TopicPartition tp : parts) {
                    if (c.position(tp) < ends.get(tp)) {
                        done = false;
                        break;
                    }
                }
                if (done) {
                    break;
                }
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    records++;
                    if (r.value() == null) {
                        tombstones++;
                    }
                    long i = BenchData.rowIndex(r.key());
                    if (i >= 0 && i < Integer.MAX_VALUE) {
                        rows.set((int) i);
                    }
                }
            }
        }
        return new Output(records, tombstones, rows.cardinality());
    }

    static KafkaConsumer<String, byte[]> consumer(String bootstrapServers) {
        return consumer(bootstrapServers, Map.of());
    }

    static KafkaConsumer<String, byte[]> consumer(String bootstrapServers, Map<String, Object> overrides) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-verify");
        p.putAll(overrides);
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }
}
