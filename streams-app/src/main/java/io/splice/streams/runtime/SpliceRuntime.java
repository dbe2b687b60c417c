package io.splice.streams.runtime;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.Gauge;
import io.splice.core.api.JoinDefinition;
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
import io.splice.streams.internal.SpliceMetrics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * {@code splice run}: the long-running stitching app. Creates and checks topics, runs the topology with
 * exactly-once processing, serves Prometheus metrics and {@code /health}, and shuts down gracefully.
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

    public SpliceRuntime(Definitions definitions, SpliceStreamsConfig config) {
        this.definitions = definitions;
        this.config = config;
    }

    /**
     * Also tells {@code listener} of every state change of the streams (Kafka Streams allows one listener, which the
     * runtime uses itself); call before {@link #start()}.
     */
    public SpliceRuntime onStateChange(KafkaStreams.StateListener listener) {
        stateListeners.add(listener);
        return this;
    }

    public SpliceRuntime start() throws Exception {
        try (Admin admin = Admin.create(config.clientProperties())) {
            TopicSetup.ensure(admin, definitions, config);
        }
        SchemaRegistryClient registry = SpliceSerdeConfig.client(config.serdeConfigs());
        Topology topology = SpliceTopology.build(new StreamsBuilder(), definitions, config, registry, new SpliceMetrics(meters));
        streams = new KafkaStreams(topology, config.streamsProperties());
        // A failed stream thread is replaced so the app keeps running; bad records never get here (they go to the DLQ).
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed; replacing it: {}", e.toString());
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> {
            LOG.info("streams state {} -> {}", before, now);
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
            stateListeners.forEach(l -> l.onChange(now, before));
        });
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(meters);
        bindStoreGauges();
        new JvmMemoryMetrics().bindTo(meters);
        startHttp();
        streams.start();
        LOG.info("splice run: {} join(s), metrics on http://{}:{}/metrics", definitions.joins().size(),
                config.getString(SpliceStreamsConfig.METRICS_HOST), metricsPort());
        return this;
    }

    /**
     * Rows and bytes of each join's state store on this instance, summed over its tasks from the RocksDB property
     * metrics Kafka Streams keeps per store (read at each scrape: stores come and go with rebalances).
     */
    private void bindStoreGauges() {
        for (JoinDefinition j : definitions.joins()) {
            String store = TopologyParts.storeName(j.id());
            Gauge.builder("splice.store.rows", streams, s -> storeMetric(s, store, "estimate-num-keys"))
                    .description("Rows in the join's state store on this instance (RocksDB's estimate)")
                    .tag("join", j.id()).register(meters);
            Gauge.builder("splice.store.bytes", streams, s -> storeMetric(s, store, "total-sst-files-size")
                            + storeMetric(s, store, "size-all-mem-tables"))
                    .description("Bytes of the join's state store on this instance (SST files and memtables)")
                    .baseUnit("bytes").tag("join", j.id()).register(meters);
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

    private void startHttp() throws IOException {
        http = HttpServer.create(new InetSocketAddress(config.getString(SpliceStreamsConfig.METRICS_HOST),
                config.getInt(SpliceStreamsConfig.METRICS_PORT)), 0);
        http.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", meters.scrape()));
        http.createContext("/health", ex -> {
            KafkaStreams.State state = streams == null ? KafkaStreams.State.CREATED : streams.state();
            boolean ok = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
            respond(ex, ok ? 200 : 503, "application/json", "{\"status\":\"" + (ok ? "UP" : "DOWN") + "\",\"streams\":\"" + state + "\"}");
        });
        http.start();
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
    public void close() {
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
