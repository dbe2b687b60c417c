package io.splice.local;

import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

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
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * A KRaft Kafka cluster of N combined broker+controller nodes (default 3), each a separate OS process:
 * {@code java io.splice.local.ClusterNodeMain node.properties}, which runs {@code kafka.Kafka} from this JVM's class
 * path (the Kafka 4.1 jars {@code splice-local} depends on). Every node binds 127.0.0.1 on free ports and keeps its
 * data in its own directory under one temporary root.
 *
 * <p>Replication as in production: {@code default.replication.factor}, offsets topic and transaction state log RF =
 * min(3, N); {@code min.insync.replicas} and the transaction log's min ISR = min(2, N). Readiness is judged by the
 * Admin client ({@code describeCluster().nodes()} lists every node), never by log lines.
 *
 * <p>Faults: {@link #kill(int)} (SIGKILL), {@link #stop(int)} (SIGTERM, controlled shutdown), {@link #restart(int)}
 * (same ports, same data). {@link #close()} stops every node and deletes the root directory. Nodes also stop on
 * their own when this JVM dies: a shutdown hook destroys them, and each node halts when its stdin pipe from this JVM
 * reaches end-of-file or its parent process changes (see {@link ClusterNodeMain}), which covers SIGKILL.
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.start()) {           // 3 nodes
 *     cluster.createTopics(TopicSpec.of("events", 3));           // RF 3
 *     int leader = cluster.leaderOf(new TopicPartition("events", 0)).orElseThrow();
 *     cluster.kill(leader);  ...  cluster.restart(leader);
 * }
 * }</pre>
 *
 * <p>Each node's output (WARN and above; {@code -Dsplice.local.kafka.log.level=INFO} for more) is in
 * {@link #logFile(int)}.
 */
public final class LocalCluster implements AutoCloseable {

    /** The JVM options of every node unless {@link Builder#jvmOptions(List)} replaces them. */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of(
            "-Xms64m", "-Xmx448m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
            "-XX:-UsePerfData", "-Djava.awt.headless=true");

    static final String ROOT_PREFIX = "splice-cluster-";
    static final String NODE_PREFIX = "node-";
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final int size;
    private final Map<String, String> overrides;
    private final List<String> jvmOptions;
    private final String classpath;
    private final Duration startTimeout;
    private final Path root;
    private final String clusterId = Uuid.randomUuid().toString();
    private final Map<Integer, NodeState> nodes = new TreeMap<>();
    private final Thread shutdownHook;
    private boolean closed;

    private static final class NodeState {
        final int id;
        final int port;
        final int controllerPort;
        final Path dir;
        Process process;

        NodeState(int id, int port, int controllerPort, Path dir) {
            this.id = id;
            this.port = port;
            this.controllerPort = controllerPort;
            this.dir = dir;
        }
    }

    private LocalCluster(Builder b) {
        this.size = b.nodes;
        this.overrides = Map.copyOf(b.overrides);
        this.jvmOptions = List.copyOf(b.jvmOptions);
        this.classpath = b.classpath != null ? b.classpath : System.getProperty("java.class.path");
        this.startTimeout = b.startTimeout;
        try {
            this.root = Files.createTempDirectory(ROOT_PREFIX);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the cluster's directory", e);
        }
        for (int id = 1; id <= size; id++) {
            nodes.put(id, new NodeState(id, Ports.freePort(), Ports.freePort(), root.resolve(NODE_PREFIX + id)));
        }
        this.shutdownHook = new Thread(this::destroyAllForcibly, "splice-cluster-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A builder: 3 nodes, default JVM options, this JVM's class path. */
    public static Builder builder() {
        return new Builder();
    }

    /** A 3-node cluster, started. */
    public static LocalCluster start() {
        return builder().start();
    }

    /** {@code 127.0.0.1:<p1>,127.0.0.1:<p2>,...}: every node's client listener. */
    public String bootstrapServers() {
        return nodes.values().stream().map(n -> Ports.LOOPBACK + ":" + n.port).collect(Collectors.joining(","));
    }

    /** {@code 127.0.0.1:<port>} of one node. */
    public String bootstrapServers(int nodeId) {
        return Ports.LOOPBACK + ":" + node(nodeId).port;
    }

    /** The node ids, ascending ({@code 1..N}). */
    public List<Integer> nodeIds() {
        return List.copyOf(nodes.keySet());
    }

    /** The replication factor of topics this cluster creates: min(3, N). */
    public short replicationFactor() {
        return (short) Math.min(3, size);
    }

    /** {@code min.insync.replicas}: min(2, N). */
    public int minInsyncReplicas() {
        return Math.min(2, size);
    }

    /** Whether the node's process is alive. */
    public synchronized boolean isRunning(int nodeId) {
        Process p = node(nodeId).process;
        return p != null && p.isAlive();
    }

    /** The node's process, while it runs (e.g. to read its pid). */
    public synchronized Optional<ProcessHandle> process(int nodeId) {
        Process p = node(nodeId).process;
        return p != null && p.isAlive() ? Optional.of(p.toHandle()) : Optional.empty();
    }

    /** The node's data and configuration directory ({@code server.properties}, {@code data/}, {@code node.log}). */
    public Path nodeDirectory(int nodeId) {
        return node(nodeId).dir;
    }

    /** The node's output: WARN and above. */
    public Path logFile(int nodeId) {
        return node(nodeId).dir.resolve("node.log");
    }

    /** The root directory holding every node's directory (deleted by {@link #close()}). */
    public Path directory() {
        return root;
    }

    /** SIGKILL: the node dies at once, without controlled shutdown. Returns once the process is gone. */
    public void kill(int nodeId) {
        ChildJvm.kill(take(nodeId));
    }

    /** SIGTERM: controlled shutdown (leadership moves away first). Gives up after 60 s and kills the node. */
    public void stop(int nodeId) {
        ChildJvm.stop(take(nodeId));
    }

    private synchronized Process take(int nodeId) {
        Process p = node(nodeId).process;
        node(nodeId).process = null;
        return p;
    }

    /**
     * Starts the node again on the same ports with the same data (stopping it first if it runs) and returns once
     * the cluster lists it as a broker again. Its replicas then catch up; {@link #awaitFullIsr} waits for that.
     */
    public void restart(int nodeId) {
        if (isRunning(nodeId)) {
            stop(nodeId);
        }
        synchronized (this) {
            ensureOpen();
            launch(node(nodeId));
        }
        awaitNodes(Set.of(nodeId), startTimeout);
    }

    /** The current leader of a partition, as the cluster's metadata says; empty while it has none. */
    public OptionalInt leaderOf(TopicPartition partition) {
        TopicPartitionInfo info = describe(partition);
        Node leader = info.leader();
        return leader == null || leader.isEmpty() || leader.id() < 0 ? OptionalInt.empty() : OptionalInt.of(leader.id());
    }

    /** The in-sync replicas of a partition (node ids). */
    public List<Integer> isr(TopicPartition partition) {
        return describe(partition).isr().stream().map(Node::id).sorted().toList();
    }

    /** Leader per partition of the given topics (partitions without a leader are left out). */
    public Map<TopicPartition, Integer> leaders(Collection<String> topics) {
        Map<TopicPartition, Integer> m = new LinkedHashMap<>();
        for (TopicDescription d : describeTopics(topics).values()) {
            for (TopicPartitionInfo p : d.partitions()) {
                if (p.leader() != null && !p.leader().isEmpty()) {
                    m.put(new TopicPartition(d.name(), p.partition()), p.leader().id());
                }
            }
        }
        return m;
    }

    /** Waits until every partition of the given topics has all its replicas in sync. */
    public void awaitFullIsr(Duration timeout, String... topics) {
        List<String> names = Arrays.asList(topics);
        awaitCondition(timeout, "every replica of " + names + " in sync", () -> {
            for (TopicDescription d : describeTopics(names).values()) {
                for (TopicPartitionInfo p : d.partitions()) {
                    if (p.isr().size() < p.replicas().size() || p.leader() == null || p.leader().isEmpty()) {
                        return false;
                    }
                }
            }
            return true;
        });
    }

    /** Creates the given topics with RF {@link #replicationFactor()}; existing topics are left as they are. */
    public void createTopics(TopicSpec... topics) {
        createTopics(Arrays.asList(topics));
    }

    /** Creates the given topics with RF {@link #replicationFactor()}; existing topics are left as they are. */
    public void createTopics(List<TopicSpec> topics) {
        List<NewTopic> newTopics = new ArrayList<>();
        for (TopicSpec t : topics) {
            newTopics.add(t.toNewTopic(replicationFactor()));
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

    /** A new admin client on every node; the caller closes it. */
    public Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "splice-local-cluster-admin");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        return Admin.create(props);
    }

    /** Kills every node and deletes the root directory. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        destroyAllForcibly();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down
        }
        EmbeddedKafkaBroker.deleteRecursively(root);
    }

    @Override
    public String toString() {
        return "LocalCluster[" + size + " nodes, " + bootstrapServers() + ", dir=" + root + "]";
    }

    // ------------------------------------------------------------------------------------------------------------

    private synchronized LocalCluster startAll() {
        KafkaLogging.quiet();
        try {
            writeLog4jConfig(root.resolve("log4j2.xml"));
            for (NodeState n : nodes.values()) {
                Files.createDirectories(n.dir);
                writeProperties(n);
                format(n);
            }
            for (NodeState n : nodes.values()) {
                launch(n);
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot prepare the cluster in " + root, e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        try {
            awaitNodes(nodes.keySet(), startTimeout);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        return this;
    }

    private Map<String, String> config(NodeState n) {
        String voters = nodes.values().stream()
                .map(v -> v.id + "@" + Ports.LOOPBACK + ":" + v.controllerPort).collect(Collectors.joining(","));
        String rf = Integer.toString(replicationFactor());
        String minIsr = Integer.toString(minInsyncReplicas());
        Map<String, String> c = new LinkedHashMap<>();
        c.put("process.roles", "broker,controller");
        c.put("node.id", Integer.toString(n.id));
        c.put("controller.quorum.voters", voters);
        c.put("listeners", "PLAINTEXT://" + Ports.LOOPBACK + ":" + n.port + ",CONTROLLER://" + Ports.LOOPBACK + ":" + n.controllerPort);
        c.put("advertised.listeners", "PLAINTEXT://" + Ports.LOOPBACK + ":" + n.port);
        c.put("controller.listener.names", "CONTROLLER");
        c.put("inter.broker.listener.name", "PLAINTEXT");
        c.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        c.put("log.dirs", n.dir.resolve("data").toString());
        // replication as in production (every factor explicit)
        c.put("default.replication.factor", rf);
        c.put("min.insync.replicas", minIsr);
        c.put("offsets.topic.replication.factor", rf);
        c.put("offsets.topic.num.partitions", "6");
        c.put("transaction.state.log.replication.factor", rf);
        c.put("transaction.state.log.min.isr", minIsr);
        c.put("transaction.state.log.num.partitions", "6");
        c.put("share.coordinator.state.topic.replication.factor", rf);
        c.put("share.coordinator.state.topic.min.isr", minIsr);
        c.put("share.coordinator.state.topic.num.partitions", "3");
        c.put("num.partitions", "1");
        c.put("unclean.leader.election.enable", "false");
        // a dead node is fenced (and loses its leaderships) within ~6 s
        c.put("broker.heartbeat.interval.ms", "1000");
        c.put("broker.session.timeout.ms", "6000");
        // fast and small
        c.put("group.initial.rebalance.delay.ms", "0");
        c.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
        c.put("log.cleaner.threads", "1");
        c.put("num.network.threads", "2");
        c.put("num.io.threads", "3");
        c.put("num.recovery.threads.per.data.dir", "1");
        c.put("background.threads", "4");
        c.put("auto.create.topics.enable", "true");
        c.put("delete.topic.enable", "true");
        for (var e : overrides.entrySet()) {
            String k = e.getKey();
            if (k.equals("node.id") || k.equals("process.roles") || k.equals("log.dirs") || k.contains("listener")
                    || k.startsWith("controller.quorum")) {
                throw new IllegalArgumentException("cannot override " + k);
            }
            c.put(k, e.getValue());
        }
        return c;
    }

    private void writeProperties(NodeState n) throws IOException {
        Properties props = new Properties();
        props.putAll(config(n));
        try (OutputStream out = Files.newOutputStream(n.dir.resolve("server.properties"))) {
            props.store(out, "splice local cluster node " + n.id);
        }
    }

    private void format(NodeState n) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int rc;
        try (PrintStream ps = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            // execute(...) rather than main(...): main exits the JVM
            rc = StorageTool.execute(new String[]{"format", "-t", clusterId, "-c",
                    n.dir.resolve("server.properties").toString(), "--ignore-formatted"}, ps);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot format node " + n.id + ": " + captured.toString(StandardCharsets.UTF_8), e);
        }
        if (rc != 0) {
            throw new IllegalStateException("cannot format node " + n.id + " (rc=" + rc + "): " + captured.toString(StandardCharsets.UTF_8));
        }
    }

    /**
     * Writes a log4j2 configuration for child Kafka processes (nodes, Connect workers): console output at WARN, or the
     * level of {@code -Dsplice.local.kafka.log.level}.
     */
    public static void writeLog4jConfig(Path file) throws IOException {
        String level = System.getProperty("splice.local.kafka.log.level", "WARN");
        if ("none".equalsIgnoreCase(level)) {
            level = "WARN";
        }
        String xml = """
                <?xml version="1.0" encoding="UTF-8"?>
                <Configuration status="WARN">
                  <Appenders>
                    <Console name="out" target="SYSTEM_OUT">
                      <PatternLayout pattern="%d{HH:mm:ss.SSS} %-5level [%t] %c{1.} - %msg%n"/>
                    </Console>
                  </Appenders>
                  <Loggers>
                    <Root level="LEVEL"><AppenderRef ref="out"/></Root>
                  </Loggers>
                </Configuration>
                """.replace("LEVEL", level);
        Files.writeString(file, xml);
    }

    /** Starts the node's process (caller holds the lock). */
    private void launch(NodeState n) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ChildJvm.javaBinary());
        cmd.addAll(jvmOptions);
        cmd.add("-Dlog4j2.configurationFile=" + root.resolve("log4j2.xml"));
        cmd.add("-Dlog4j.shutdownHookEnabled=false");
        cmd.addAll(ClusterNodeMain.watchdogOptions(n.dir));
        cmd.add("-Dsplice.cluster.node=" + n.id);
        cmd.add(ClusterNodeMain.class.getName());
        cmd.add(n.dir.resolve("server.properties").toString());
        n.process = ChildJvm.start(cmd, n.dir, n.dir.resolve("node.log"), classpath, "node " + n.id);
    }

    private void awaitNodes(Set<Integer> ids, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        try (Admin admin = admin()) {
            while (System.nanoTime() < deadline) {
                synchronized (this) {
                    ensureOpen();
                    for (int id : ids) {
                        Process p = node(id).process;
                        if (p == null || !p.isAlive()) {
                            throw new IllegalStateException("node " + id + " exited during start-up: " + tailOfLog(id));
                        }
                    }
                }
                try {
                    Set<Integer> up = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS)
                            .stream().map(Node::id).collect(Collectors.toSet());
                    if (up.containsAll(ids)) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = e;
                }
                TimeUnit.MILLISECONDS.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the cluster", e);
        }
        throw new IllegalStateException("nodes " + ids + " not in the cluster after " + timeout.toSeconds() + " s"
                + (last == null ? "" : " (" + last.getCause() + ")") + "; log of node " + ids.iterator().next() + ": "
                + tailOfLog(ids.iterator().next()));
    }

    private void awaitCondition(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
        throw new IllegalStateException("not reached within " + timeout.toSeconds() + " s: " + what, last);
    }

    private TopicPartitionInfo describe(TopicPartition tp) {
        TopicDescription d = describeTopics(List.of(tp.topic())).get(tp.topic());
        return d.partitions().stream().filter(p -> p.partition() == tp.partition()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no partition " + tp));
    }

    private Map<String, TopicDescription> describeTopics(Collection<String> topics) {
        try (Admin admin = admin()) {
            return admin.describeTopics(topics).allTopicNames().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing " + topics, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot describe " + topics + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out describing " + topics, e);
        }
    }

    private void destroyAllForcibly() {
        List<Process> running = new ArrayList<>();
        synchronized (this) {
            for (NodeState n : nodes.values()) {
                if (n.process != null) {
                    running.add(n.process);
                    n.process = null;
                }
            }
        }
        ChildJvm.killAll(running);
    }

    private NodeState node(int nodeId) {
        NodeState n = nodes.get(nodeId);
        if (n == null) {
            throw new IllegalArgumentException("no node " + nodeId + " (nodes " + nodes.keySet() + ")");
        }
        return n;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("cluster closed");
        }
    }

    private String tailOfLog(int nodeId) {
        return ChildJvm.tail(logFile(nodeId));
    }

    /** Chooses the size and the processes' settings of a {@link LocalCluster}. */
    public static final class Builder {
        private int nodes = 3;
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private List<String> jvmOptions = DEFAULT_JVM_OPTIONS;
        private String classpath;
        private Duration startTimeout = Duration.ofSeconds(120);

        private Builder() {
        }

        /** Number of broker+controller nodes (1..9; default 3). */
        public Builder nodes(int nodes) {
            if (nodes < 1 || nodes > 9) {
                throw new IllegalArgumentException("nodes must be 1..9: " + nodes);
            }
            this.nodes = nodes;
            return this;
        }

        /** Broker config overrides for every node (listeners, node id, log dirs and voters cannot be overridden). */
        public Builder brokerConfig(Map<String, String> overrides) {
            this.overrides.putAll(overrides);
            return this;
        }

        /** Replaces {@link #DEFAULT_JVM_OPTIONS} (heap, GC, ...) of every node. */
        public Builder jvmOptions(List<String> options) {
            this.jvmOptions = List.copyOf(options);
            return this;
        }

        /** The nodes' class path (default: this JVM's {@code java.class.path}); must hold Kafka 4.1 and splice-local. */
        public Builder classpath(String classpath) {
            this.classpath = classpath;
            return this;
        }

        /** How long {@link #start()} and {@link LocalCluster#restart(int)} wait for nodes (default 120 s). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** Formats and starts every node; returns when the Admin client sees all of them. */
        public LocalCluster start() {
            return new LocalCluster(this).startAll();
        }
    }
}
