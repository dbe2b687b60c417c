package io.splice.connectors.it;

import io.splice.avro.StitchedRecord;
import io.splice.connectors.testing.S3Testing;
import io.splice.connectors.testing.TestData;
import io.splice.local.EmbeddedKafkaBroker;
import io.splice.local.connect.ConnectWorker;
import io.splice.local.featurestore.FeatureGroupSpec;
import io.splice.local.featurestore.FeatureStoreEndpoint;
import io.splice.local.featurestore.Write;
import io.splice.local.s3.S3Endpoint;
import io.splice.testing.Kafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import static io.splice.connectors.testing.TestData.DAY1;
import static io.splice.connectors.testing.TestData.TOPIC;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both sinks as plugins of an in-process Connect worker (service_load discovery), reading a real broker and writing
 * to the local S3 and Feature Store endpoints.
 */
class ConnectWorkerIT {
    private static final String DLQ = "splice.dlq";
    private static final String BUCKET = "lake";
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static EmbeddedKafkaBroker kafka;
    private static S3Endpoint s3;
    private static S3Client s3Client;
    private static FeatureStoreEndpoint featureStore;
    private static ConnectWorker connect;
    private static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void startStack() {
        kafka = new EmbeddedKafkaBroker().start();
        kafka.createTopic(TOPIC, 2, true);
        kafka.createTopic(DLQ, 1, false);
        s3 = S3Endpoint.transientStore();
        s3Client = S3Testing.client(s3);
        s3Client.createBucket(b -> b.bucket(BUCKET));
        featureStore = FeatureStoreEndpoint.start();
        featureStore.createFeatureGroup(FeatureGroupSpec.of("payments_v2", "card_id", "EventTime"));
        connect = ConnectWorker.start(kafka.bootstrapServers());
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
    }

