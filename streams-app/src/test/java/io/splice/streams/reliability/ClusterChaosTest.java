package io.splice.streams.reliability;

import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.local.EmbeddedSchemaRegistry;
import io.splice.local.LocalCluster;
import io.splice.streams.TestApp;
import io.splice.testing.Http;
import io.splice.testing.Kafka;
import io.splice.testing.PropertiesFile;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 14's chaos run, sized to fit CI: 3 {@code splice run} processes (one {@code application.id}, exactly-once v2,
 * one standby replica per task) on a 3-node {@link LocalCluster} (every topic RF 3, min ISR 2), while the crash test's
 * workload (logs, backfill, a bootstrap table, tombstones) is produced: a random instance is SIGKILLed and restarted,
 * then the broker leading the most stitched partitions is SIGKILLed and restarted after the output moved on without
 * it, then another random instance is SIGKILLed and restarted. Afterwards the stitched topic ({@code read_committed})
 * equals {@code splice simulate} over the same inputs row for row, with revisions 1..n per row (no gap, no repeat).
 * Prints the longest time without a newly committed stitched record after each fault.
 */
@Tag(Reliability.TAG)
class ClusterChaosTest {
    /** Logs produced; {@code -Dsplice.reliability.chaos.logs=N} for another size. */
    static final int LOGS = Integer.getInteger("splice.reliability.chaos.logs", 30_000);
    static final int INSTANCES = 3;
    static final int PARTITIONS = 6;

    /** A fault and when it happened (nanoTime). */
    private record Fault(String what, long at) {
    }

