package io.splice.local;

import io.splice.local.s3.S3Endpoint;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;

/**
 * The local default stack: an embedded Kafka broker (or a {@link LocalCluster} of N node processes, see
 * {@link Builder#withKafkaCluster(int)}) and the schema registry, each optional. Everything binds
 * 127.0.0.1 and is stopped by {@link #close()} (in reverse start order).
 *
 * <pre>{@code
 * try (LocalStack stack = LocalStack.builder().withKafka().withSchemaRegistry().start()) {
 *     stack.bootstrapServers(); stack.schemaRegistryUrl();
 * }
 * }</pre>
 *
 * <p>To add a component (S3 endpoint, Feature Store endpoint, Connect worker): give it a {@code withX()} on the
 * {@link Builder}, start it in {@link Builder#start()} (register it with {@code stack.started(...)} so that it is
 * closed), and expose its endpoint here.
 */
public final class LocalStack implements StackEndpoints, AutoCloseable {

    private final List<AutoCloseable> started = new ArrayList<>();
    private EmbeddedKafkaBroker kafka;
    private LocalCluster cluster;
    private EmbeddedSchemaRegistry schemaRegistry;
    private boolean closed;

    private LocalStack() {
    }

    /** A builder with nothing selected. */
    public static Builder builder() {
        return new Builder();
    }

    /** Kafka and the schema registry, started. */
    public static LocalStack startDefault() {
        return builder().withKafka().withSchemaRegistry().start();
    }

    @Override
    public String bootstrapServers() {
        if (cluster != null) {
            return cluster.bootstrapServers();
        }
        return kafka().orElseThrow(() -> new IllegalStateException("the stack has no Kafka (use withKafka())")).bootstrapServers();
    }

    @Override
    public String schemaRegistryUrl() {
        return schemaRegistry().orElseThrow(() -> new IllegalStateException("the stack has no schema registry (use withSchemaRegistry())")).url();
    }

    /** The embedded broker, if selected (e.g. to create topics or stop/start it). */
    public Optional<EmbeddedKafkaBroker> kafka() {
        return Optional.ofNullable(kafka);
    }

    /** The multi-process cluster, if selected with {@link Builder#withKafkaCluster(int)} (N &ge; 2). */
    public Optional<LocalCluster> cluster() {
        return Optional.ofNullable(cluster);
    }

    /** Replication factor of the topics this stack creates: 1 on the embedded broker, min(3, N) on a cluster. */
    public short replicationFactor() {
        return cluster != null ? cluster.replicationFactor() : 1;
    }

    /** The embedded schema registry, if selected. */
    public Optional<EmbeddedSchemaRegistry> schemaRegistry() {
        return Optional.ofNullable(schemaRegistry);
    }

    /** The endpoints of the started components, by name (for printing). */
    public Map<String, String> endpoints() {
        Map<String, String> m = new LinkedHashMap<>();
        kafka().ifPresent(k -> m.put("kafka.bootstrap.servers", k.bootstrapServers()));
        cluster().ifPresent(c -> m.put("kafka.bootstrap.servers", c.bootstrapServers()));
        schemaRegistry().ifPresent(r -> m.put("schema.registry.url", r.url()));
        return m;
    }

