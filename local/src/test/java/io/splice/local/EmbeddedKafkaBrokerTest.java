package io.splice.local;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

@DisplayName("EmbeddedKafkaBroker")
class EmbeddedKafkaBrokerTest {

    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = new EmbeddedKafkaBroker().start();
    }

    @AfterAll
    static void stopBroker() {
        Path dir = broker.dataDirectory();
        broker.close();
        assertFalse(Files.exists(dir), "data directory deleted on close");
    }

    @Test
    @DisplayName("a record produced in a transaction is read back with read_committed")
    void transactionalRoundTrip() {
        // given a topic on the embedded broker
        assertTrue(broker.bootstrapServers().startsWith("127.0.0.1:"), broker.bootstrapServers());
        broker.createTopic("tx-topic", 2, false);

        // when a transactional producer commits a record
        try (KafkaProducer<String, String> producer = producer("tx-" + UUID.randomUUID())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx-topic", "k1", "v1"));
            producer.commitTransaction();
        }

        // then a read_committed consumer sees it
        assertEquals(List.of("v1"), values(readAll("tx-topic", 1)));
    }

    @Test
    @DisplayName("a compacted topic is created with cleanup.policy=compact, a plain one with delete")
    void compactedTopic() throws Exception {
        // given / when
        broker.createTopics(TopicSpec.compacted("compacted-topic", 3), TopicSpec.of("plain-topic", 1));
        broker.createTopics(TopicSpec.compacted("compacted-topic", 3)); // idempotent

        // then
        try (Admin admin = broker.admin()) {
            ConfigResource compacted = new ConfigResource(ConfigResource.Type.TOPIC, "compacted-topic");
            ConfigResource plain = new ConfigResource(ConfigResource.Type.TOPIC, "plain-topic");
            Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(compacted, plain)).all().get();
            assertEquals("compact", configs.get(compacted).get(TopicConfig.CLEANUP_POLICY_CONFIG).value());
            assertEquals("delete", configs.get(plain).get(TopicConfig.CLEANUP_POLICY_CONFIG).value());
            assertEquals(3, admin.describeTopics(Set.of("compacted-topic")).allTopicNames().get()
                    .get("compacted-topic").partitions().size());
        }
    }

    @Test
    @DisplayName("stop() then start() keeps the data and the address")
    void restartKeepsData() {
        // given a committed record
        broker.createTopic("restart-topic", 1, false);
        try (KafkaProducer<String, String> producer = producer("restart-" + UUID.randomUUID())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("restart-topic", "k", "before-restart"));
            producer.commitTransaction();
        }
        String address = broker.bootstrapServers();

        // when the broker restarts
        broker.stop();
        assertFalse(broker.isRunning());
        broker.start();

        // then it is back on the same address, with the record
        assertEquals(address, broker.bootstrapServers());
        assertEquals(List.of("before-restart"), values(readAll("restart-topic", 1)));
    }

    private static KafkaProducer<String, String> producer(String transactionalId) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
    }

    private static List<String> values(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(ConsumerRecord::value).toList();
    }

    private static List<ConsumerRecord<String, String>> readAll(String topic, int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "g-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ZERO).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= expected;
            });
        }
        return records;
    }
}