    @Test
    void instanceAndBrokerKillsLoseNothingAndDuplicateNothing(@TempDir Path tmp) throws Exception {
        long t0 = System.nanoTime();
        long seed = Long.getLong("splice.reliability.seed", System.currentTimeMillis());
        Random rnd = new Random(seed);
        String prefix = Kafka.uniquePrefix("chaos");
        Workload w = Workload.generate(prefix, LOGS, seed);
        Path events = tmp.resolve("events.jsonl");
        w.writeEvents(events);
        CompletableFuture<StitchedView> expected = StitchedView.simulateAsync(w.definitions, prefix, events, tmp.resolve("simulated"));
        try (LocalCluster cluster = LocalCluster.start();
             EmbeddedSchemaRegistry registryServer = new EmbeddedSchemaRegistry().start()) {
            CrashRecoveryTest.log(t0, "3-node cluster and registry up");
            Map<String, Object> common = TestApp.props(cluster.bootstrapServers(), registryServer.url(), prefix, PARTITIONS,
                    tmp.resolve("unused"));
            common.put("splice.topic.replication.factor", (int) cluster.replicationFactor());
            common.put("processing.guarantee", "exactly_once_v2");
            common.put("num.standby.replicas", 1);
            TestApp.createTopics(w.definitions, common);
            Path definitions = Reliability.write(tmp.resolve("joins.yaml"), Workload.yaml(prefix));
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
            List<ChildApp> apps = new ArrayList<>();
            for (int i = 0; i < INSTANCES; i++) {
                apps.add(start(logs, i, definitions, configs.get(i)));
            }
            List<Fault> faults = new ArrayList<>();
            List<Long> progress = new ArrayList<>(); // nanoTime of every poll that saw new stitched records
            List<Long> readyAfterRestart = new ArrayList<>(); // ms from a restart to /health/ready 200
            try (StitchedView.KafkaReader reader = new StitchedView.KafkaReader(client, registry, w.stitchedTopic())) {
                CompletableFuture<Void> produced = CompletableFuture.runAsync(() -> w.produce(client, registry, 0, w.size()));
                // fault 1: a random instance
                awaitRows(reader, apps, progress, (int) (0.2 * w.rows));
                int victim = rnd.nextInt(INSTANCES);
                faults.add(new Fault("1. SIGKILL instance " + victim, System.nanoTime()));
                readyAfterRestart.add(killAndRestart(apps, victim, logs, definitions, configs, reader, progress));
                CrashRecoveryTest.log(t0, faults.get(faults.size() - 1).what() + ", restarted, ready again after " + readyAfterRestart.get(0) + " ms");

                // fault 2: the broker leading the most stitched partitions, restarted once the output moved on without it
                awaitRows(reader, apps, progress, (int) (0.4 * w.rows));
                int broker = busiestLeader(cluster, w.stitchedTopic());
                faults.add(new Fault("2. SIGKILL broker " + broker, System.nanoTime()));
                cluster.kill(broker);
                int rowsAtBrokerKill = reader.view.latest.size();
                awaitRows(reader, apps, progress, Math.min(w.rows - 1, rowsAtBrokerKill + w.rows / 10));
                cluster.restart(broker);
                CrashRecoveryTest.log(t0, "SIGKILLed broker " + broker + ", restarted it after the output moved on");

                // fault 3: another random instance
                awaitRows(reader, apps, progress, (int) (0.7 * w.rows));
                victim = rnd.nextInt(INSTANCES);
                faults.add(new Fault("3. SIGKILL instance " + victim, System.nanoTime()));
                readyAfterRestart.add(killAndRestart(apps, victim, logs, definitions, configs, reader, progress));
                CrashRecoveryTest.log(t0, faults.get(faults.size() - 1).what() + ", restarted, ready again after " + readyAfterRestart.get(1) + " ms");

                produced.get(10, TimeUnit.MINUTES);
                StitchedView want = expected.get(10, TimeUnit.MINUTES);
                try (Admin admin = Admin.create(client)) {
                    await("the stitched topic equals the simulation").atMost(Duration.ofMinutes(10))
                            .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                            .until(() -> {
                                pollTracking(reader, apps, progress);
                                return reader.view.latest.equals(want.latest)
                                        && Kafka.consumedToEnd(admin, prefix + "-app", w.topics.fetchLog(), w.backfillTopic(), w.bootstrapTopic);
                            });
                }
                reader.poll(Duration.ofSeconds(1)); // anything committed after the last input would show here
                StitchedView got = reader.view;
                got.assertMatches(want);
                assertEquals(w.rows, got.latest.size(), "every row present, nothing extra");
                System.out.printf("cluster chaos test (seed %d): %d logs, %d backfill, %d bootstrap, %d tombstones -> %d rows "
                                + "(%d stitched records); %d instances on 3 brokers, %d partitions, standby 1; faults: %s; a restarted instance "
                                + "ready after %s ms; total %d s%n",
                        seed, w.logs, w.backfill, w.bootstrap, w.tombstones, w.rows, got.records, INSTANCES, PARTITIONS,
                        outages(faults, progress), readyAfterRestart, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
            } finally {
                for (ChildApp app : apps) {
                    app.close();
                }
            }
        }
    }

    /** Per fault, the longest time without a newly committed stitched record until the next fault (or the end). */
    private static String outages(List<Fault> faults, List<Long> progress) {
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
            out.put(faults.get(i).what(), String.format("longest gap %.1f s", longest / 1e9));
        }
        return out.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("; "));
    }

    private static void awaitRows(StitchedView.KafkaReader reader, List<ChildApp> apps, List<Long> progress, int rows) {
        await(rows + " rows stitched").atMost(Duration.ofMinutes(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    pollTracking(reader, apps, progress);
                    return reader.view.latest.size() >= rows;
                });
    }

    private static void pollTracking(StitchedView.KafkaReader reader, List<ChildApp> apps, List<Long> progress) {
        for (ChildApp app : apps) {
            if (!app.alive()) {
                throw new AssertionError("an instance died by itself:\n" + app.tail());
            }
        }
        long before = reader.view.records;
        reader.poll(Duration.ofMillis(100));
        if (reader.view.records > before) {
            progress.add(System.nanoTime());
        }
    }

    /**
     * SIGKILLs instance {@code i}, starts it again with the same state directory and {@code group.instance.id}, and
     * returns the milliseconds from the restart until its {@code /health/ready} answers 200 (rebalanced and restored).
     */
    private static long killAndRestart(List<ChildApp> apps, int i, Path logs, Path definitions, List<Path> configs,
                                       StitchedView.KafkaReader reader, List<Long> progress) throws InterruptedException {
        apps.get(i).kill();
        long restarted = System.nanoTime();
        ChildApp app = start(logs, i, definitions, configs.get(i));
        apps.set(i, app);
        await("instance " + i + " ready after its restart").atMost(Duration.ofMinutes(3)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(20)).until(() -> {
                    pollTracking(reader, apps, progress);
                    int port = app.metricsPort();
                    return port > 0 && Http.status(port, "/health/ready") == 200;
                });
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
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
}
