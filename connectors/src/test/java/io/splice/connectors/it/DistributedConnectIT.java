package io.splice.connectors.it;

import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.connectors.testing.PluginJar;
import io.splice.connectors.testing.S3Testing;
import io.splice.connectors.testing.TestData;
import io.splice.local.EmbeddedSchemaRegistry;
import io.splice.local.LocalCluster;
import io.splice.local.TopicSpec;
import io.splice.local.connect.DistributedConnect;
import io.splice.local.featurestore.FeatureGroupSpec;
import io.splice.local.featurestore.FeatureStoreEndpoint;
import io.splice.local.s3.S3Endpoint;
import io.splice.testing.Kafka;
import io.splice.testing.Prometheus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.splice.connectors.testing.TestData.DAY1;
import static io.splice.connectors.testing.TestData.TOPIC;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both sinks from the plugin jar on two Connect workers in distributed mode, each a separate process, against a
 * 3-node Kafka cluster (internal topics RF 3), the Apicurio registry, S3 and the Feature Store endpoint. One worker is
 * SIGKILLed while records flow: the other takes over its tasks after the rebalance, and the stores end up as if
 * nothing had happened. The workers carry the Prometheus JMX exporter agent with deploy/'s rules, so the test also
 * proves the sinks' Connect metrics reach Prometheus.
 */
@Tag("cluster")
class DistributedConnectIT {
    private static final String DLQ = "splice.dlq.connect";
    private static final String BUCKET = "lake";
    private static final String S3_SINK = "s3-offline";
    private static final String FS_SINK = "featurestore-online";
    private static final int PARTITIONS = 4;
    /** Offsets per partition: a bad record at offset 0, then good revisions 1..999 (10 S3 objects of 100 offsets). */
    private static final int PER_PARTITION = 1000;
    private static final int CARDS = 10;
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    static Path pluginPath;

    private static LocalCluster cluster;
    private static EmbeddedSchemaRegistry registry;
    private static S3Endpoint s3;
    private static S3Client s3Client;
    private static FeatureStoreEndpoint featureStore;
    private static DistributedConnect connect;

    @BeforeAll
    static void startStack() {
        cluster = LocalCluster.start();
        cluster.createTopics(TopicSpec.compacted(TOPIC, PARTITIONS), TopicSpec.of(DLQ, 1));
        registry = new EmbeddedSchemaRegistry().start();
        s3 = S3Endpoint.transientStore();
        s3Client = S3Testing.client(s3);
        s3Client.createBucket(b -> b.bucket(BUCKET));
        featureStore = FeatureStoreEndpoint.start();
        featureStore.createFeatureGroup(FeatureGroupSpec.of("payments_v2", "card_id", "EventTime"));
        connect = DistributedConnect.builder(cluster.bootstrapServers()).workers(2)
                .replicationFactor(cluster.replicationFactor())
                .pluginPath(PluginJar.install(pluginPath)).classpath(PluginJar.classpathWithoutConnectors())
                .metricsAgent(Path.of("target/jmx-exporter/jmx_prometheus_javaagent.jar"),
                        Path.of("../deploy/prometheus/connect-jmx-exporter.yaml"))
                .start();
    }

