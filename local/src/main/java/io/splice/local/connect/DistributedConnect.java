package io.splice.local.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.splice.local.ChildJvm;
import io.splice.local.ClusterNodeMain;
import io.splice.local.EmbeddedKafkaBroker;
import io.splice.local.LocalCluster;
import io.splice.local.Ports;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A Kafka Connect cluster of N workers in distributed mode, each a separate OS process running Connect's own
 * {@code ConnectDistributed} main (distributed herder, internal config/offset/status topics, REST API) from this JVM's
 * class path or {@link Builder#classpath(String) another one}, with plugins from {@link Builder#pluginPath(Path)}
 * (found by {@code service_load}). Workers bind their REST listener to 127.0.0.1 on free ports; the internal topics get
 * the {@link Builder#replicationFactor(short) replication factor} of the Kafka cluster (3 on a {@link LocalCluster}).
 *
 * <p>Faults: {@link #kill(int)} (SIGKILL), {@link #stop(int)} (SIGTERM: Connect stops its tasks and leaves the group),
 * {@link #restart(int)} (same REST port). Workers stop on their own when this JVM dies (the watchdog of
 * {@link ClusterNodeMain}, see {@link ConnectWorkerMain}); {@link #close()} kills them and deletes their directory.
 *
 * <p>Rebalance timing for a local cluster: {@code scheduled.rebalance.max.delay.ms=10000} (Connect's default of 5
 * minutes keeps a dead worker's tasks unassigned that long, waiting for it to come back) and a 6 s session timeout,
 * so a SIGKILLed worker's tasks move to the others within ~20 s. {@link Builder#workerConfig(Map)} overrides any of it.
 *
 * <pre>{@code
 * try (DistributedConnect connect = DistributedConnect.builder(cluster.bootstrapServers()).workers(2)
 *         .replicationFactor((short) 3).pluginPath(plugins).start()) {
 *     connect.putConnector("s3-offline", Map.of("connector.class", "io.splice.connectors.s3.S3OfflineSinkConnector", ...));
 *     connect.awaitRunning("s3-offline", Duration.ofSeconds(60));
 *     connect.kill(2);   // its tasks move to worker 1 after the rebalance
 * }
 * }</pre>
 */
public final class DistributedConnect implements AutoCloseable {

    /** The JVM options of every worker unless {@link Builder#jvmOptions(List)} replaces them. */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of(
            "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
            "-XX:-UsePerfData", "-Djava.awt.headless=true");

    static final String ROOT_PREFIX = "splice-connect-cluster-";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final Builder settings;
    private final String classpath;
    private final Path root;
    private final Map<Integer, WorkerState> workers = new TreeMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread shutdownHook;
    private boolean closed;

    private static final class WorkerState {
        final int id;
        final int restPort;
        final int metricsPort;
        final Path dir;
        Process process;

        WorkerState(int id, int restPort, int metricsPort, Path dir) {
            this.id = id;
            this.restPort = restPort;
            this.metricsPort = metricsPort;
            this.dir = dir;
        }
    }

    private DistributedConnect(Builder b) {
        this.settings = b;
        String cp = b.classpath != null ? b.classpath : System.getProperty("java.class.path");
        this.classpath = b.metricsAgent != null ? withoutPrometheusClient(cp) : cp;
        try {
            this.root = Files.createTempDirectory(ROOT_PREFIX);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the Connect cluster's directory", e);
        }
        for (int id = 1; id <= b.workers; id++) {
            int metricsPort = b.metricsAgent != null ? Ports.freePort() : -1;
            workers.put(id, new WorkerState(id, Ports.freePort(), metricsPort, root.resolve("worker-" + id)));
        }
        this.shutdownHook = new Thread(this::destroyAllForcibly, "splice-connect-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * The class path without the Prometheus Java client's jars: the JMX exporter agent brings its own version of those
     * classes, and a different one on the class path (e.g. the stitching app's) wins and breaks the agent.
     */
    static String withoutPrometheusClient(String classpath) {
        return java.util.Arrays.stream(classpath.split(java.io.File.pathSeparator))
                .filter(e -> !e.isBlank())
                .filter(e -> {
                    Path name = Path.of(e).getFileName();
                    return name == null || !name.toString().startsWith("prometheus-metrics-");
                })
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    /** A builder for workers against {@code bootstrapServers}: 2 workers, RF 1, this JVM's class path. */
    public static Builder builder(String bootstrapServers) {
        return new Builder(bootstrapServers);
    }

    /** The worker ids, ascending ({@code 1..N}). */
    public List<Integer> workerIds() {
        return List.copyOf(workers.keySet());
    }

    /** The worker's REST base URL, e.g. {@code http://127.0.0.1:41234/}. */
    public URI restUrl(int worker) {
        return URI.create("http://" + Ports.LOOPBACK + ":" + worker(worker).restPort + "/");
    }

    /** The id Connect gives the worker in its status answers ({@code worker_id}): {@code 127.0.0.1:<rest port>}. */
    public String workerId(int worker) {
        return Ports.LOOPBACK + ":" + worker(worker).restPort;
    }

    /** The Prometheus JMX exporter's scrape URL of the worker ({@code /metrics}), when started with a metrics agent. */
    public Optional<URI> metricsUrl(int worker) {
        int port = worker(worker).metricsPort;
        return port < 0 ? Optional.empty() : Optional.of(URI.create("http://" + Ports.LOOPBACK + ":" + port + "/metrics"));
    }

    /** Whether the worker's process is alive. */
    public synchronized boolean isRunning(int worker) {
        Process p = worker(worker).process;
        return p != null && p.isAlive();
    }

    /** The worker's process, while it runs. */
    public synchronized Optional<ProcessHandle> process(int worker) {
        Process p = worker(worker).process;
        return p != null && p.isAlive() ? Optional.of(p.toHandle()) : Optional.empty();
    }

    /** The worker's output (WARN and above unless {@code -Dsplice.local.kafka.log.level} says otherwise). */
    public Path logFile(int worker) {
        return worker(worker).dir.resolve("worker.log");
    }

    /** SIGKILL: the worker dies at once without leaving the group. Returns once the process is gone. */
    public void kill(int worker) {
        ChildJvm.kill(take(worker));
    }

    /** SIGTERM: Connect stops its tasks (committing their offsets) and leaves the group; killed after 60 s. */
    public void stop(int worker) {
        ChildJvm.stop(take(worker));
    }

    /** Starts the worker again on the same ports (stopping it first if it runs); returns once its REST API is healthy. */
    public void restart(int worker) {
        if (isRunning(worker)) {
            stop(worker);
        }
        synchronized (this) {
            ensureOpen();
            launch(worker(worker));
        }
        awaitHealthy(worker(worker), settings.startTimeout);
    }

    /**
     * Creates or reconfigures connector {@code name} through the REST API of a running worker ({@code PUT
     * /connectors/<name>/config}); retried while the group rebalances (409). Returns Connect's answer.
     */
    public JsonNode putConnector(String name, Map<String, String> config) {
        Map<String, String> c = new LinkedHashMap<>(config);
        c.put("name", name);
        String body;
        try {
            body = JSON.writeValueAsString(c);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return retryWhileRebalancing("PUT", "connectors/" + name + "/config", body);
    }

    /** {@code GET /connectors/<name>/status} from a running worker. */
    public JsonNode status(String name) {
        return retryWhileRebalancing("GET", "connectors/" + name + "/status", null);
    }

    /**
     * True when the connector and every task of its current task configuration (at least one) are RUNNING; throws if
     * any FAILED. The status topic reports tasks one by one during a rebalance, so "all reported tasks RUNNING" alone
     * can hold while a task is not yet started: the count is checked against the connector's task configurations.
     */
    public boolean isRunning(String name) {
        JsonNode s;
        int configuredTasks;
        try {
            configuredTasks = retryWhileRebalancing("GET", "connectors/" + name, null).path("tasks").size();
            s = status(name);
        } catch (RuntimeException e) {
            return false;
        }
        if ("FAILED".equals(s.path("connector").path("state").asText())) {
            throw new IllegalStateException("connector " + name + " failed: " + s.path("connector").path("trace").asText());
        }
        JsonNode tasks = s.path("tasks");
        boolean allRunning = tasks.size() > 0 && tasks.size() >= configuredTasks;
        for (JsonNode t : tasks) {
            if ("FAILED".equals(t.path("state").asText())) {
                throw new IllegalStateException("task " + name + "-" + t.path("id").asInt() + " failed: " + t.path("trace").asText());
            }
            allRunning &= "RUNNING".equals(t.path("state").asText());
        }
        return "RUNNING".equals(s.path("connector").path("state").asText()) && allRunning;
    }

    /** Waits until {@link #isRunning(String)} holds. */
    public void awaitRunning(String name, Duration timeout) {
        awaitCondition(timeout, "connector " + name + " and its tasks RUNNING", () -> isRunning(name));
    }

    /** Task id → {@code worker_id} of the worker running it, as the connector's status says now. */
    public Map<Integer, String> taskWorkers(String name) {
        Map<Integer, String> m = new TreeMap<>();
        for (JsonNode t : status(name).path("tasks")) {
            m.put(t.path("id").asInt(), t.path("worker_id").asText());
        }
        return m;
    }

    /** Kills every worker and deletes their directory. Idempotent. */
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
        return "DistributedConnect[" + workers.size() + " workers, group " + settings.groupId + ", dir=" + root + "]";
    }

    // ------------------------------------------------------------------------------------------------------------

    private synchronized DistributedConnect startAll() {
        try {
            LocalCluster.writeLog4jConfig(root.resolve("log4j2.xml"));
            for (WorkerState w : workers.values()) {
                Files.createDirectories(w.dir);
                writeProperties(w);
            }
            for (WorkerState w : workers.values()) {
                launch(w);
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot prepare the Connect workers in " + root, e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        try {
            for (WorkerState w : workers.values()) {
                awaitHealthy(w, settings.startTimeout);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        return this;
    }

    /** The worker's properties: the distributed herder's group and internal topics, converters, REST on 127.0.0.1. */
    Map<String, String> config(WorkerState w) {
        String rf = Short.toString(settings.replicationFactor);
        String prefix = settings.groupId;
        Map<String, String> c = new LinkedHashMap<>();
        c.put("bootstrap.servers", settings.bootstrapServers);
        c.put("group.id", settings.groupId);
        c.put("config.storage.topic", prefix + "-configs");
        c.put("offset.storage.topic", prefix + "-offsets");
        c.put("status.storage.topic", prefix + "-status");
        c.put("config.storage.replication.factor", rf);
        c.put("offset.storage.replication.factor", rf);
        c.put("status.storage.replication.factor", rf);
        c.put("offset.storage.partitions", "5");
        c.put("status.storage.partitions", "3");
        c.put("listeners", "http://" + Ports.LOOPBACK + ":" + w.restPort);
        c.put("rest.advertised.host.name", Ports.LOOPBACK);
        c.put("rest.advertised.port", Integer.toString(w.restPort));
        c.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        c.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        c.put("plugin.discovery", "service_load");
        if (settings.pluginPath != null) {
            c.put("plugin.path", settings.pluginPath.toString());
        }
        c.put("offset.flush.interval.ms", "1000");
        c.put("connector.client.config.override.policy", "All");
        // a dead worker's tasks are reassigned after this delay (Connect's default: 5 minutes)
        c.put("scheduled.rebalance.max.delay.ms", "10000");
        c.put("session.timeout.ms", "6000");
        c.put("heartbeat.interval.ms", "2000");
        c.putAll(settings.workerConfig);
        return c;
    }

    private void writeProperties(WorkerState w) throws IOException {
        Properties props = new Properties();
        props.putAll(config(w));
        try (OutputStream out = Files.newOutputStream(w.dir.resolve("worker.properties"))) {
            props.store(out, "splice distributed Connect worker " + w.id);
        }
    }

    /** Starts the worker's process (caller holds the lock). */
    private void launch(WorkerState w) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ChildJvm.javaBinary());
        cmd.addAll(settings.jvmOptions);
        if (settings.metricsAgent != null) {
            cmd.add("-javaagent:" + settings.metricsAgent + "=" + Ports.LOOPBACK + ":" + w.metricsPort + ":" + settings.metricsConfig);
        }
        cmd.add("-Dlog4j2.configurationFile=" + root.resolve("log4j2.xml"));
        cmd.add("-Dlog4j.shutdownHookEnabled=false");
        cmd.addAll(ClusterNodeMain.watchdogOptions(null));
        cmd.add("-Dsplice.connect.worker=" + w.id);
        cmd.add(ConnectWorkerMain.class.getName());
        cmd.add(w.dir.resolve("worker.properties").toString());
        w.process = ChildJvm.start(cmd, w.dir, w.dir.resolve("worker.log"), classpath, "Connect worker " + w.id);
    }

    /** Connect's {@code GET /health} answers 200 once the worker has joined the group and read the config topic. */
    private void awaitHealthy(WorkerState w, Duration timeout) {
        awaitCondition(timeout, "Connect worker " + w.id + " healthy (" + workerId(w.id) + ")", () -> {
            synchronized (this) {
                ensureOpen();
                if (w.process == null || !w.process.isAlive()) {
                    throw new IllegalStateException("Connect worker " + w.id + " exited during start-up: " + tailOfLog(w.id));
                }
            }
            try {
                return send("GET", restUrl(w.id).resolve("health"), null).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private JsonNode retryWhileRebalancing(String method, String path, String body) {
        long deadline = System.nanoTime() + REQUEST_TIMEOUT.multipliedBy(2).toNanos();
        String last = "no running worker";
        while (System.nanoTime() < deadline) {
            for (int id : workerIds()) {
                if (!isRunning(id)) {
                    continue;
                }
                try {
                    HttpResponse<String> r = send(method, restUrl(id).resolve(path), body);
                    if (r.statusCode() / 100 == 2) {
                        return JSON.readTree(r.body());
                    }
                    last = method + " " + path + " → " + r.statusCode() + " " + r.body();
                    if (r.statusCode() != 409 && r.statusCode() != 503 && r.statusCode() != 500) {
                        throw new IllegalStateException(last);
                    }
                } catch (IOException e) {
                    last = method + " " + path + " on worker " + id + ": " + e;
                }
            }
            pause();
        }
        throw new IllegalStateException("Connect REST did not answer: " + last);
    }

    private HttpResponse<String> send(String method, URI uri, String body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + method + " " + uri, e);
        }
    }

    private void awaitCondition(Duration timeout, String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            pause();
        }
        throw new IllegalStateException("not reached within " + timeout.toSeconds() + " s: " + what);
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private synchronized Process take(int worker) {
        WorkerState w = worker(worker);
        Process p = w.process;
        w.process = null;
        return p;
    }

    private void destroyAllForcibly() {
        List<Process> running = new ArrayList<>();
        synchronized (this) {
            for (WorkerState w : workers.values()) {
                if (w.process != null) {
                    running.add(w.process);
                    w.process = null;
                }
            }
        }
        ChildJvm.killAll(running);
    }

    private WorkerState worker(int id) {
        WorkerState w = workers.get(id);
        if (w == null) {
            throw new IllegalArgumentException("no Connect worker " + id + " (workers " + workers.keySet() + ")");
        }
        return w;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("Connect cluster closed");
        }
    }

    private String tailOfLog(int worker) {
        return ChildJvm.tail(logFile(worker));
    }

    /** Chooses the workers' number, plugins, class path and settings of a {@link DistributedConnect}. */
    public static final class Builder {
        private final String bootstrapServers;
        private int workers = 2;
        private short replicationFactor = 1;
        private String groupId = "splice-connect";
        private Path pluginPath;
        private String classpath;
        private final Map<String, String> workerConfig = new LinkedHashMap<>();
        private List<String> jvmOptions = DEFAULT_JVM_OPTIONS;
        private Path metricsAgent;
        private Path metricsConfig;
        private Duration startTimeout = Duration.ofSeconds(120);

        private Builder(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
        }

        /** Number of worker processes (1..9; default 2). */
        public Builder workers(int workers) {
            if (workers < 1 || workers > 9) {
                throw new IllegalArgumentException("workers must be 1..9: " + workers);
            }
            this.workers = workers;
            return this;
        }

        /** Replication factor of the internal config, offset and status topics (default 1; 3 on a LocalCluster). */
        public Builder replicationFactor(short replicationFactor) {
            this.replicationFactor = replicationFactor;
            return this;
        }

        /** The Connect group ({@code group.id}, also the prefix of the internal topics; default splice-connect). */
        public Builder groupId(String groupId) {
            this.groupId = groupId;
            return this;
        }

        /** Connect's {@code plugin.path}: a directory of plugin directories, e.g. one holding the Splice plugin jar. */
        public Builder pluginPath(Path pluginPath) {
            this.pluginPath = pluginPath;
            return this;
        }

        /** The workers' class path (default: this JVM's); must hold connect-runtime 4.1 and splice-local. */
        public Builder classpath(String classpath) {
            this.classpath = classpath;
            return this;
        }

        /** Worker settings added to or replacing the defaults (see {@link DistributedConnect}). */
        public Builder workerConfig(Map<String, String> config) {
            this.workerConfig.putAll(config);
            return this;
        }

        /** Replaces {@link #DEFAULT_JVM_OPTIONS} of every worker. */
        public Builder jvmOptions(List<String> options) {
            this.jvmOptions = List.copyOf(options);
            return this;
        }

        /**
         * Starts every worker with the Prometheus JMX exporter java agent ({@code jmx_prometheus_javaagent} jar) and
         * its rules file (e.g. deploy/prometheus/connect-jmx-exporter.yaml), serving {@link DistributedConnect#metricsUrl(int)}.
         */
        public Builder metricsAgent(Path agentJar, Path rules) {
            this.metricsAgent = agentJar.toAbsolutePath();
            this.metricsConfig = rules.toAbsolutePath();
            return this;
        }

        /** How long start-up and {@link DistributedConnect#restart(int)} wait for a healthy worker (default 120 s). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** Starts every worker; returns when each answers {@code GET /health} with 200. */
        public DistributedConnect start() {
            return new DistributedConnect(this).startAll();
        }
    }
}
