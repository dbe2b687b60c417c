package io.splice.streams.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.connectors.testing.PluginJar;
import io.splice.connectors.testing.S3Testing;
import io.splice.local.EmbeddedSchemaRegistry;
import io.splice.local.LocalCluster;
import io.splice.local.TopicSpec;
import io.splice.local.connect.DistributedConnect;
import io.splice.local.featurestore.FeatureGroupSpec;
import io.splice.local.featurestore.FeatureStoreEndpoint;
import io.splice.local.s3.S3Endpoint;
import io.splice.streams.TestApp;
import io.splice.streams.internal.DlqHeaders;
import io.splice.testing.Http;
import io.splice.testing.Kafka;
import io.splice.testing.PropertiesFile;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14's chaos run on the production topology, every part a separate process: a 3-node {@link LocalCluster}
 * (every topic RF 3, min ISR 2), 3 {@code splice run} instances (one {@code application.id}, exactly-once v2, standby
 * replicas, static membership) and 2 distributed Connect workers running both sinks from the plugin jar into S3 and
 * the Feature Store endpoint. While the workload (logs, replays, backfill, a bootstrap table, tombstones, undecodable
 * records) is produced and stitched:
 * <ol>
 *   <li>a random instance is SIGKILLed and restarted;</li>
 *   <li>a Connect worker is SIGKILLed, and restarted once the other ran its tasks;</li>
 *   <li>a random instance is SIGKILLed and restarted;</li>
 *   <li>the broker leading the most stitched partitions is SIGKILLed and restarted after the output moved on;</li>
 *   <li>every instance in turn is stopped and started with {@code joins.yaml} that adds {@code payments v2}
 *       (bootstrapped from v1's stitched topic), whose inputs are then produced;</li>
 *   <li>another random instance is SIGKILLed and restarted.</li>
 * </ol>
 * Afterwards: each stitched topic ({@code read_committed}) equals {@code splice simulate} over the same inputs row
 * for row, revisions 1..n per row without gap or repeat; the DLQ holds every undecodable record once; S3 holds every
 * committed stitched record once (no Kafka offset twice, none missing) and its latest revision per row is the topic's;
 * the online store holds, per card, the values of the card's newest-EventTime row (nothing if that row was deleted).
 * Prints the longest time without a newly committed stitched record after each fault and the restart times.
 */
@Tag(ClusterChaosTest.TAG)
class ClusterChaosTest {
    /** Issue 14's group: its own Surefire execution in {@code mvn verify} (streams-app/pom.xml). */
    static final String TAG = "cluster";

    /** Logs of v1 produced (the size: about 4 minutes here); {@code -Dsplice.reliability.chaos.logs=N} for another. */
    static final int LOGS = Integer.getInteger("splice.reliability.chaos.logs", 100_000);
    /** {@code -Dsplice.reliability.chaos.standby=0} measures restarts without a standby replica. */
    static final int STANDBY = Integer.getInteger("splice.reliability.chaos.standby", 1);
    static final int INSTANCES = 3;
    static final int PARTITIONS = 6;
    static final String BUCKET = "lake";
    static final Duration WAIT = Duration.ofMinutes(10);

    /** A fault and when it happened (nanoTime). */
    private record Fault(String what, long at) {
    }

    private final List<ChildApp> apps = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final List<Long> progress = new ArrayList<>(); // nanoTime of every poll that saw new stitched records
    private final Map<String, Long> restarts = new LinkedHashMap<>(); // what -> ms until /health/ready answered 200
    private final List<StitchedView.KafkaReader> readers = new ArrayList<>();
    private long t0;

    @Test
    void instanceBrokerAndWorkerKillsAndARollingUpgradeLoseNothingAndDuplicateNothing(@TempDir Path tmp) throws Exception {
        t0 = System.nanoTime();
        long seed = Long.getLong("splice.reliability.seed", System.currentTimeMillis());
        Random rnd = new Random(seed);
        String prefix = Kafka.uniquePrefix("chaos");
        Workload w = Workload.generateWithV2(prefix, LOGS, seed);
        Path events = tmp.resolve("events.jsonl");
        List<Workload.Event> all = new ArrayList<>(w.events);
        all.addAll(w.eventsV2);
        Workload.writeEvents(events, all);
        Path simulated = tmp.resolve("simulated");
        CompletableFuture<StitchedView> simulation = StitchedView.simulateAsync(w.definitionsWithV2, prefix, events, simulated);
        try (LocalCluster cluster = LocalCluster.start();
             EmbeddedSchemaRegistry registryServer = new EmbeddedSchemaRegistry().start();
             S3Endpoint s3 = S3Endpoint.transientStore();
             S3Client s3Client = S3Testing.client(s3);
             FeatureStoreEndpoint featureStore = FeatureStoreEndpoint.start()) {
            log("3-node cluster, registry, S3 and Feature Store endpoints up");
            Map<String, Object> common = TestApp.props(cluster.bootstrapServers(), registryServer.url(), prefix, PARTITIONS,
                    tmp.resolve("unused"));
            common.put("splice.topic.replication.factor", (int) cluster.replicationFactor());
            common.put("processing.guarantee", "exactly_once_v2");
            common.put("num.standby.replicas", STANDBY);
            TestApp.createTopics(w.definitionsWithV2, common);
            String connectDlq = prefix + ".dlq.connect";
            cluster.createTopics(TopicSpec.of(connectDlq, 1));
            s3Client.createBucket(b -> b.bucket(BUCKET));
            featureStore.createFeatureGroup(FeatureGroupSpec.of("payments_v1", "card_id", "EventTime"));
            featureStore.createFeatureGroup(FeatureGroupSpec.of("payments_v2", "card_id", "EventTime"));
            Path v1Only = Reliability.write(tmp.resolve("joins-v1.yaml"), Workload.yamlV1Only(prefix));
            Path withV2 = Reliability.write(tmp.resolve("joins-v2.yaml"), Workload.yamlWithV2(prefix));
            List<Path> configs = new ArrayList<>();
            for (int i = 0; i < INSTANCES; i++) {
                Map<String, Object> props = new HashMap<>(common);
                props.put("state.dir", tmp.resolve("state-" + i).toAbsolutePath().toString());
                props.put("group.instance.id", prefix + "-instance-" + i); // a restart takes its own place back
                configs.add(PropertiesFile.write(tmp.resolve("app-" + i + ".properties"), props));
            }
            HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(registryServer.url());
            Map<String, Object> client = Map.of("bootstrap.servers", cluster.bootstrapServers());
            Path logs = Path.of("target", "reliability", prefix);
            try (DistributedConnect connect = DistributedConnect.builder(cluster.bootstrapServers()).workers(2)
                    .groupId(prefix + "-connect").replicationFactor(cluster.replicationFactor())
                    .pluginPath(PluginJar.install(tmp.resolve("plugins"))).classpath(PluginJar.classpathWithoutConnectors())
                    .start()) {
                String s3Sink = "s3-offline";
                String fsSink = "featurestore-online";
                String topics = w.stitchedTopic() + "," + w.stitchedTopicV2();
                connect.putConnector(s3Sink, s3Sink(s3, topics, prefix, registryServer.url(), connectDlq, cluster));
                connect.putConnector(fsSink, featureStoreSink(featureStore, topics, prefix, registryServer.url(), connectDlq, cluster));
                connect.awaitRunning(s3Sink, WAIT);
                connect.awaitRunning(fsSink, WAIT);
                log("2 Connect workers run both sinks");
                for (int i = 0; i < INSTANCES; i++) {
                    apps.add(start(logs, i, v1Only, configs.get(i)));
                }
                readers.add(new StitchedView.KafkaReader(client, registry, w.stitchedTopic()));
                readers.add(new StitchedView.KafkaReader(client, registry, w.stitchedTopicV2()));
                StitchedView.KafkaReader v1 = readers.get(0);
                StitchedView.KafkaReader v2 = readers.get(1);
                try {
                    CompletableFuture<Void> produced = CompletableFuture.runAsync(() -> Workload.produce(client, registry, w.events));
                    // 1. a random instance
                    awaitRows(v1, (int) (0.15 * w.rows));
                    killAndRestart(rnd.nextInt(INSTANCES), "1. SIGKILL instance", logs, v1Only, configs);

                    // 2. a Connect worker, restarted once the other runs every task
                    awaitRows(v1, (int) (0.25 * w.rows));
                    faults.add(new Fault("2. SIGKILL Connect worker 2", System.nanoTime()));
                    long workerKilled = System.nanoTime();
                    connect.kill(2);
                    String survivor = connect.workerId(1);
                    await("worker 1 runs every task").atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                        pollTracking();
                        return connect.isRunning(s3Sink) && connect.isRunning(fsSink)
                                && connect.taskWorkers(s3Sink).values().stream().allMatch(survivor::equals)
                                && connect.taskWorkers(fsSink).values().stream().allMatch(survivor::equals);
                    });
                    long takeover = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - workerKilled);
                    connect.restart(2);
                    log("SIGKILLed Connect worker 2; worker 1 ran every task after " + takeover + " ms; worker 2 restarted");

                    // 3. a random instance again (the three instance kills: 1, 3 and 6)
                    awaitRows(v1, (int) (0.3 * w.rows));
                    killAndRestart(rnd.nextInt(INSTANCES), "3. SIGKILL instance", logs, v1Only, configs);

                    // 4. the broker leading the most stitched partitions, restarted once the output moved on without it
                    awaitRows(v1, (int) (0.4 * w.rows));
                    int broker = busiestLeader(cluster, w.stitchedTopic());
                    faults.add(new Fault("4. SIGKILL broker " + broker, System.nanoTime()));
                    cluster.kill(broker);
                    int rowsAtBrokerKill = v1.view.latest.size();
                    awaitRows(v1, Math.min(w.rows - 1, rowsAtBrokerKill + w.rows / 10));
                    cluster.restart(broker);
                    log("SIGKILLed broker " + broker + ", restarted it after the output moved on");

                    // 5. a rolling restart that adds payments v2; then v2's inputs are produced
                    awaitRows(v1, (int) (0.55 * w.rows));
                    faults.add(new Fault("5. rolling restart adding payments v2", System.nanoTime()));
                    for (int i = 0; i < INSTANCES; i++) {
                        apps.get(i).close(); // SIGTERM: state flushed, group left
                        long started = System.nanoTime();
                        apps.set(i, start(logs, i, withV2, configs.get(i)));
                        awaitReady(i);
                        restarts.put("rolled instance " + i, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                    }
                    log("rolled every instance onto v1+v2: " + restarts);
                    CompletableFuture<Void> producedV2 = CompletableFuture.runAsync(() -> Workload.produce(client, registry, w.eventsV2));

                    // 6. another random instance, now with v2
                    awaitRows(v1, (int) (0.8 * w.rows));
                    killAndRestart(rnd.nextInt(INSTANCES), "6. SIGKILL instance", logs, withV2, configs);

                    produced.get(WAIT.toMinutes(), TimeUnit.MINUTES);
                    producedV2.get(WAIT.toMinutes(), TimeUnit.MINUTES);
                    simulation.get(WAIT.toMinutes(), TimeUnit.MINUTES);
                    StitchedView want1 = StitchedView.simulated(simulated, w.stitchedTopic());
                    StitchedView want2 = StitchedView.simulated(simulated, w.stitchedTopicV2());
                    try (Admin admin = cluster.admin()) {
                        await("both stitched topics equal the simulation").atMost(WAIT).pollDelay(Duration.ZERO)
                                .pollInterval(Duration.ofMillis(50)).until(() -> {
                                    pollTracking();
                                    return v1.view.latest.equals(want1.latest) && v2.view.latest.equals(want2.latest)
                                            && Kafka.consumedToEnd(admin, prefix + "-app", w.topics.fetchLog(),
                                            w.topics.fetchLogReplay(), w.backfillTopic(), w.bootstrapTopic, w.backfillTopicV2());
                                });
                        for (StitchedView.KafkaReader r : readers) {
                            r.poll(Duration.ofSeconds(1)); // anything committed after the last input would show here
                        }
                        v1.view.assertMatches(want1);
                        v2.view.assertMatches(want2);
                        assertEquals(w.rows, v1.view.latest.size(), "every v1 row present, nothing extra");
                        assertEquals(w.rowsV2, v2.view.latest.size(), "every v2 row present, nothing extra");

                        // the DLQ: every undecodable record once
                        List<String> deadLetters = deadLetters(client, w.topics.dlq());
                        assertEquals(StitchedView.simulatedDeadLetters(simulated), deadLetters, "the DLQ vs splice simulate");
                        assertEquals(w.badRecords, deadLetters.size(), "every undecodable record once");

                        // the sinks: both consumed every stitched record
                        await("both sinks consumed both stitched topics").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                                .until(() -> readers.stream().allMatch(r -> committedPastLastRecord(admin, "connect-" + s3Sink, r)
                                        && committedPastLastRecord(admin, "connect-" + fsSink, r)));
                    }
                    for (StitchedView.KafkaReader r : readers) {
                        assertS3HoldsEveryRecordOnce(s3Client, r);
                    }
                    assertOnlineStoreHoldsNewestRowPerCard(featureStore, "payments_v1", want1);
                    assertOnlineStoreHoldsNewestRowPerCard(featureStore, "payments_v2", want2);
                    assertEquals(List.of(), deadLetters(client, connectDlq), "no sink refused a record");
                    System.out.printf("cluster chaos test (seed %d): v1 %d logs (%d replayed), %d backfill, %d bootstrap, "
                                    + "%d tombstones, %d undecodable -> %d rows (%d stitched records); v2 %d logs, %d backfill -> %d rows "
                                    + "(%d records); %d instances on 3 brokers, %d partitions, standby %d, 2 Connect workers; "
                                    + "faults: %s; restarts until ready (ms): %s; total %d s%n",
                            seed, w.logs, w.replayed, w.backfill, w.bootstrap, w.tombstones, w.badRecords, w.rows,
                            v1.view.records, w.logsV2, w.backfillV2, w.rowsV2, v2.view.records, INSTANCES, PARTITIONS, STANDBY,
                            outages(), restarts, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
                } finally {
                    for (ChildApp app : apps) {
                        app.close();
                    }
                    for (StitchedView.KafkaReader r : readers) {
                        r.close();
                    }
                }
            }
        }
    }

    /** S3 holds each committed record of the reader's topic once, and the latest revision per row is the topic's. */
    private static void assertS3HoldsEveryRecordOnce(S3Client s3, StitchedView.KafkaReader reader) {
        String topic = reader.topic();
        String prefix = "offline/" + topic.substring(topic.indexOf(".stitched.") + ".stitched.".length()).replace('.', '_') + "/";
        Map<Integer, Map<Long, Integer>> seen = new TreeMap<>();
        Map<String, GenericRecord> latest = new HashMap<>();
        Map<String, long[]> latestAt = new HashMap<>();
        for (String key : S3Testing.keys(s3, BUCKET, prefix)) {
            for (GenericRecord r : S3Testing.rows(s3, BUCKET, key)) {
                int partition = (Integer) r.get("kafka_partition");
                long offset = (Long) r.get("kafka_offset");
                seen.computeIfAbsent(partition, p -> new TreeMap<>()).merge(offset, 1, Integer::sum);
                String row = r.get("row_key").toString();
                long[] at = latestAt.get(row);
                if (at == null || offset > at[1]) {
                    latestAt.put(row, new long[]{partition, offset});
                    latest.put(row, r);
                }
            }
        }
        for (var e : seen.entrySet()) {
            List<Long> twice = e.getValue().entrySet().stream().filter(x -> x.getValue() > 1).map(Map.Entry::getKey).limit(5).toList();
            assertEquals(List.of(), twice, topic + " partition " + e.getKey() + ": offsets in S3 more than once");
        }
        for (var e : reader.offsets.entrySet()) {
            Set<Long> inS3 = seen.getOrDefault(e.getKey(), Map.of()).keySet();
            Set<Long> missing = new HashSet<>(e.getValue());
            missing.removeAll(inS3);
            assertEquals(Set.of(), missing.stream().limit(5).collect(Collectors.toSet()), topic + " partition " + e.getKey()
                    + ": committed records missing in S3 (" + missing.size() + ")");
            Set<Long> extra = new HashSet<>(inS3);
            extra.removeAll(e.getValue());
            assertEquals(Set.of(), extra.stream().limit(5).collect(Collectors.toSet()), topic + " partition " + e.getKey()
                    + ": S3 holds offsets no committed record has (" + extra.size() + ")");
        }
        assertEquals(reader.view.latest.keySet(), latest.keySet(), topic + ": rows in S3");
        for (var e : reader.view.latest.entrySet()) {
            GenericRecord r = latest.get(e.getKey());
            assertEquals(e.getValue() == null, (Boolean) r.get("is_deleted"), topic + " row " + e.getKey() + ": deleted?");
            assertEquals(reader.view.lastRevision.get(e.getKey()), r.get("revision"), topic + " row " + e.getKey() + ": revision");
            if (e.getValue() != null) {
                JsonNode values = reader.view.lastLive.get(e.getKey()).get("values");
                values.fields().forEachRemaining(f -> assertTrue(sameNumberOrText(f.getValue().isNull() ? null : f.getValue().asText(),
                                r.get(f.getKey()) == null ? null : r.get(f.getKey()).toString()),
                        topic + " row " + e.getKey() + " feature " + f.getKey() + ": S3 " + r.get(f.getKey()) + ", topic " + f.getValue()));
            }
        }
    }

    /**
     * Per card, the online record is the last live values of the card's row with the greatest ts (the newest EventTime
     * wins), or nothing when that row was deleted (its tombstone deleted the record it held; older rows cannot
     * overwrite a newer deletion).
     */
    private static void assertOnlineStoreHoldsNewestRowPerCard(FeatureStoreEndpoint store, String group, StitchedView want) {
        Map<String, String> newestRow = new HashMap<>();
        for (var e : want.lastLive.entrySet()) {
            String card = e.getValue().get("keys").get("card_id").asText();
            String other = newestRow.get(card);
            if (other == null || e.getValue().get("ts").asLong() > want.lastLive.get(other).get("ts").asLong()) {
                newestRow.put(card, e.getKey());
            }
        }
        int live = 0;
        for (var e : newestRow.entrySet()) {
            Optional<Map<String, String>> online = store.record(group, e.getKey());
            String row = e.getValue();
            if (want.latest.get(row) == null) {
                assertEquals(Optional.empty(), online, group + " card " + e.getKey() + ": its newest row " + row + " was deleted");
                continue;
            }
            live++;
            JsonNode rec = want.lastLive.get(row);
            Map<String, String> got = online.orElseThrow(() -> new AssertionError(group + " card " + e.getKey() + ": no record"));
            assertEquals(Instant.ofEpochMilli(rec.get("ts").asLong()), Instant.parse(got.get("EventTime")), group + " card " + e.getKey());
            Map<String, String> expected = new TreeMap<>();
            rec.get("values").fields().forEachRemaining(f -> {
                if (!f.getValue().isNull()) {
                    expected.put(f.getKey(), f.getValue().asText());
                }
            });
            Map<String, String> features = new TreeMap<>(got);
            features.remove("EventTime");
            features.remove("card_id");
            assertEquals(expected.keySet(), features.keySet(), group + " card " + e.getKey() + " (row " + row + ")");
            expected.forEach((f, v) -> assertTrue(sameNumberOrText(v, features.get(f)),
                    group + " card " + e.getKey() + " feature " + f + ": online " + features.get(f) + ", expected " + v));
        }
        assertTrue(live > 0, group + ": no live card at all");
    }

    private static boolean sameNumberOrText(String a, String b) {
        if (Objects.equals(a, b)) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        try {
            return new BigDecimal(a).compareTo(new BigDecimal(b)) == 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * The group committed past the last committed record of every partition the reader saw. (Not the end offset: a
     * transactional topic ends with a commit marker that a consumer never commits past.)
     */
    private static boolean committedPastLastRecord(Admin admin, String group, StitchedView.KafkaReader reader) {
        for (var e : reader.offsets.entrySet()) {
            long last = e.getValue().stream().mapToLong(Long::longValue).max().orElse(-1);
            if (Kafka.committed(admin, group, new TopicPartition(reader.topic(), e.getKey())) <= last) {
                return false;
            }
        }
        return true;
    }

    /** The DLQ's records ({@code read_committed}) as {@code source topic / key}, sorted. */
    private static List<String> deadLetters(Map<String, Object> client, String topic) {
        Map<String, Object> c = new HashMap<>(client);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                parts.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            await("the end of " + topic).atMost(Duration.ofMinutes(2)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(DlqHeaders.get(r.headers(), DlqHeaders.SOURCE_TOPIC) + " / "
                            + (r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8)));
                }
                return Kafka.caughtUp(consumer);
            });
        }
        out.sort(null);
        return out;
    }

    private static Map<String, String> sinkCommon(String topics, String prefix, String registryUrl, String dlq, LocalCluster cluster) {
        Map<String, String> c = new HashMap<>();
        c.put("topics", topics);
        c.put("tasks.max", "4");
        c.put("splice.definitions.yaml", Workload.yamlWithV2(prefix));
        c.put("splice.topic.prefix", prefix);
        c.put("schema.registry.url", registryUrl);
        c.put("aws.region", "us-east-1");
        c.put("errors.tolerance", "all");
        c.put("errors.deadletterqueue.topic.name", dlq);
        c.put("errors.deadletterqueue.topic.replication.factor", Short.toString(cluster.replicationFactor()));
        c.put("consumer.override.isolation.level", "read_committed");
        return c;
    }

    private static Map<String, String> s3Sink(S3Endpoint s3, String topics, String prefix, String registryUrl, String dlq,
                                              LocalCluster cluster) {
        Map<String, String> c = sinkCommon(topics, prefix, registryUrl, dlq, cluster);
        c.put("connector.class", "io.splice.connectors.s3.S3OfflineSinkConnector");
        c.put("aws.access.key.id", S3Endpoint.ACCESS_KEY);
        c.put("aws.secret.access.key", S3Endpoint.SECRET_KEY);
        c.put("aws.endpoint.override", s3.endpoint().toString());
        c.put("s3.path.style.access", "true");
        c.put("s3.prefix", "s3://" + BUCKET + "/offline");
        c.put("flush.size", "5000");
        c.put("rotate.interval.ms", "-1");
        c.put("rotate.idle.ms", "3000"); // writes each partition's tail once the stream is quiet
        return c;
    }

    private static Map<String, String> featureStoreSink(FeatureStoreEndpoint fs, String topics, String prefix, String registryUrl,
                                                        String dlq, LocalCluster cluster) {
        Map<String, String> c = sinkCommon(topics, prefix, registryUrl, dlq, cluster);
        c.put("connector.class", "io.splice.connectors.featurestore.FeatureStoreSinkConnector");
        c.put("aws.access.key.id", "local");
        c.put("aws.secret.access.key", "local");
        c.put("aws.endpoint.override", fs.endpoint().toString());
        c.put("featurestore.control.endpoint.override", fs.endpoint().toString());
        // the row index survives a worker's death: a tombstone finds the record its row was written to
        c.put("featurestore.row.index.bootstrap.servers", cluster.bootstrapServers());
        c.put("featurestore.row.index.topic", prefix + ".featurestore-row-index");
        return c;
    }

    /** Per fault, the longest time without a newly committed stitched record until the next fault (or the end). */
    private String outages() {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < faults.size(); i++) {
            long from = faults.get(i).at();
            long to = i + 1 < faults.size() ? faults.get(i + 1).at() : Long.MAX_VALUE;
            long last = from;
            long longest = 0;
            for (long t : progress) {
                if (t > from && t <= to) {
                    longest = Math.max(longest, t - last);
                    last = t;
                }
            }
            if (to != Long.MAX_VALUE) {
                longest = Math.max(longest, to - last); // silence up to the next fault counts too
            }
            out.put(faults.get(i).what(), String.format("longest gap %.1f s", longest / 1e9));
        }
        return out.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("; "));
    }

    private void awaitRows(StitchedView.KafkaReader reader, int rows) {
        await(rows + " rows stitched").atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    pollTracking();
                    return reader.view.latest.size() >= rows;
                });
    }

    private void pollTracking() {
        for (ChildApp app : apps) {
            if (!app.alive()) {
                throw new AssertionError("an instance died by itself:\n" + app.tail());
            }
        }
        long before = readers.stream().mapToLong(r -> r.view.records).sum();
        for (StitchedView.KafkaReader r : readers) {
            r.poll(Duration.ofMillis(50));
        }
        if (readers.stream().mapToLong(r -> r.view.records).sum() > before) {
            progress.add(System.nanoTime());
        }
    }

    /** SIGKILLs instance {@code i}, starts it again with its state directory and {@code group.instance.id}; times /health/ready. */
    private void killAndRestart(int i, String what, Path logs, Path definitions, List<Path> configs) throws InterruptedException {
        faults.add(new Fault(what + " " + i, System.nanoTime()));
        apps.get(i).kill();
        long restarted = System.nanoTime();
        apps.set(i, start(logs, i, definitions, configs.get(i)));
        awaitReady(i);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
        restarts.put(what + " " + i, ms);
        log(what + " " + i + ", restarted, ready again after " + ms + " ms");
    }

    private void awaitReady(int i) {
        ChildApp app = apps.get(i);
        await("instance " + i + " ready").atMost(Duration.ofMinutes(3)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(20)).until(() -> {
                    pollTracking();
                    int port = app.metricsPort();
                    return port > 0 && Http.status(port, "/health/ready") == 200;
                });
    }

    /** The broker that leads the most partitions of the topic. */
    private static int busiestLeader(LocalCluster cluster, String topic) {
        Map<TopicPartition, Integer> leaders = cluster.leaders(List.of(topic));
        return leaders.values().stream().collect(Collectors.groupingBy(id -> id, Collectors.counting()))
                .entrySet().stream().max(Map.Entry.comparingByValue(Comparator.naturalOrder())).orElseThrow().getKey();
    }

    private static ChildApp start(Path logs, int instance, Path definitions, Path config) {
        // a log file per start: ChildApp reads the metrics port from the first line that names one
        return ChildApp.start(logs.resolve("instance-" + instance + "-" + System.currentTimeMillis() + ".log"), List.of("-Xmx384m"),
                "run", "--definitions", definitions.toString(), "--config", config.toString());
    }

    private void log(String what) {
        CrashRecoveryTest.log(t0, what);
    }
}
