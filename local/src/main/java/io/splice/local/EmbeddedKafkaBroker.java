package io.splice.local;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A single-node Kafka 4.1 KRaft cluster (combined broker + controller) running inside this JVM.
 *
 * <p>Binds 127.0.0.1 on free ports, keeps its data in a per-instance temporary directory, and uses
 * replication factor 1 everywhere. {@link #stop()} followed by {@link #start()} restarts the broker on the
 * same ports and the same data; {@link #close()} stops it and deletes its directory.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker kafka = new EmbeddedKafkaBroker().start()) {
 *     kafka.createTopics(TopicSpec.compacted("features", 3));
 *     ... kafka.bootstrapServers() ...
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final int NODE_ID = 1;
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, String> overrides;
    private final Path dir;
    private final String clusterId = Uuid.randomUuid().toString();
    private int brokerPort;
    private int controllerPort;
    private int saslSslPort;
    private SaslSslListener saslSsl;
    private KafkaRaftServer server;
    private boolean closed;

    /** A broker with the default local configuration. */
    public EmbeddedKafkaBroker() {
        this(Map.of());
    }

    /**
     * A broker whose configuration is the default local one plus {@code overrides} (broker config keys,
     * e.g. {@code auto.create.topics.enable=false}); listeners, node id and log dirs cannot be overridden.
     */
    public EmbeddedKafkaBroker(Map<String, String> overrides) {
        this.overrides = Map.copyOf(overrides);
        try {
            this.dir = Files.createTempDirectory("splice-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the broker's directory", e);
        }
    }

    /**
     * A client listener with SASL over TLS: SCRAM-SHA-512 and SCRAM-SHA-256, the broker certificate from
     * {@code keystore}. Users are created with {@code Admin#alterUserScramCredentials} (e.g. through {@link #admin()}
     * on the PLAINTEXT listener, which stays for inter-broker traffic and local administration).
     */
    public record SaslSslListener(Path keystore, String keystoreType, String keystorePassword, String keyPassword) {
        @Override
        public String toString() {
            return "SaslSslListener[keystore=" + keystore + ", type=" + keystoreType + "]"; // no passwords
        }
    }

    /** Adds a {@link SaslSslListener} on its own port (call before the first {@link #start()}). */
    public synchronized EmbeddedKafkaBroker withSaslSslListener(SaslSslListener listener) {
        if (brokerPort != 0) {
            throw new IllegalStateException("add the SASL_SSL listener before the first start()");
        }
        this.saslSsl = listener;
        return this;
    }

    /** {@code 127.0.0.1:<port>} of the SASL_SSL listener. */
    public String saslSslBootstrapServers() {
        if (saslSslPort == 0) {
            throw new IllegalStateException(saslSsl == null ? "no SASL_SSL listener" : "broker not started");
        }
        return Ports.LOOPBACK + ":" + saslSslPort;
    }

    /**
     * Formats the storage (first start only) and starts the broker; returns when it accepts requests.
     * After {@link #stop()}, starts again on the same ports and data.
     */
    public synchronized EmbeddedKafkaBroker start() {
        if (closed) {
            throw new IllegalStateException("broker closed");
        }
        if (server != null) {
            return this;
        }
        KafkaLogging.quiet();
        if (brokerPort == 0) {
            brokerPort = Ports.freePort();
            controllerPort = Ports.freePort();
            if (saslSsl != null) {
                saslSslPort = Ports.freePort();
            }
        }
        Map<String, String> config = config();
        Path logDir = dir.resolve("data");
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            format(config);
        }
        KafkaRaftServer raft = new KafkaRaftServer(new KafkaConfig(config, false), Time.SYSTEM);
        try {
            raft.startup();
        } catch (RuntimeException e) {
            shutdownQuietly(raft);
            throw new IllegalStateException("the embedded Kafka broker did not start", e);
        }
        server = raft;
        awaitReady();
        return this;
    }

    /** {@code 127.0.0.1:<port>}. */
    public String bootstrapServers() {
        if (brokerPort == 0) {
            throw new IllegalStateException("broker not started");
        }
        return Ports.LOOPBACK + ":" + brokerPort;
    }

    /** Whether the broker is running. */
    public synchronized boolean isRunning() {
        return server != null;
    }

    /** The directory holding the broker's data (deleted by {@link #close()}). */
    public Path dataDirectory() {
        return dir;
    }

    /** Creates the given topics (replication factor 1); topics that already exist are left as they are. */
    public void createTopics(TopicSpec... topics) {
        createTopics(Arrays.asList(topics));
    }

    /** Creates the given topics (replication factor 1); topics that already exist are left as they are. */
    public void createTopics(List<TopicSpec> topics) {
        List<NewTopic> newTopics = new ArrayList<>();
        for (TopicSpec t : topics) {
            newTopics.add(t.toNewTopic((short) 1));
        }
        try (Admin admin = admin()) {
            for (var entry : admin.createTopics(newTopics).values().entrySet()) {
                try {
                    entry.getValue().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating topics " + topics, e);
        }
    }

    /** Creates one topic; see {@link #createTopics(TopicSpec...)}. */
    public void createTopic(String name, int partitions, boolean compacted) {
        createTopics(new TopicSpec(name, partitions, compacted));
    }

    /** A new admin client on this broker; the caller closes it. */
    public Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "splice-local-admin");
        return Admin.create(props);
    }

    /** Stops the broker and keeps its data: {@link #start()} brings it back on the same ports. */
    public synchronized void stop() {
        KafkaRaftServer raft = server;
        server = null;
        if (raft != null) {
            shutdownQuietly(raft);
        }
    }

    /** Stops the broker and deletes its directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        stop();
        closed = true;
        deleteRecursively(dir);
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaBroker[" + (brokerPort == 0 ? "not started" : bootstrapServers()) + ", dir=" + dir + "]";
    }

    private Map<String, String> config() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("process.roles", "broker,controller");
        c.put("node.id", Integer.toString(NODE_ID));
        c.put("controller.quorum.voters", NODE_ID + "@" + Ports.LOOPBACK + ":" + controllerPort);
        String sasl = saslSsl == null ? "" : ",SASL_SSL://" + Ports.LOOPBACK + ":" + saslSslPort;
        c.put("listeners", "PLAINTEXT://" + Ports.LOOPBACK + ":" + brokerPort + ",CONTROLLER://" + Ports.LOOPBACK + ":" + controllerPort + sasl);
        c.put("advertised.listeners", "PLAINTEXT://" + Ports.LOOPBACK + ":" + brokerPort + sasl);
        c.put("controller.listener.names", "CONTROLLER");
        c.put("inter.broker.listener.name", "PLAINTEXT");
        c.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT" + (saslSsl == null ? "" : ",SASL_SSL:SASL_SSL"));
        if (saslSsl != null) {
            String scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
            c.put("sasl.enabled.mechanisms", "SCRAM-SHA-512,SCRAM-SHA-256");
            c.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", scram);
            c.put("listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config", scram);
            c.put("listener.name.sasl_ssl.ssl.keystore.location", saslSsl.keystore().toAbsolutePath().toString());
            c.put("listener.name.sasl_ssl.ssl.keystore.type", saslSsl.keystoreType());
            c.put("listener.name.sasl_ssl.ssl.keystore.password", saslSsl.keystorePassword());
            c.put("listener.name.sasl_ssl.ssl.key.password", saslSsl.keyPassword());
        }
        c.put("log.dirs", dir.resolve("data").toString());
        // single node: replication factor 1 and min ISR 1 everywhere
        c.put("default.replication.factor", "1");
        c.put("min.insync.replicas", "1");
        c.put("offsets.topic.replication.factor", "1");
        c.put("offsets.topic.num.partitions", "1");
        c.put("transaction.state.log.replication.factor", "1");
        c.put("transaction.state.log.min.isr", "1");
        c.put("transaction.state.log.num.partitions", "1");
        c.put("share.coordinator.state.topic.replication.factor", "1");
        c.put("share.coordinator.state.topic.min.isr", "1");
        c.put("share.coordinator.state.topic.num.partitions", "1");
        c.put("num.partitions", "1");
        // fast and small
        c.put("group.initial.rebalance.delay.ms", "0");
        c.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
        c.put("num.network.threads", "2");
        c.put("num.io.threads", "4");
        c.put("num.recovery.threads.per.data.dir", "1");
        c.put("auto.create.topics.enable", "true");
        c.put("delete.topic.enable", "true");
        Map<String, String> result = new LinkedHashMap<>(c);
        for (var e : overrides.entrySet()) {
            String k = e.getKey();
            if (k.equals("node.id") || k.equals("process.roles") || k.equals("log.dirs") || k.contains("listener")
                    || k.startsWith("controller.quorum")) {
                throw new IllegalArgumentException("cannot override " + k);
            }
            result.put(k, e.getValue());
        }
        return result;
    }

    private void format(Map<String, String> config) {
        Path propsFile = dir.resolve("server.properties");
        Properties props = new Properties();
        props.putAll(config);
        try (OutputStream out = Files.newOutputStream(propsFile)) {
            props.store(out, "splice embedded broker");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int rc;
        try (PrintStream ps = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            // execute(...) rather than main(...): main exits the JVM
            rc = StorageTool.execute(new String[]{"format", "-t", clusterId, "-c", propsFile.toString(), "--ignore-formatted"}, ps);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot format the broker's storage: " + captured.toString(StandardCharsets.UTF_8), e);
        }
        if (rc != 0) {
            throw new IllegalStateException("cannot format the broker's storage (rc=" + rc + "): " + captured.toString(StandardCharsets.UTF_8));
        }
    }

    /** Waits until the broker answers metadata requests and has registered itself. */
    private void awaitReady() {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        RuntimeException last = null;
        try (Admin admin = admin()) {
            while (System.nanoTime() < deadline) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = new IllegalStateException(e.getCause() != null ? e.getCause() : e);
                }
                TimeUnit.MILLISECONDS.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
        stop();
        throw new IllegalStateException("the embedded Kafka broker did not become ready in 60 s", last);
    }

    private static void shutdownQuietly(KafkaRaftServer raft) {
        try {
            raft.shutdown();
            raft.awaitShutdown();
        } catch (RuntimeException e) {
            // best effort
        }
    }

    /** Deletes a directory tree, best effort (also used for the Connect workers' directories). */
    public static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
