package io.splice.local;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A 3-node KRaft cluster of OS processes: forms, spreads leaders, survives a SIGKILLed leader, recovers, stops. */
@Tag("cluster")
@DisplayName("LocalCluster (3 processes)")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterTest {

    private static LocalCluster cluster;
    private static int killed = -1;
    private static long startMillis;

    @BeforeAll
    static void startCluster() {
        long t0 = System.nanoTime();
        cluster = LocalCluster.start();
        startMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("LocalCluster: 3 nodes up in " + startMillis + " ms");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("three broker+controller processes form one cluster with production replication settings")
    void forms() throws Exception {
        assertEquals(List.of(1, 2, 3), cluster.nodeIds());
        assertEquals(3, cluster.bootstrapServers().split(",").length);
        for (int id : cluster.nodeIds()) {
            ProcessHandle p = cluster.process(id).orElseThrow();
            assertNotEquals(ProcessHandle.current().pid(), p.pid(), "a separate process");
            assertTrue(Files.isDirectory(cluster.nodeDirectory(id).resolve("data")));
        }
        try (Admin admin = cluster.admin()) {
            assertEquals(3, admin.describeCluster().nodes().get().size());
            assertEquals(3, admin.describeMetadataQuorum().quorumInfo().get().voters().size());
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "2");
            Config config = admin.describeConfigs(List.of(broker)).all().get().get(broker);
            assertEquals("3", config.get("default.replication.factor").value());
            assertEquals("2", config.get("min.insync.replicas").value());
            assertEquals("3", config.get("offsets.topic.replication.factor").value());
            assertEquals("3", config.get("transaction.state.log.replication.factor").value());
            assertEquals("2", config.get("transaction.state.log.min.isr").value());
        }
    }

    @Test
    @Order(2)
    @DisplayName("a topic with 3 partitions and RF 3 has one leader per node and every replica in sync")
    void leadersSpread() {
        cluster.createTopics(TopicSpec.of("spread", 3));
        cluster.awaitFullIsr(Duration.ofSeconds(30), "spread");
        Map<TopicPartition, Integer> leaders = cluster.leaders(List.of("spread"));
        assertEquals(Set.of(1, 2, 3), new HashSet<>(leaders.values()), leaders.toString());
        for (TopicPartition tp : leaders.keySet()) {
            assertEquals(List.of(1, 2, 3), cluster.isr(tp));
        }
    }

    @Test
    @Order(3)
    @DisplayName("SIGKILL of a partition's leader: a new leader is elected and a transactional acks=all producer keeps writing")
    void killLeader() throws Exception {
        cluster.createTopics(TopicSpec.of("chaos", 3));
        cluster.awaitFullIsr(Duration.ofSeconds(30), "chaos");
        TopicPartition tp = new TopicPartition("chaos", 0);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger committed = new AtomicInteger();
        AtomicInteger aborted = new AtomicInteger();
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        Set<String> committedValues = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Thread writer = new Thread(() -> {
            try (KafkaProducer<String, String> producer = producer()) {
                producer.initTransactions();
                int batch = 0;
                while (!stop.get()) {
                    List<String> values = new java.util.ArrayList<>();
                    producer.beginTransaction();
                    try {
                        for (int i = 0; i < 30; i++) {
                            String v = batch + "-" + i;
                            producer.send(new ProducerRecord<>("chaos", Integer.toString(i), v));
                            values.add(v);
                        }
                        producer.commitTransaction();
                        committedValues.addAll(values);
                        committed.incrementAndGet();
                    } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException e) {
                        throw e; // fatal
                    } catch (KafkaException e) {
                        producer.abortTransaction(); // abortable: the batch is written again
                        aborted.incrementAndGet();
                        continue;
                    }
                    batch++;
                }
            } catch (Throwable t) {
                fatal.set(t);
            }
        }, "chaos-writer");
        writer.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> committed.get() >= 20 || fatal.get() != null);
            int leader = cluster.leaderOf(tp).orElseThrow();
            long t0 = System.nanoTime();
            cluster.kill(leader);
            killed = leader;
            assertFalse(cluster.isRunning(leader));

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> cluster.leaderOf(tp).orElse(-1) > 0 && cluster.leaderOf(tp).getAsInt() != leader);
            long electedMs = (System.nanoTime() - t0) / 1_000_000;
            int atElection = committed.get();
            await().atMost(Duration.ofSeconds(60)).until(() -> committed.get() >= atElection + 20 || fatal.get() != null);
            assertNull(fatal.get(), () -> "producer failed: " + fatal.get());
            assertEquals(List.of(1, 2, 3).stream().filter(n -> n != leader).toList(), cluster.isr(tp));
            System.out.printf("LocalCluster: killed node %d (leader of %s); new leader %d after %d ms; %d transactions committed, %d aborted%n",
                    leader, tp, cluster.leaderOf(tp).getAsInt(), electedMs, committed.get(), aborted.get());
        } finally {
            stop.set(true);
            writer.join(120_000);
        }
        assertNull(fatal.get(), () -> "producer failed: " + fatal.get());

        // every committed record once, nothing from aborted transactions
        List<String> read = readCommitted("chaos");
        assertEquals(committedValues.size(), read.size(), "no duplicates");
        assertEquals(committedValues, new HashSet<>(read));
    }

    @Test
    @Order(4)
    @DisplayName("the killed node restarts on its ports and data: every partition is back to ISR 3")
    void restart() throws Exception {
        assertTrue(killed > 0, "runs after killLeader");
        long t0 = System.nanoTime();
        cluster.restart(killed);
        cluster.awaitFullIsr(Duration.ofSeconds(60), "chaos", "spread", "__transaction_state");
        System.out.printf("LocalCluster: node %d back, ISR 3 everywhere after %d ms%n", killed, (System.nanoTime() - t0) / 1_000_000);
        for (int p = 0; p < 3; p++) {
            assertEquals(List.of(1, 2, 3), cluster.isr(new TopicPartition("chaos", p)));
        }
        try (Admin admin = cluster.admin()) {
            assertEquals(3, admin.describeCluster().nodes().get().size());
        }
    }

    @Test
    @Order(5)
    @DisplayName("close() stops every node process and deletes the cluster's directory")
    void closeLeavesNothing() {
        List<ProcessHandle> nodes = cluster.nodeIds().stream().map(id -> cluster.process(id).orElseThrow()).toList();
        Path dir = cluster.directory();
        cluster.close();
        for (ProcessHandle p : nodes) {
            assertFalse(p.isAlive(), "node process " + p.pid() + " gone");
        }
        List<String> javaChildren = ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse(p.info().command().orElse("?")))
                .filter(s -> s.contains("java"))
                .toList();
        assertEquals(List.of(), javaChildren, "no java child process left");
        assertFalse(Files.exists(dir), "directory deleted");
    }

    private static KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "chaos-writer",
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000),
                new StringSerializer(), new StringSerializer());
    }

    private static List<String> readCommitted(String topic) {
        List<String> out = new java.util.ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    out.add(r.value());
                }
                boolean done = parts.stream().allMatch(p -> consumer.position(p) >= end.get(p));
                if (done) {
                    break;
                }
            }
        }
        return out;
    }
}