    /** Stops every component, last started first. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("failed to stop part of the local stack", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        started.clear();
        if (failure != null) {
            throw failure;
        }
    }

    private synchronized <T extends AutoCloseable> T started(T component) {
        started.add(component);
        return component;
    }

    /**
     * Starts Kafka and the schema registry (and, with {@code --s3 DIR}, an S3 endpoint whose buckets are the
     * sub-directories of DIR), prints their endpoints as {@code key=value} lines and runs until the JVM is stopped.
     * backfill-job's spark-cluster tests run it as a child process: Kafka 4.1 cannot share Spark's class path.
     */
    public static void main(String[] args) throws InterruptedException {
        if (args.length != 0 && !(args.length == 2 && args[0].equals("--s3"))) {
            System.err.println("usage: LocalStack [--s3 DIR]");
            System.exit(2);
        }
        LocalStack stack = startDefault();
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "splice-local-stack-shutdown"));
        Map<String, String> endpoints = stack.endpoints();
        if (args.length == 2) {
            S3Endpoint s3 = stack.started(S3Endpoint.filesystemStore(Path.of(args[1])));
            endpoints.put("s3.endpoint", s3.endpoint().toString());
        }
        endpoints.forEach((k, v) -> System.out.println(k + "=" + v));
        System.out.flush();
        new CountDownLatch(1).await();
    }

    /** Chooses the components of a {@link LocalStack}. */
    public static final class Builder {
        private boolean kafka;
        private int kafkaNodes = 1;
        private Map<String, String> brokerOverrides = Map.of();
        private final List<TopicSpec> topics = new ArrayList<>();
        private boolean schemaRegistry;
        private Path registryJar;

        private Builder() {
        }

        /** An embedded KRaft broker with the default local configuration. */
        public Builder withKafka() {
            return withKafka(Map.of());
        }

        /** An embedded KRaft broker with the given broker config overrides. */
        public Builder withKafka(Map<String, String> brokerOverrides) {
            this.kafka = true;
            this.brokerOverrides = Map.copyOf(brokerOverrides);
            return this;
        }

        /**
         * Kafka with {@code nodes} brokers: 1 is the in-JVM {@link EmbeddedKafkaBroker}; 2 or more a
         * {@link LocalCluster} of that many node processes (RF min(3, N), min ISR min(2, N)). Broker overrides from
         * {@link #withKafka(Map)} apply to every node.
         */
        public Builder withKafkaCluster(int nodes) {
            if (nodes < 1) {
                throw new IllegalArgumentException("nodes must be >= 1: " + nodes);
            }
            this.kafka = true;
            this.kafkaNodes = nodes;
            return this;
        }

        /** Topics to create once Kafka is up (implies {@link #withKafka()} if not chosen yet). */
        public Builder withTopics(TopicSpec... topics) {
            this.kafka = true;
            this.topics.addAll(Arrays.asList(topics));
            return this;
        }

        /** The schema registry, from the jar found by {@link EmbeddedSchemaRegistry#locateJar()}. */
        public Builder withSchemaRegistry() {
            this.schemaRegistry = true;
            return this;
        }

        /** The schema registry, from the given runner jar. */
        public Builder withSchemaRegistry(Path runnerJar) {
            this.schemaRegistry = true;
            this.registryJar = runnerJar;
            return this;
        }

        /**
         * Starts the chosen components (the registry process boots while the broker starts) and returns when
         * all answer. On failure, whatever was started is stopped again.
         */
        public LocalStack start() {
            LocalStack stack = new LocalStack();
            try {
                CompletableFuture<EmbeddedSchemaRegistry> registry = null;
                if (schemaRegistry) {
                    EmbeddedSchemaRegistry r = stack.started(registryJar == null
                            ? new EmbeddedSchemaRegistry() : new EmbeddedSchemaRegistry(registryJar));
                    registry = CompletableFuture.supplyAsync(r::start);
                }
                if (kafka && kafkaNodes > 1) {
                    stack.cluster = stack.started(LocalCluster.builder().nodes(kafkaNodes).brokerConfig(brokerOverrides).start());
                    if (!topics.isEmpty()) {
                        stack.cluster.createTopics(topics);
                    }
                } else if (kafka) {
                    stack.kafka = stack.started(new EmbeddedKafkaBroker(brokerOverrides)).start();
                    if (!topics.isEmpty()) {
                        stack.kafka.createTopics(topics);
                    }
                }
                if (registry != null) {
                    stack.schemaRegistry = join(registry);
                }
                return stack;
            } catch (RuntimeException e) {
                try {
                    stack.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }

        private static <T> T join(CompletableFuture<T> future) {
            try {
                return future.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw e;
            }
        }
    }
}
