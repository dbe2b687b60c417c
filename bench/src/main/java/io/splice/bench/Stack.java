package io.splice.bench;

import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.local.EmbeddedKafkaBroker;
import io.splice.local.EmbeddedSchemaRegistry;
import io.splice.local.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The embedded broker (in this JVM) and the schema registry (a child process), both on 127.0.0.1. Closed by
 * {@link #close()} and, should the JVM be interrupted, by a shutdown hook.
 */
final class Stack implements AutoCloseable {
    final EmbeddedKafkaBroker kafka;
    final EmbeddedSchemaRegistry registry;
    final HttpSchemaRegistryClient registryClient;
    private final Thread hook;
    private boolean closed;

    private Stack(EmbeddedKafkaBroker kafka, EmbeddedSchemaRegistry registry) {
        this.kafka = kafka;
        this.registry = registry;
        this.registryClient = new HttpSchemaRegistryClient(registry.url());
        this.hook = new Thread(this::closeQuietly, "bench-stack-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static Stack start() {
        long t0 = System.nanoTime();
        // a larger broker log segment would only delay cleanup; defaults are fine for a single node
        EmbeddedKafkaBroker kafka = new EmbeddedKafkaBroker(Map.of(
                "log.retention.check.interval.ms", "600000",
                "log.cleaner.threads", "1")).start();
        EmbeddedSchemaRegistry registry = null;
        try {
            registry = new EmbeddedSchemaRegistry().start();
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
        Stack s = new Stack(kafka, registry);
        Log.info("stack up in %.1f s: kafka %s, registry %s", (System.nanoTime() - t0) / 1e9, kafka.bootstrapServers(), registry.url());
        return s;
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    String registryUrl() {
        return registry.url();
    }

    /** Creates the benchmark's topics (all with {@code partitions}); compacted ones as DESIGN §4 says. */
    void createTopics(BenchData data, int partitions, Collection<String> extraDeleteTopics) {
        List<TopicSpec> specs = new ArrayList<>();
        specs.add(TopicSpec.of(data.topics.fetchLog(), partitions));
        specs.add(TopicSpec.of(data.topics.fetchLogReplay(), partitions));
        specs.add(TopicSpec.of(data.topics.dlq(), partitions));
        specs.add(TopicSpec.compacted(data.backfillTopic(), partitions));
        specs.add(TopicSpec.compacted(data.bootstrapTopic, partitions));
        specs.add(TopicSpec.compacted(data.stitchedTopic(), partitions));
        for (String t : extraDeleteTopics) {
            specs.add(TopicSpec.of(t, partitions));
        }
        kafka.createTopics(specs);
        List<TopicPartition> wanted = new ArrayList<>();
        for (TopicSpec t : specs) {
            for (int p = 0; p < t.partitions(); p++) {
                wanted.add(new TopicPartition(t.name(), p));
            }
        }
        awaitHosted(wanted);
    }

    /**
     * Waits until the broker hosts a log for every partition of the topics. Right after creation the metadata may
     * already name the leader while the replica manager has not created the partition yet; an idempotent producer
     * that writes in that window gets NOT_LEADER_OR_FOLLOWER for some batches and then out-of-order sequence errors.
     */
    void awaitHosted(List<TopicPartition> wanted) {
        try (Admin admin = kafka.admin()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                int node = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).iterator().next().id();
                Set<TopicPartition> hosted = new HashSet<>();
                for (var dir : admin.describeLogDirs(List.of(node)).allDescriptions().get(30, TimeUnit.SECONDS).get(node).values()) {
                    hosted.addAll(dir.replicaInfos().keySet());
                }
                if (hosted.containsAll(wanted)) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the broker does not host all of " + wanted + " after 60 s");
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot check the partitions " + wanted, e);
        }
    }

    /** Deletes every topic whose name starts with one of the prefixes (frees the disk between runs). */
    void deleteTopics(String... prefixes) {
        try (Admin admin = kafka.admin()) {
            Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<String> doomed = names.stream().filter(n -> {
                for (String p : prefixes) {
                    if (n.startsWith(p)) {
                        return true;
                    }
                }
                return false;
            }).toList();
            if (!doomed.isEmpty()) {
                admin.deleteTopics(doomed).all().get(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            Log.info("could not delete topics %s: %s", List.of(prefixes), e);
        }
    }

    private void closeQuietly() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            registry.close();
        } catch (RuntimeException e) {
            // best effort
        }
        try {
            kafka.close();
        } catch (RuntimeException e) {
            // best effort
        }
    }

    @Override
    public void close() {
        closeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }
}
