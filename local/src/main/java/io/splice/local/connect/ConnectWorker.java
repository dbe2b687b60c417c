package io.splice.local.connect;

import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.connector.policy.ConnectorClientConfigOverridePolicy;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.json.JsonConverterConfig;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.Herder;
import org.apache.kafka.connect.runtime.Worker;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.apache.kafka.connect.runtime.rest.ConnectRestServer;
import org.apache.kafka.connect.runtime.rest.RestClient;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorInfo;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.runtime.standalone.StandaloneConfig;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.connect.storage.FileOffsetBackingStore;
import org.apache.kafka.connect.util.ConnectorTaskId;
import org.apache.kafka.connect.util.FutureCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A Kafka Connect standalone worker in this JVM, assembled as {@code connect-standalone} does (standalone herder,
 * worker, file offset store, REST server) but without its {@code System.exit} on failure. REST listens on
 * 127.0.0.1 on a free port; plugins are found with {@code plugin.discovery=service_load} on the class path (and
 * in {@code plugin.path} if set). The offsets file lives in a temporary directory removed by {@link #close()}.
 *
 * <p>Defaults suited to the Splice sinks: {@code key.converter=StringConverter},
 * {@code value.converter=ByteArrayConverter}, {@code offset.flush.interval.ms=1000}, client overrides allowed
 * ({@code connector.client.config.override.policy=All}). Any worker setting can be overridden.
 *
 * <pre>
 * try (ConnectWorker connect = ConnectWorker.start(broker.bootstrapServers())) {
 *     connect.startConnector("s3-offline", Map.of("connector.class", "io.splice.connectors.s3.S3OfflineSinkConnector", ...));
 *     connect.awaitRunning("s3-offline", Duration.ofSeconds(30));
 * }
 * </pre>
 */
public final class ConnectWorker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConnectWorker.class);

    private final Path workDir;
    private final Connect<StandaloneHerder> connect;
    private final StandaloneHerder herder;
    private final URI restUrl;
    private volatile boolean closed;

    private ConnectWorker(Path workDir, Connect<StandaloneHerder> connect, StandaloneHerder herder, URI restUrl) {
        this.workDir = workDir;
        this.connect = connect;
        this.herder = herder;
        this.restUrl = restUrl;
    }

    /** A worker against {@code bootstrapServers} with the defaults above. */
    public static ConnectWorker start(String bootstrapServers) {
        return start(bootstrapServers, Map.of());
    }

    /** A worker against {@code bootstrapServers}; {@code overrides} replace or add worker settings. */
    public static ConnectWorker start(String bootstrapServers, Map<String, String> overrides) {
        Path dir;
        try {
            dir = Files.createTempDirectory("splice-connect-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the Connect worker's directory", e);
        }
        Map<String, String> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrapServers);
        props.put("listeners", "http://127.0.0.1:0");
        props.put("rest.advertised.host.name", "127.0.0.1");
        props.put("plugin.discovery", "service_load");
        props.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        props.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        props.put(StandaloneConfig.OFFSET_STORAGE_FILE_FILENAME_CONFIG, dir.resolve("connect.offsets").toString());
        props.put(WorkerConfig.OFFSET_COMMIT_INTERVAL_MS_CONFIG, "1000");
        props.put(WorkerConfig.CONNECTOR_CLIENT_POLICY_CLASS_CONFIG, "All");
        props.putAll(overrides);

        ClassLoader saved = Thread.currentThread().getContextClassLoader();
        Connect<StandaloneHerder> connect = null;
        try {
            Plugins plugins = new Plugins(props);
            plugins.compareAndSwapWithDelegatingLoader();
            StandaloneConfig config = new StandaloneConfig(props);
            String clusterId = config.kafkaClusterId();
            RestClient restClient = new RestClient(config);
            ConnectRestServer rest = new ConnectRestServer(config.rebalanceTimeout(), restClient, props);
            rest.initializeServer();
            URI advertised = rest.advertisedUrl();
            String workerId = advertised.getHost() + ":" + advertised.getPort();
            ConnectorClientConfigOverridePolicy policy = plugins.newPlugins(
                    java.util.List.of(config.getString(WorkerConfig.CONNECTOR_CLIENT_POLICY_CLASS_CONFIG)), config,
                    ConnectorClientConfigOverridePolicy.class).get(0);
            FileOffsetBackingStore offsets = new FileOffsetBackingStore(plugins.newInternalConverter(true,
                    JsonConverter.class.getName(), Map.of(JsonConverterConfig.SCHEMAS_ENABLE_CONFIG, "false")));
            offsets.configure(config);
            Worker worker = new Worker(workerId, Time.SYSTEM, plugins, config, offsets, policy);
            StandaloneHerder herder = new StandaloneHerder(worker, clusterId, policy);
            connect = new Connect<>(herder, rest);
            connect.start();
            URI url = rest.serverUrl();
            log.info("Connect worker {} started, REST on {}", workerId, url);
            return new ConnectWorker(dir, connect, herder, url);
        } catch (RuntimeException e) {
            if (connect != null) {
                try {
                    connect.stop();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            deleteRecursively(dir);
            throw e;
        } finally {
            Thread.currentThread().setContextClassLoader(saved);
        }
    }

    /** The REST API's base URL, e.g. {@code http://127.0.0.1:41234/}. */
    public URI restUrl() {
        return restUrl;
    }

    public StandaloneHerder herder() {
        return herder;
    }

    /** Creates (or reconfigures) connector {@code name}; returns once the worker accepted the configuration. */
    public ConnectorInfo startConnector(String name, Map<String, String> config) {
        Map<String, String> c = new HashMap<>(config);
        c.put("name", name);
        FutureCallback<Herder.Created<ConnectorInfo>> cb = new FutureCallback<>();
        herder.putConnectorConfig(name, c, true, cb);
        return await(cb, "start connector " + name).result();
    }

    /** Removes connector {@code name} (its tasks stop; committed offsets stay with its consumer group). */
    public void deleteConnector(String name) {
        FutureCallback<Herder.Created<ConnectorInfo>> cb = new FutureCallback<>();
        herder.deleteConnectorConfig(name, cb);
        await(cb, "delete connector " + name);
    }

    /** Restarts one task (a stop and a new start of the task, as after a crash of its worker thread). */
    public void restartTask(String name, int task) {
        FutureCallback<Void> cb = new FutureCallback<>();
        herder.restartTask(new ConnectorTaskId(name, task), cb);
        await(cb, "restart task " + name + "-" + task);
    }

    public ConnectorStateInfo status(String name) {
        return herder.connectorStatus(name);
    }

    /** True when the connector and all its tasks (at least one) are RUNNING; throws if any FAILED. */
    public boolean isRunning(String name) {
        ConnectorStateInfo s;
        try {
            s = status(name);
        } catch (RuntimeException e) {
            return false;
        }
        if ("FAILED".equals(s.connector().state())) {
            throw new IllegalStateException("Connector " + name + " failed: " + s.connector().trace());
        }
        for (ConnectorStateInfo.TaskState t : s.tasks()) {
            if ("FAILED".equals(t.state())) {
                throw new IllegalStateException("Task " + name + "-" + t.id() + " failed: " + t.trace());
            }
        }
        return "RUNNING".equals(s.connector().state()) && !s.tasks().isEmpty()
                && s.tasks().stream().allMatch(t -> "RUNNING".equals(t.state()));
    }

    /** Waits until {@link #isRunning} (polling the herder every 50 ms). */
    public void awaitRunning(String name, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!isRunning(name)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Connector " + name + " not running after " + timeout + ": " + status(name));
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static <T> T await(FutureCallback<T> cb, String what) {
        try {
            return cb.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Connect could not " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Connect did not " + what + " within 60 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting to " + what, e);
        }
    }

    /** Stops every connector and the worker, and removes the offsets directory. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            connect.stop();
        } finally {
            deleteRecursively(workDir);
        }
        log.info("Connect worker stopped");
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
