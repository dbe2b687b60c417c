package io.splice.testing;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Kafka clients and checks the integration tests share: whether a consumer group committed the end of its input,
 * a group's committed offset, producer and consumer settings. Works with the streams side's and the Spark side's
 * kafka-clients alike (each module brings its own).
 */
public final class Kafka {
    private Kafka() {
    }

    /** {@code what} and 8 random hex digits: a topic prefix or group no other test (or run) uses. */
    public static String uniquePrefix(String what) {
        return what + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    }

    /**
     * Whether {@code group}'s committed offsets reached the end offsets of every partition of {@code topics} (empty
     * partitions need no commit). With transactional input the end is past the last commit marker, which a group
     * that read everything also commits.
     */
    public static boolean consumedToEnd(Admin admin, String group, String... topics) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        admin.describeTopics(List.of(topics)).allTopicNames().get().forEach((topic, description) ->
                description.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest())));
        for (var e : admin.listOffsets(latest).all().get().entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            if (e.getValue().offset() > 0 && (c == null || c.offset() < e.getValue().offset())) {
                return false;
            }
        }
        return true;
    }

    /** {@code group}'s committed offset on {@code partition}: 0 when it committed none, -1 when it cannot be read. */
    public static long committed(Admin admin, String group, TopicPartition partition) {
        try {
            OffsetAndMetadata o = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(partition);
            return o == null ? 0 : o.offset();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Whether the consumer's position reached the end of every partition assigned to it. */
    public static boolean caughtUp(Consumer<?, ?> consumer) {
        return consumer.endOffsets(consumer.assignment()).entrySet().stream()
                .allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }

    /** Settings of a producer that waits for every replica and batches for 5 ms; add the serializers. */
    public static Map<String, Object> producerProps(String bootstrapServers) {
        return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5);
    }

    /** A consumer of committed records from the earliest offset, in a group of its own, with String keys. */
    public static KafkaConsumer<String, byte[]> consumer(String bootstrapServers) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** The last value of each key, in the order the keys first appeared (a compacted topic's view of {@code records}). */
    public static <K, V> Map<K, V> latestByKey(List<ConsumerRecord<K, V>> records) {
        Map<K, V> out = new LinkedHashMap<>();
        records.forEach(r -> out.put(r.key(), r.value()));
        return out;
    }
}
