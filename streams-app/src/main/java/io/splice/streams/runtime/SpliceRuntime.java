package io.splice.streams.runtime;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.merge.JoinPlan;
import io.splice.streams.internal.TopologyParts;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.core.api.Definitions;
import io.splice.streams.SpliceTopology;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.internal.AvroLimits;
import io.splice.streams.internal.SpliceMetrics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code splice run}: the long-running stitching app. Checks that Kafka and the registry answer, creates and checks
 * topics, runs the topology with exactly-once processing, serves Prometheus metrics and {@code /health/live},
 * {@code /health/ready} ({@code /health} is live), replaces failed stream threads a bounded number of times
 * ({@link StreamThreadFailures}), and shuts down gracefully.
 */
public final class SpliceRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpliceRuntime.class);

    private final Definitions definitions;
    private final SpliceStreamsConfig config;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private KafkaStreams streams;
    private KafkaStreamsMetrics streamsMetrics;
    private HttpServer http;
    private final List<KafkaStreams.StateListener> stateListeners = new CopyOnWriteArrayList<>();
    private final StreamThreadFailures threadFailures;
    private boolean closed;

    /** Live: starting, rebalancing or running; the process should be restarted when it is not. */
    private static final Set<KafkaStreams.State> LIVE = Set.of(KafkaStreams.State.CREATED, KafkaStreams.State.REBALANCING,
            KafkaStreams.State.RUNNING);

    public SpliceRuntime(Definitions definitions, SpliceStreamsConfig config) {
        this.definitions = definitions;
        this.config = config;
        this.threadFailures = new StreamThreadFailures(config);
    }

    /**
     * Also tells {@code listener} of every state change of the streams (Kafka Streams allows one listener, which the
     * runtime uses itself); call before {@link #start()}.
     */
    public SpliceRuntime onStateChange(KafkaStreams.StateListener listener) {
        stateListeners.add(listener);
        return this;
    }

    /**
     * Starts the app.
     *
     * @throws Preflight.Unreachable when Kafka or the registry does not answer within {@code splice.startup.timeout.ms}
     */
    public SpliceRuntime start() throws Exception {
        // JVM-wide Avro bounds, set once as the process starts the app (see AvroLimits), not by building a topology
        AvroLimits.atLeast(config.maxValueBytes());
        // Splice's keys, once, as the app starts (a Password prints as [hidden]; Kafka's clients log their own)
        LOG.info("splice run configuration:{}", new java.util.TreeMap<>(config.values()).entrySet().stream()
                .map(e -> "\n  " + e.getKey() + " = " + e.getValue()).collect(java.util.stream.Collectors.joining()));
        Topics topics = new Topics(config.topicPrefix());
        definitions.joins().forEach(j -> LOG.info("plan of {}", JoinPlan.of(j).describe(topics, config.partitions())));
        Preflight.check(config.clientProperties(), StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.serdeConfigs(),
                SpliceStreamsConfig.SCHEMA_REGISTRY_URL, Duration.ofMillis(config.startupTimeoutMs()));
        try (Admin admin = Admin.create(config.clientProperties())) {
            TopicSetup.ensure(admin, definitions, config);
            AppliedDefinitions.check(admin, config, definitions);
        }
        SchemaRegistryClient registry = SpliceSerdeConfig.client(config.serdeConfigs());
        SpliceMetrics metrics = new SpliceMetrics(meters);
        Topology topology = SpliceTopology.build(new StreamsBuilder(), definitions, config, registry, metrics);
        streams = new KafkaStreams(topology, config.streamsProperties());
        // A failed stream thread is replaced, a bounded number of times with backoff, then the app shuts down (exit 1);
        // bad records never get here (they go to the DLQ).
        streams.setUncaughtExceptionHandler(e -> {
            metrics.streamThreadFailed();
            return threadFailures.handle(e);
        });
        streams.setStateListener((now, before) -> {
            LOG.info("streams state {} -> {}", before, now);
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
            stateListeners.forEach(l -> l.onChange(now, before));
        });
        streams.setGlobalStateRestoreListener(new RestoreProgress(metrics));
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(meters);
        bindStoreGauges(metrics);
        new JvmMemoryMetrics().bindTo(meters);
        startHttp();
        streams.start();
        AppliedDefinitions.record(config, definitions);
        LOG.info("splice run: {} join(s), metrics on http://{}:{}/metrics", definitions.joins().size(),
                config.getString(SpliceStreamsConfig.METRICS_HOST), metricsPort());
        return this;
    }

    /**
     * Rows and bytes of each join's state store on this instance, summed over its tasks from the RocksDB property
     * metrics Kafka Streams keeps per store (read at each scrape: stores come and go with rebalances).
     */
    private void bindStoreGauges(SpliceMetrics metrics) {
        for (JoinDefinition j : definitions.joins()) {
            String store = TopologyParts.storeName(j.id());
            metrics.storeSize(j.id(), streams, s -> storeMetric(s, store, "estimate-num-keys"),
                    s -> storeMetric(s, store, "total-sst-files-size") + storeMetric(s, store, "size-all-mem-tables"));
        }
    }

    private static double storeMetric(KafkaStreams s, String store, String name) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : s.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (n.name().equals(name) && "stream-state-metrics".equals(n.group()) && store.equals(n.tags().get("rocksdb-state-id"))
                    && e.getValue().metricValue() instanceof Number v) {
                sum += v.doubleValue();
            }
        }
        return sum;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public int metricsPort() {
        return http == null ? -1 : http.getAddress().getPort();
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    /** Blocks until the streams stop (closed, or failed for good). */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /**
     * Why the app stopped for good, in one line (stream threads kept failing, see {@link StreamThreadFailures}), or
     * null while it runs or after a graceful close.
     */
    public String failure() {
        if (streams == null || (streams.state() != KafkaStreams.State.ERROR && streams.state() != KafkaStreams.State.PENDING_ERROR)) {
            return null;
        }
        String gaveUp = threadFailures.gaveUp();
        if (gaveUp != null) {
            return gaveUp;
        }
        Throwable last = threadFailures.last();
        return "Kafka Streams stopped in state ERROR" + (last == null ? "" : " after " + Errors.oneLine(last))
                + "; the log has the stack trace";
    }

    /** Stream threads that failed so far. */
    public long streamThreadFailures() {
        return threadFailures.failures();
    }

    private void startHttp() {
        String host = config.getString(SpliceStreamsConfig.METRICS_HOST);
        int port = config.getInt(SpliceStreamsConfig.METRICS_PORT);
        try {
            http = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve /metrics and /health on " + host + ":" + port + " ("
                    + SpliceStreamsConfig.METRICS_HOST + ", " + SpliceStreamsConfig.METRICS_PORT + "): " + Errors.oneLine(e)
                    + "; pick another port (0 picks a free one)", e);
        }
        http.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", meters.scrape()));
        // Liveness: the process is starting, rebalancing or running (a crash loop ends in ERROR, see StreamThreadFailures).
        // Readiness: the app is RUNNING (processing its partitions). /health stays what it was: the liveness answer.
        http.createContext("/health/live", ex -> health(ex, "/health/live", LIVE::contains));
        http.createContext("/health/ready", ex -> health(ex, "/health/ready", s -> s == KafkaStreams.State.RUNNING));
        http.createContext("/health", ex -> health(ex, "/health", LIVE::contains));
        http.start();
    }

    private void health(com.sun.net.httpserver.HttpExchange ex, String path, java.util.function.Predicate<KafkaStreams.State> ok)
            throws IOException {
        String asked = ex.getRequestURI().getPath();
        if (!asked.equals(path) && !asked.equals(path + "/")) {
            respond(ex, 404, "application/json", "{\"error\":\"not found: try /health/live or /health/ready\"}");
            return;
        }
        KafkaStreams.State state = streams == null ? KafkaStreams.State.CREATED : streams.state();
        boolean up = ok.test(state);
        respond(ex, up ? 200 : 503, "application/json", "{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"streams\":\"" + state + "\"}");
    }

    private static void respond(com.sun.net.httpserver.HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public synchronized void close() {
        threadFailures.close(); // a thread waiting to be replaced stops waiting
        if (closed) {
            return;
        }
        closed = true;
        if (streams != null) {
            // Leave the group so a restarted or remaining instance takes the partitions over at once.
            streams.close(new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(60)).leaveGroup(true));
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        if (http != null) {
            http.stop(0);
        }
        stopped.countDown();
    }
}
