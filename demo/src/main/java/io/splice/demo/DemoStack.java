package io.splice.demo;

import io.splice.core.api.BootstrapPart;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.local.LocalStack;
import io.splice.local.TopicSpec;
import io.splice.local.connect.ConnectWorker;
import io.splice.local.connect.DistributedConnect;
import io.splice.local.featurestore.FeatureGroupSpec;
import io.splice.local.featurestore.FeatureStoreEndpoint;
import io.splice.local.s3.S3Endpoint;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The whole local system for a set of join definitions: Kafka and the schema registry ({@link LocalStack}), the S3
 * endpoint, the Feature Store endpoint and a Connect worker running both Splice sinks on every join's stitched
 * topic. Topics, buckets and feature groups the definitions need are created. {@link #close()} stops everything in
 * reverse order.
 */
public final class DemoStack implements AutoCloseable {
    public static final String S3_CONNECTOR = "splice-s3-offline";
    public static final String FS_CONNECTOR = "splice-featurestore-online";
    /** Topic settings: keep every record (the demo's event times lie days in the past). */
    static final Map<String, String> KEEP = Map.of("retention.ms", "-1", "segment.ms", Long.toString(Duration.ofDays(365).toMillis()));

    private final List<AutoCloseable> started = new ArrayList<>();
    private final Definitions definitions;
    private final Topics topics;
    private final int partitions;
    private final int brokers;
    private final int connectWorkers;
    private LocalStack kafka;
    private S3Endpoint s3;
    private FeatureStoreEndpoint featureStore;
    private volatile CompletableFuture<ConnectWorker> connect;
    /** Set instead of {@link #connect} when the stack runs distributed Connect worker processes. */
    private volatile CompletableFuture<DistributedConnect> distributedConnect;
    private S3Client s3Client;
    private volatile boolean closed;

    private DemoStack(Definitions definitions, Topics topics, int partitions, int brokers, int connectWorkers) {
        this.definitions = definitions;
        this.topics = topics;
        this.partitions = partitions;
        this.brokers = brokers;
        this.connectWorkers = connectWorkers;
    }

    /**
     * Starts everything (Kafka and the registry boot in parallel with S3 and the Feature Store endpoint) and returns
     * once both connectors run. {@code definitionsFile} is what the connectors load.
     */
    public static DemoStack start(Definitions definitions, Path definitionsFile, Topics topics, int partitions,
                                  Progress progress) {
        return start(definitions, definitionsFile, topics, partitions, 1, progress);
    }

    /**
     * As above with {@code brokers} Kafka brokers: 1 is the in-JVM broker (RF 1); more is a
     * {@link io.splice.local.LocalCluster} of that many node processes, and every topic the stack creates (the
     * Connect dead-letter queue included) gets RF min(3, brokers).
     */
    public static DemoStack start(Definitions definitions, Path definitionsFile, Topics topics, int partitions,
                                  int brokers, Progress progress) {
        return start(definitions, definitionsFile, topics, partitions, brokers, 0, progress);
    }

    /**
     * As above with {@code connectWorkers} Kafka Connect workers in distributed mode, each a separate process
     * ({@link DistributedConnect}; internal topics with the stack's RF, one task per partition); 0 runs one standalone
     * worker in this JVM instead.
     */
    public static DemoStack start(Definitions definitions, Path definitionsFile, Topics topics, int partitions,
                                  int brokers, int connectWorkers, Progress progress) {
        DemoStack stack = start(definitions, definitionsFile, topics, partitions, brokers, connectWorkers, progress, s -> { });
        stack.awaitConnect();
        return stack;
    }

    /**
     * As above, but returns once Kafka, the registry, S3 and the Feature Store answer: Connect and its connectors
     * start in the background ({@link #connect()} waits for them). {@code onKafka} runs as soon as Kafka and the
     * registry answer.
     */
    public static DemoStack start(Definitions definitions, Path definitionsFile, Topics topics, int partitions,
                                  Progress progress, java.util.function.Consumer<DemoStack> onKafka) {
        return start(definitions, definitionsFile, topics, partitions, 1, progress, onKafka);
    }

    /** As above with {@code brokers} Kafka brokers (see {@link #start(Definitions, Path, Topics, int, int, Progress)}). */
    public static DemoStack start(Definitions definitions, Path definitionsFile, Topics topics, int partitions,
                                  int brokers, Progress progress, java.util.function.Consumer<DemoStack> onKafka) {
        return start(definitions, definitionsFile, topics, partitions, brokers, 0, progress, onKafka);
    }

    private static DemoStack start(Definitions definitions, Path definitionsFile, Topics topics, int partitions,
                                   int brokers, int connectWorkers, Progress progress, java.util.function.Consumer<DemoStack> onKafka) {
        if (brokers < 1) {
            throw new IllegalArgumentException("brokers must be >= 1: " + brokers);
        }
        if (connectWorkers < 0) {
            throw new IllegalArgumentException("connect workers must be >= 0: " + connectWorkers);
        }
        DemoStack stack = new DemoStack(definitions, topics, partitions, brokers, connectWorkers);
        CompletableFuture<LocalStack> kafka = CompletableFuture.supplyAsync(() -> LocalStack.builder()
                .withKafkaCluster(brokers).withSchemaRegistry().withTopics(stack.topicSpecs().toArray(TopicSpec[]::new)).start());
        try {
            stack.s3 = stack.started(S3Endpoint.transientStore());
            stack.s3Client = stack.started(OfflineTable.s3(stack.s3.endpoint(), S3Endpoint.ACCESS_KEY, S3Endpoint.SECRET_KEY, "us-east-1"));
            for (String bucket : stack.buckets()) {
                try {
                    stack.s3Client.createBucket(b -> b.bucket(bucket));
                } catch (BucketAlreadyOwnedByYouException ignored) {
                    // fine
                }
            }
            stack.featureStore = stack.started(FeatureStoreEndpoint.start());
            for (JoinDefinition j : definitions.joins()) {
                stack.featureStore.createFeatureGroup(FeatureGroupSpec.of(j.featureGroupName(), j.recordIdentifier(), "EventTime"));
            }
            progress.step("S3 endpoint %s, Feature Store endpoint %s", stack.s3.endpoint(), stack.featureStore.endpoint());
            try {
                stack.kafka = stack.started(kafka.join());
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : e;
            }
            progress.step("Kafka %s, schema registry %s", stack.kafka.bootstrapServers(), stack.kafka.schemaRegistryUrl());
            onKafka.accept(stack);
            if (connectWorkers > 0) {
                stack.distributedConnect = CompletableFuture.supplyAsync(() -> stack.startDistributedConnect(definitionsFile, progress));
                return stack;
            }
            stack.connect = CompletableFuture.supplyAsync(() -> {
                ConnectWorker w = stack.started(ConnectWorker.start(stack.kafka.bootstrapServers(), Map.of(
                        "offset.flush.interval.ms", "500")));
                w.startConnector(S3_CONNECTOR, stack.s3ConnectorConfig(definitionsFile));
                w.startConnector(FS_CONNECTOR, stack.featureStoreConnectorConfig(definitionsFile));
                stack.awaitRunning(w, S3_CONNECTOR, Duration.ofSeconds(90));
                stack.awaitRunning(w, FS_CONNECTOR, Duration.ofSeconds(90));
                progress.step("Kafka Connect %s with %s and %s", w.restUrl(), S3_CONNECTOR, FS_CONNECTOR);
                return w;
            });
            return stack;
        } catch (RuntimeException e) {
            if (stack.kafka == null) {
                try {
                    kafka.join().close(); // still starting: wait for it, then stop it
                } catch (RuntimeException ignored) {
                    // it failed itself
                }
            }
            try {
                stack.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** N worker processes of this JVM's class path (the sinks found by service_load), both connectors created by REST. */
    private DistributedConnect startDistributedConnect(Path definitionsFile, Progress progress) {
        DistributedConnect dc = started(DistributedConnect.builder(kafka.bootstrapServers()).workers(connectWorkers)
                .replicationFactor(replicationFactor()).workerConfig(Map.of("offset.flush.interval.ms", "500")).start());
        Map<String, String> s3Config = new LinkedHashMap<>(s3ConnectorConfig(definitionsFile));
        Map<String, String> fsConfig = new LinkedHashMap<>(featureStoreConnectorConfig(definitionsFile));
        // one task per partition, spread over the workers
        s3Config.put("tasks.max", Integer.toString(partitions));
        fsConfig.put("tasks.max", Integer.toString(partitions));
        dc.putConnector(S3_CONNECTOR, s3Config);
        dc.putConnector(FS_CONNECTOR, fsConfig);
        dc.awaitRunning(S3_CONNECTOR, Duration.ofSeconds(120));
        dc.awaitRunning(FS_CONNECTOR, Duration.ofSeconds(120));
        progress.step("Kafka Connect: %d distributed workers (%s) with %s and %s", connectWorkers,
                dc.workerIds().stream().map(dc::restUrl).map(URI::toString).collect(java.util.stream.Collectors.joining(" ")),
                S3_CONNECTOR, FS_CONNECTOR);
        return dc;
    }

    /** Waits until the connector and its tasks run; gives up at once when the stack is being stopped. */
    private void awaitRunning(ConnectWorker w, String name, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!w.isRunning(name)) {
            if (closed) {
                throw new IllegalStateException("the stack is stopping");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Connector " + name + " not running after " + timeout.toSeconds() + " s: " + w.status(name));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private <T extends AutoCloseable> T started(T c) {
        synchronized (started) {
            if (!closed) {
                started.add(c);
                return c;
            }
        }
        Demo.closeQuietly(c); // stopped meanwhile
        throw new IllegalStateException("the stack is stopping");
    }

    /** Every topic of the definitions, with the same partition count (co-partitioned by row key). */
    List<TopicSpec> topicSpecs() {
        Map<String, TopicSpec> m = new LinkedHashMap<>();
        m.put(topics.fetchLog(), new TopicSpec(topics.fetchLog(), partitions, false, KEEP));
        m.put(topics.fetchLogReplay(), new TopicSpec(topics.fetchLogReplay(), partitions, false, KEEP));
        m.put(topics.dlq(), new TopicSpec(topics.dlq(), 1, false, KEEP));
        for (JoinDefinition j : definitions.joins()) {
            m.put(topics.backfill(j), new TopicSpec(topics.backfill(j), partitions, true, KEEP));
            m.put(topics.stitched(j), new TopicSpec(topics.stitched(j), partitions, true, KEEP));
            for (BootstrapPart b : j.bootstrapParts()) {
                m.putIfAbsent(b.topic(), new TopicSpec(b.topic(), partitions, true, KEEP));
            }
        }
        return new ArrayList<>(m.values());
    }

    /** Buckets of the joins' offline prefixes. */
    Set<String> buckets() {
        Set<String> out = new LinkedHashSet<>();
        for (JoinDefinition j : definitions.joins()) {
            if (j.offline() != null && j.offline().s3Prefix() != null) {
                out.add(URI.create(j.offline().s3Prefix()).getHost());
            }
        }
        return out;
    }

    private String stitchedTopics() {
        return String.join(",", definitions.joins().stream().map(topics::stitched).toList());
    }

    private Map<String, String> common(Path definitionsFile) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("topics", stitchedTopics());
        c.put("tasks.max", "1");
        c.put("splice.definitions.path", definitionsFile.toAbsolutePath().toString());
        c.put("splice.topic.prefix", topics.prefix());
        c.put("schema.registry.url", kafka.schemaRegistryUrl());
        c.put("aws.region", "us-east-1");
        c.put("aws.access.key.id", S3Endpoint.ACCESS_KEY);
        c.put("aws.secret.access.key", S3Endpoint.SECRET_KEY);
        c.put("errors.tolerance", "all");
        c.put("errors.deadletterqueue.topic.name", topics.dlq());
        c.put("errors.deadletterqueue.topic.replication.factor", Short.toString(replicationFactor()));
        c.put("errors.deadletterqueue.context.headers.enable", "true");
        // the stitching app writes with exactly-once transactions: read only committed records
        c.put("consumer.override.isolation.level", "read_committed");
        c.put("consumer.override.auto.offset.reset", "earliest");
        return c;
    }

    Map<String, String> s3ConnectorConfig(Path definitionsFile) {
        Map<String, String> c = common(definitionsFile);
        c.put("connector.class", "io.splice.connectors.s3.S3OfflineSinkConnector");
        c.put("aws.endpoint.override", s3.endpoint().toString());
        c.put("s3.path.style.access", "true");
        c.put("flush.size", "5000");
        c.put("rotate.interval.ms", "-1");
        c.put("rotate.idle.ms", "1000");
        return c;
    }

    Map<String, String> featureStoreConnectorConfig(Path definitionsFile) {
        Map<String, String> c = common(definitionsFile);
        c.put("connector.class", "io.splice.connectors.featurestore.FeatureStoreSinkConnector");
        c.put("aws.endpoint.override", featureStore.endpoint().toString());
        c.put("featurestore.control.endpoint.override", featureStore.endpoint().toString());
        return c;
    }

    public Definitions definitions() {
        return definitions;
    }

    public Topics topics() {
        return topics;
    }

    public int partitions() {
        return partitions;
    }

    /** Number of Kafka brokers (1: in-JVM; more: separate node processes, see {@link #cluster()}). */
    public int brokers() {
        return brokers;
    }

    /** Replication factor of every topic the stack creates: min(3, brokers). */
    public short replicationFactor() {
        return kafka != null ? kafka.replicationFactor() : (short) Math.min(3, brokers);
    }

    /** The multi-process Kafka cluster when {@code brokers > 1} (to kill or restart a broker). */
    public java.util.Optional<io.splice.local.LocalCluster> cluster() {
        return kafka == null ? java.util.Optional.empty() : kafka.cluster();
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String schemaRegistryUrl() {
        return kafka.schemaRegistryUrl();
    }

    public S3Endpoint s3() {
        return s3;
    }

    public S3Client s3Client() {
        return s3Client;
    }

    public FeatureStoreEndpoint featureStore() {
        return featureStore;
    }

    /** The in-JVM Connect worker, once it and both connectors run (waits for them); not with distributed workers. */
    public ConnectWorker connect() {
        if (connect == null) {
            throw new IllegalStateException("the stack runs " + connectWorkers + " distributed Connect workers: see distributedConnect()");
        }
        return join(connect);
    }

    /** The distributed Connect worker processes (with {@code connectWorkers > 0}), once both connectors run. */
    public java.util.Optional<DistributedConnect> distributedConnect() {
        return distributedConnect == null ? java.util.Optional.empty() : java.util.Optional.of(join(distributedConnect));
    }

    /** Waits until Connect (in-JVM or distributed) and both connectors run. */
    public void awaitConnect() {
        connectRestUrl();
    }

    /** The REST URL of the in-JVM worker, or of the first distributed worker (any worker answers for the group). */
    public URI connectRestUrl() {
        return distributedConnect().map(dc -> dc.restUrl(dc.workerIds().get(0))).orElseGet(() -> connect().restUrl());
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** Endpoints by name, for printing. */
    public Map<String, String> endpoints() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("kafka.bootstrap.servers", bootstrapServers());
        m.put("schema.registry.url", schemaRegistryUrl());
        m.put("s3.endpoint", s3.endpoint().toString());
        m.put("featurestore.endpoint", featureStore.endpoint().toString());
        m.put("connect.rest.url", connectRestUrl().toString());
        return m;
    }

    /**
     * Stops every component, last started first. Connect, if it is still starting, is given up to 30 s to register
     * its worker (which is then stopped too). Idempotent.
     */
    @Override
    public void close() {
        CompletableFuture<?> c = connect != null ? connect : distributedConnect;
        boolean wasClosed = closed;
        closed = true; // a Connect start in progress stops waiting for its connectors
        if (c != null && !wasClosed) {
            try {
                c.get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException | RuntimeException ignored) {
                // it failed or gave up: whatever it started is in the list
            }
        }
        List<AutoCloseable> toClose;
        synchronized (started) {
            toClose = new ArrayList<>(started);
            started.clear();
        }
        RuntimeException failure = null;
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("failed to stop part of the stack: " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