    @AfterAll
    static void stopStack() {
        for (AutoCloseable c : new AutoCloseable[]{producer, connect, featureStore, s3Client, s3, kafka}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    private static Map<String, String> common() {
        Map<String, String> c = TestData.sinkConfig(S3Endpoint.ACCESS_KEY, S3Endpoint.SECRET_KEY);
        c.put("topics", TOPIC);
        c.put("tasks.max", "1");
        c.put("errors.tolerance", "all");
        c.put("errors.deadletterqueue.topic.name", DLQ);
        c.put("errors.deadletterqueue.topic.replication.factor", "1");
        c.put("errors.deadletterqueue.context.headers.enable", "true");
        c.put("consumer.override.max.poll.records", "20");
        return c;
    }

    /** Record i of partition p: row r{p}-{i} of card c{i % 10}; row time increases with i. */
    private static void produce(int partition, int from, int to) {
        for (int i = from; i < to; i++) {
            String row = "r" + partition + "-" + i;
            StitchedRecord v = TestData.payment(row, "c" + (i % 10), DAY1 + i * 60_000L, 1, i, i * 0.5);
            producer.send(new ProducerRecord<>(TOPIC, partition, row, TestData.bytes(TOPIC, v)));
        }
        producer.flush();
    }

    private static Map<Long, Integer> offsetsInS3(int partition) {
        return S3Testing.offsetsInS3(s3Client, BUCKET, "offline/payments_v2/", partition);
    }

    private static long committed(String connector, TopicPartition tp) {
        try (var admin = kafka.admin()) {
            return Kafka.committed(admin, "connect-" + connector, tp);
        }
    }

    @Test
    void bothSinksRunInTheWorkerAndARestartedS3TaskNeitherLosesNorDuplicatesAnOffset() throws Exception {
        // Given 150 revisions in each of two partitions (the bad record comes first in partition 0)
        producer.send(new ProducerRecord<>(TOPIC, 0, "bad", "definitely not avro".getBytes(StandardCharsets.UTF_8)));
        produce(0, 1, 150);
        produce(1, 0, 150);

        // When both sinks start in the worker (segments of 40 records)
        Map<String, String> s3Config = common();
        s3Config.put("connector.class", "io.splice.connectors.s3.S3OfflineSinkConnector");
        s3Config.put("aws.endpoint.override", s3.endpoint().toString());
        s3Config.put("s3.path.style.access", "true");
        s3Config.put("s3.prefix", "s3://" + BUCKET + "/offline");
        s3Config.put("flush.size", "40");
        s3Config.put("rotate.interval.ms", "-1");
        connect.startConnector("s3-offline", s3Config);
        Map<String, String> fsConfig = common();
        fsConfig.put("connector.class", "io.splice.connectors.featurestore.FeatureStoreSinkConnector");
        fsConfig.put("aws.endpoint.override", featureStore.endpoint().toString());
        fsConfig.put("featurestore.control.endpoint.override", featureStore.endpoint().toString());
        // every record written once, as below (coalescing, on by default, is tested in FeatureStoreSinkTaskTest)
        fsConfig.put("featurestore.coalesce", "false");
        connect.startConnector("featurestore-online", fsConfig);
        connect.awaitRunning("s3-offline", WAIT);
        connect.awaitRunning("featurestore-online", WAIT);

        // and the S3 task is restarted while it holds open segments (3 of 40 written per partition, 30 open)
        TopicPartition p0 = new TopicPartition(TOPIC, 0);
        TopicPartition p1 = new TopicPartition(TOPIC, 1);
        await().atMost(WAIT).until(() -> committed("s3-offline", p0) == 120 && committed("s3-offline", p1) == 120);
        connect.restartTask("s3-offline", 0);
        connect.awaitRunning("s3-offline", WAIT);
        // and then the last 10 records of each partition arrive, completing the fourth segment
        produce(0, 150, 160);
        produce(1, 150, 160);

        // Then S3 holds every offset of both partitions exactly once
        await().atMost(WAIT).until(() -> committed("s3-offline", p0) == 160 && committed("s3-offline", p1) == 160);
        Map<Long, Integer> s0 = offsetsInS3(0);
        Map<Long, Integer> s1 = offsetsInS3(1);
        assertEquals(159, s0.size(), "partition 0: every good offset (offset 0 is the bad record)");
        assertEquals(1L, s0.keySet().iterator().next());
        assertEquals(160, s1.size());
        assertEquals(List.of(1), s0.values().stream().distinct().toList());
        assertEquals(List.of(1), s1.values().stream().distinct().toList());
        assertEquals(List.of(4, 4), List.of(s3Objects(0), s3Objects(1)));

        // And the Feature Store holds the latest revision of each of the 10 cards, every record written once
        await().atMost(WAIT).until(() -> featureStore.writes().size() == 319);
        assertEquals(10, featureStore.identifiers("payments_v2").size());
        Map<String, Long> putsPerCard = featureStore.writes().stream().collect(Collectors.groupingBy(Write::recordIdentifier,
                Collectors.counting()));
        assertEquals(10, putsPerCard.size());
        assertEquals(DAY1 + 159 * 60_000L, featureStore.writes().stream().filter(w -> w.recordIdentifier().equals("c9"))
                .map(w -> w.eventTime().toEpochMilli()).max(Long::compare).orElseThrow());
        await().atMost(WAIT).until(() -> committed("featurestore-online", p0) == 160 && committed("featurestore-online", p1) == 160);

        // And the bad record reached the DLQ once per sink, with the reason in Splice's headers (as the app's dead letters)
        // and in Connect's
        List<ConsumerRecord<byte[], byte[]>> dlq = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = dlqConsumer()) {
            c.subscribe(List.of(DLQ));
            await().atMost(WAIT).until(() -> {
                c.poll(Duration.ofMillis(200)).forEach(dlq::add);
                return dlq.size() >= 2;
            });
        }
        assertEquals(2, dlq.size());
        for (ConsumerRecord<byte[], byte[]> r : dlq) {
            assertEquals("definitely not avro", new String(r.value(), StandardCharsets.UTF_8));
            assertTrue(header(r, "__connect.errors.exception.message").startsWith("undecodable:"),
                    header(r, "__connect.errors.exception.message"));
            assertTrue(header(r, "splice.error").startsWith("undecodable:"), header(r, "splice.error"));
            assertEquals(header(r, "__connect.errors.topic"), header(r, "splice.source.topic"));
            assertEquals(header(r, "__connect.errors.partition"), header(r, "splice.source.partition"));
            assertEquals(header(r, "__connect.errors.offset"), header(r, "splice.source.offset"));
            assertFalse(header(r, "splice.source.offset").isEmpty());
        }
        assertEquals(List.of("featurestore-online", "s3-offline"), dlq.stream()
                .map(r -> header(r, "__connect.errors.connector.name")).sorted().toList());

        // And the sinks' own metrics are on the worker's JMX (Connect's plugin metrics), where the Prometheus JMX
        // exporter reads them: the Feature Store task's puts and dead letters, the restarted S3 task's objects and
        // flush lag (nothing left unwritten)
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        ObjectName fs = new ObjectName("kafka.connect:type=plugins,connector=featurestore-online,task=0");
        ObjectName s3Task = new ObjectName("kafka.connect:type=plugins,connector=s3-offline,task=0");
        await().atMost(WAIT).untilAsserted(() -> assertEquals(319.0, jmx.getAttribute(fs, "puts-total")));
        assertEquals(1.0, jmx.getAttribute(fs, "dead-letters-total"));
        assertEquals(0.0, jmx.getAttribute(fs, "throttles-total"));
        assertEquals(2.0, jmx.getAttribute(s3Task, "objects-total"), "the restarted task wrote the fourth segments");
        assertEquals(0.0, jmx.getAttribute(s3Task, "oldest-unflushed-record-age-ms"));
    }

    private static int s3Objects(int partition) {
        return (int) S3Testing.keys(s3Client, BUCKET, "offline/payments_v2/").stream().filter(k -> k.contains("+" + partition + "+")).count();
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static KafkaConsumer<byte[], byte[]> dlqConsumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }
}