    @AfterAll
    static void stopStack() {
        for (AutoCloseable c : new AutoCloseable[]{connect, featureStore, s3Client, s3, registry, cluster}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    @Test
    void aSigkilledWorkersTasksMoveToTheOtherAndTheStoresHoldEveryOffsetOnceAndTheNewestRowPerCard() throws Exception {
        // Given both sinks with a task per partition on two workers
        connect.putConnector(S3_SINK, s3Config());
        connect.putConnector(FS_SINK, featureStoreConfig());
        connect.awaitRunning(S3_SINK, WAIT);
        connect.awaitRunning(FS_SINK, WAIT);
        await().atMost(WAIT).until(() -> Set.copyOf(connect.taskWorkers(S3_SINK).values()).size() == 2
                && Set.copyOf(connect.taskWorkers(FS_SINK).values()).size() == 2);
        // and their consumer groups settled (a partition moved between starting tasks before its first commit is read
        // twice: Connect's DLQ is at-least-once, so the exact counts below need a settled group)
        await().atMost(WAIT).until(() -> onePartitionPerTask(S3_SINK) && onePartitionPerTask(FS_SINK));

        // When records flow (a bad record first in each partition) ...
        CompletableFuture<Void> producing = CompletableFuture.runAsync(DistributedConnectIT::produceAll);
        // ... both sinks have committed past the bad records on every partition (so each reached the DLQ once) ...
        await().atMost(WAIT).until(() -> everyPartitionCommitted(S3_SINK, 100) && everyPartitionCommitted(FS_SINK, 100));
        // ... and every task is RUNNING: its metrics are on the workers' /metrics
        String before = scrape(1) + scrape(2);
        assertEquals(2 * PARTITIONS, countRunningTasks(before), "every task RUNNING as a metric:\n" + before);
        assertTrue(sum(before, "kafka_connect_sink_task_sink_record_send", S3_SINK) >= 100 * PARTITIONS, before);
        assertTrue(sum(before, "kafka_connect_sink_task_sink_record_send", FS_SINK) >= 100 * PARTITIONS, before);
        assertEquals(PARTITIONS, sum(before, "kafka_connect_task_error_deadletterqueue_produce_requests", S3_SINK), before);
        assertEquals(PARTITIONS, sum(before, "kafka_connect_task_error_deadletterqueue_produce_requests", FS_SINK), before);
        assertTrue(before.contains("kafka_connect_task_error_total_retries{connector=\"" + FS_SINK + "\""), before);
        for (String name : connectMetricsOfTheDashboardAndRules()) {
            assertTrue(before.lines().anyMatch(l -> l.startsWith(name + "{")), name + " (used by deploy/) is not exposed:\n" + before);
        }

        // ... and worker 2 is SIGKILLed mid-stream
        long killedAt = System.nanoTime();
        connect.kill(2);

        // Then worker 1 runs every task after the rebalance
        String survivor = connect.workerId(1);
        await().atMost(WAIT).until(() -> connect.isRunning(S3_SINK) && connect.isRunning(FS_SINK)
                && connect.taskWorkers(S3_SINK).values().stream().allMatch(survivor::equals)
                && connect.taskWorkers(FS_SINK).values().stream().allMatch(survivor::equals));
        long takeoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        producing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        try (Admin admin = cluster.admin()) {
            await().atMost(WAIT).until(() -> Kafka.consumedToEnd(admin, "connect-" + S3_SINK, TOPIC)
                    && Kafka.consumedToEnd(admin, "connect-" + FS_SINK, TOPIC));
        }
        System.out.printf("DistributedConnectIT: worker 2 SIGKILLed, worker 1 ran all %d tasks %d ms later%n",
                2 * PARTITIONS, takeoverMillis);
        String after = scrape(1);
        assertEquals(2 * PARTITIONS, countRunningTasks(after), after);

        // And S3 holds every good offset of every partition exactly once (no duplicated Kafka offset, none missing)
        for (int p = 0; p < PARTITIONS; p++) {
            Map<Long, Integer> seen = offsetsInS3(p);
            assertEquals(PER_PARTITION - 1, seen.size(), "partition " + p + ": offsets 1.." + (PER_PARTITION - 1));
            assertEquals(1L, seen.keySet().iterator().next(), "partition " + p);
            assertEquals((long) PER_PARTITION - 1, ((TreeMap<Long, Integer>) seen).lastKey(), "partition " + p);
            assertEquals(List.of(1), seen.values().stream().distinct().toList(), "partition " + p + ": each offset once");
        }

        // And the Feature Store holds, per card, the values of its newest-EventTime row
        assertEquals(CARDS, featureStore.identifiers("payments_v2").size());
        for (int card = 0; card < CARDS; card++) {
            long newest = newestSequenceOfCard(card);
            Map<String, String> online = featureStore.record("payments_v2", "c" + card).orElseThrow();
            assertEquals(Instant.ofEpochMilli(eventTime(newest)), Instant.parse(online.get("EventTime")), "card c" + card);
            assertEquals(Long.toString(newest), online.get("txn_count_1h"), "card c" + card + ": " + online);
        }

        // And each bad record reached the DLQ once per sink: the takeover re-delivered none
        assertEquals(2 * PARTITIONS, deadLetters().size());

        // And the killed worker rejoins
        connect.restart(2);
        connect.awaitRunning(S3_SINK, WAIT);
        connect.awaitRunning(FS_SINK, WAIT);
    }

    private static Map<String, String> s3Config() {
        Map<String, String> c = common();
        c.putAll(TestData.s3Config(s3.endpoint(), BUCKET));
        c.put("connector.class", "io.splice.connectors.s3.S3OfflineSinkConnector");
        c.put("flush.size", "100");
        c.put("rotate.interval.ms", "-1");
        return withRegistry(c);
    }

    private static Map<String, String> featureStoreConfig() {
        Map<String, String> c = common();
        c.putAll(TestData.featureStoreConfig(featureStore.endpoint()));
        c.put("connector.class", "io.splice.connectors.featurestore.FeatureStoreSinkConnector");
        return withRegistry(c);
    }

    private static Map<String, String> common() {
        Map<String, String> c = new HashMap<>();
        c.put("topics", TOPIC);
        c.put("tasks.max", Integer.toString(PARTITIONS));
        c.put("errors.tolerance", "all");
        c.put("errors.deadletterqueue.topic.name", DLQ);
        c.put("errors.deadletterqueue.topic.replication.factor", Short.toString(cluster.replicationFactor()));
        c.put("consumer.override.max.poll.records", "50");
        return c;
    }

    /** Overrides the sinks' mock registry: the workers are other processes, they read schemas from the real one. */
    private static Map<String, String> withRegistry(Map<String, String> c) {
        c.put("schema.registry.url", registry.url());
        return c;
    }

    /** Revision i of partition p has sequence {@code 4i+p}: unique EventTime and txn_count_1h, card {@code i % 10}. */
    private static void produceAll() {
        SpliceAvroSerializer<StitchedRecord> serializer = new SpliceAvroSerializer<>(new HttpSchemaRegistryClient(registry.url()));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Kafka.producerProps(cluster.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int p = 0; p < PARTITIONS; p++) {
                producer.send(new ProducerRecord<>(TOPIC, p, "bad", "definitely not avro".getBytes(StandardCharsets.UTF_8)));
            }
            for (int i = 1; i < PER_PARTITION; i++) {
                for (int p = 0; p < PARTITIONS; p++) {
                    long seq = (long) i * PARTITIONS + p;
                    String row = "r" + p + "-" + i;
                    StitchedRecord v = TestData.payment(row, "c" + (i % CARDS), eventTime(seq), 1, seq, seq * 0.5);
                    producer.send(new ProducerRecord<>(TOPIC, p, row, serializer.serialize(TOPIC, v)));
                }
                if (i % 10 == 0) {
                    producer.flush();
                    TimeUnit.MILLISECONDS.sleep(100); // paced: ~10 s of records, so the kill lands mid-stream
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static long eventTime(long seq) {
        return DAY1 + seq * 1000;
    }

    private static long newestSequenceOfCard(int card) {
        int i = PER_PARTITION - 1;
        while (i % CARDS != card) {
            i--;
        }
        return (long) i * PARTITIONS + PARTITIONS - 1;
    }

    private static boolean everyPartitionCommitted(String connector, long atLeast) {
        try (Admin admin = cluster.admin()) {
            for (int p = 0; p < PARTITIONS; p++) {
                if (Kafka.committed(admin, "connect-" + connector, new TopicPartition(TOPIC, p)) < atLeast) {
                    return false;
                }
            }
            return true;
        }
    }

    private static boolean onePartitionPerTask(String connector) throws Exception {
        try (Admin admin = cluster.admin()) {
            ConsumerGroupDescription g = admin.describeConsumerGroups(List.of("connect-" + connector)).all().get()
                    .get("connect-" + connector);
            return g.groupState() == GroupState.STABLE && g.members().size() == PARTITIONS
                    && g.members().stream().allMatch(m -> m.assignment().topicPartitions().size() == 1);
        }
    }

    private static Map<Long, Integer> offsetsInS3(int partition) {
        return S3Testing.offsetsInS3(s3Client, BUCKET, "offline/payments_v2/", partition);
    }

    private static List<ConsumerRecord<String, byte[]>> deadLetters() {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = Kafka.consumer(cluster.bootstrapServers())) {
            c.assign(List.of(new TopicPartition(DLQ, 0)));
            c.seekToBeginning(c.assignment());
            await().atMost(WAIT).until(() -> {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
                return Kafka.caughtUp(c);
            });
        }
        return out;
    }

    private static String scrape(int worker) throws Exception {
        return Prometheus.scrape(connect.metricsUrl(worker).orElseThrow().getPort());
    }

    /** The sum of {@code name}'s samples of one connector's tasks. */
    private static double sum(String scrape, String name, String connector) {
        return scrape.lines().filter(l -> l.startsWith(name + "{") && l.contains("connector=\"" + connector + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** Every {@code kafka_connect_*} series name that deploy/'s alerting rules and Grafana dashboard query. */
    private static Set<String> connectMetricsOfTheDashboardAndRules() throws Exception {
        Set<String> names = new TreeSet<>();
        for (Path file : List.of(Path.of("../deploy/grafana/splice.json"), Path.of("../deploy/prometheus/splice-rules.yaml"))) {
            Matcher m = Pattern.compile("kafka_connect_[a-z_]+").matcher(Files.readString(file));
            while (m.find()) {
                names.add(m.group());
            }
        }
        assertTrue(names.size() >= 5, names.toString());
        return names;
    }

    private static long countRunningTasks(String scrape) {
        return scrape.lines().filter(l -> l.startsWith("kafka_connect_connector_task_status{")
                && l.contains("status=\"running\"") && l.endsWith(" 1.0")).count();
    }
}
