package io.splice.bench;


import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.SpliceRuntime;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The app under test, run in its own JVM so that its heap, RSS and CPU are its own (the broker lives in the
 * harness's JVM): either the Splice app ({@link SpliceRuntime}) or a pass-through Kafka Streams app with the same
 * serde, topics, partitions and {@code exactly_once_v2}. Speaks a line protocol on stdout:
 * {@code BENCH-START <epoch ms>} when it starts, {@code BENCH-READY <epoch ms>} once RUNNING; it runs until stdin says
 * {@code STOP} (or closes), then closes the app and prints {@code BENCH-RESULT <json>}. The harness decides when to
 * stop (by offsets, see {@link OffsetCompletion}), so the app's process does no polling of its own. It exits if the harness
 * dies.
 */
public final class AppMain {
    static final String START = "BENCH-START ";
    static final String READY = "BENCH-READY ";
    static final String RESULT = "BENCH-RESULT ";

    private AppMain() {
    }

    /** The app process's options, set by {@link AppRun#args}. */
    @Command(name = "AppMain", sortOptions = false, description = "The app under test, in its own JVM (started by the harness).")
    static final class Opts {
        @Option(names = "--app", defaultValue = "splice", description = "splice or passthrough (default ${DEFAULT-VALUE}).")
        String app;
        @Option(names = "--bootstrap", defaultValue = "127.0.0.1:9092", description = "Kafka bootstrap servers.")
        String bootstrap;
        @Option(names = "--registry", defaultValue = "http://127.0.0.1:8081", description = "Schema registry URL.")
        String registry;
        @Option(names = "--prefix", defaultValue = "bench", description = "Topic prefix of the bench data.")
        String prefix;
        @Option(names = "--partitions", defaultValue = "6", description = "Partitions per topic.")
        int partitions;
        @Option(names = "--threads", defaultValue = "1", description = "Stream threads.")
        int threads;
        @Option(names = "--commit-interval-ms", defaultValue = "100", description = "commit.interval.ms; -1 keeps the app's default.")
        int commitIntervalMs;
        @Option(names = "--app-id", description = "application.id (default bench-<app>).")
        String appId;
        @Option(names = "--state-dir", description = "State directory (default: a new temporary one).")
        String stateDir;
        @Option(names = "--timeout-s", defaultValue = "600", description = "Bound of the run.")
        long timeoutS;
        @Option(names = "--parent-pid", defaultValue = "-1", description = "Exit when this process (the harness) dies.")
        long parentPid;
        @Option(names = "--cards", defaultValue = "100000", description = "Distinct cards of the bench data.")
        int cards;
        @Option(names = "--streams-config", defaultValue = "", description = "k=v,k=v: extra Kafka Streams settings.")
        String streamsConfig;
        @Option(names = "--keyed-by-row-key", description = "Logs keyed by row key (no repartition topic).")
        boolean keyedByRowKey;
        @Option(names = "--features", defaultValue = "3", description = "Features of the bench join.")
        int features;
        @Option(names = "--parts", defaultValue = "2", description = "Parts of the bench join.")
        int parts;
    }

    public static void main(String[] argv) throws Exception {
        Opts a = Cli.parseOrExit(new Opts(), argv);
        watchParent(a.parentPid);
        HeapSampler heap = new HeapSampler();
        heap.start();
        String app = a.app;
        String appId = a.appId != null ? a.appId : "bench-" + app;
        Path stateDir = Paths.get(a.stateDir != null ? a.stateDir : Files.createTempDirectory("bench-state-").toString());
        BenchData data = new BenchData(a.prefix, a.cards, false, a.features, a.parts);
        int partitions = a.partitions;
        Map<String, Object> props = new HashMap<>();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, a.bootstrap);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, a.threads);
        if (a.commitIntervalMs >= 0) {
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, a.commitIntervalMs);
        }
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        for (String kv : a.streamsConfig.split(",")) {
            if (!kv.isBlank()) {
                int eq = kv.indexOf('=');
                props.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
        }
        String registryUrl = a.registry;

        SpliceRuntime runtime = null;
        KafkaStreams passThrough = null;
        AutoCloseable closer;
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        System.out.println(START + System.currentTimeMillis());
        System.out.flush();
        if (app.equals("splice")) {
            props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, registryUrl);
            props.put(SpliceStreamsConfig.TOPIC_PREFIX, data.topics.prefix());
            props.put(SpliceStreamsConfig.TOPIC_PARTITIONS, partitions);
            props.put(SpliceStreamsConfig.TOPIC_REPLICATION, 1);
            props.put(SpliceStreamsConfig.METRICS_PORT, 0);
            props.put(SpliceStreamsConfig.LOG_KEYED_BY_ROW_KEY, a.keyedByRowKey);
            runtime = new SpliceRuntime(data.definitions, new SpliceStreamsConfig(props));
            SpliceRuntime r = runtime;
            closer = r::close;
            runtime.start();
        } else if (app.equals("passthrough")) {
            passThrough = passThrough(data, registryUrl, props);
            KafkaStreams s = passThrough;
            closer = () -> s.close(new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(60)).leaveGroup(true));
            passThrough.start();
        } else {
            throw new IllegalArgumentException("--app splice|passthrough");
        }
        AutoCloseable finalCloser = closer;
        Thread hook = new Thread(() -> {
            closeQuietly(finalCloser);
            deleteRecursively(stateDir);
        }, "bench-app-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        long timeoutS = a.timeoutS;
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("app", app);
        KafkaStreams streams = runtime != null ? runtime.streams() : passThrough;
        long runningDeadline = t0 + TimeUnit.SECONDS.toNanos(Math.min(timeoutS, 120));
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > runningDeadline || streams.state() == KafkaStreams.State.ERROR
                    || streams.state() == KafkaStreams.State.NOT_RUNNING) {
                throw new IllegalStateException("the app did not reach RUNNING (state " + streams.state() + ")");
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
        long runningNanos = System.nanoTime() - t0;
        System.out.println(READY + System.currentTimeMillis());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.trim().equals("STOP")) {
            // the harness decides when the run is over (by offsets: see OffsetCompletion)
        }
        long elapsedNanos = System.nanoTime() - t0;
        long cpuNanos = processCpuNanos() - cpu0;
        // task (re)creations: more than the active tasks means a task was closed and revived (e.g. EOS recovery)
        double tasksCreated = streams.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("task-created-total") && e.getKey().group().equals("stream-thread-metrics"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
        int activeTasks = streams.metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum();
        heap.stop();
        result.put("seconds", elapsedNanos / 1e9);
        result.put("seconds_to_running", runningNanos / 1e9);
        result.put("cpu_seconds", cpuNanos / 1e9);
        result.put("peak_heap_bytes", heap.peak());
        result.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        result.put("gc_seconds", gcMillis() / 1000.0);
        result.put("tasks_created", tasksCreated);
        result.put("active_tasks", activeTasks);
        result.put("kafka_metrics", kafkaMetrics(streams));
        if (runtime != null) {
            MeterRegistry m = runtime.meters();
            result.put("stitched", count(m, "splice.stitched.out"));
            result.put("unchanged", count(m, "splice.merges.unchanged"));
            result.put("records_in", count(m, "splice.records.in"));
            result.put("dlq", count(m, "splice.dlq"));
        }
        closeQuietly(closer);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down
        }
        result.put("peak_rss_bytes", peakRssBytes());
        result.put("state_bytes", dirSize(stateDir));
        deleteRecursively(stateDir);
        System.out.println(RESULT + new ObjectMapper().writeValueAsString(result));
        System.out.flush();
        System.exit(0);
    }

    static KafkaStreams passThrough(BenchData data, String registryUrl, Map<String, Object> props) {
        SchemaRegistryClient client = SpliceSerdeConfig.client(Map.of(SpliceSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl));
        Serde<FetchLog> logSerde = Serdes.serdeFrom(new SpliceAvroSerializer<>(client), SpliceAvroDeserializer.of(client, FetchLog.class));
        Serde<FeatureRow> rowSerde = Serdes.serdeFrom(new SpliceAvroSerializer<>(client), SpliceAvroDeserializer.of(client, FeatureRow.class));
        StreamsBuilder b = new StreamsBuilder();
        b.stream(List.of(data.topics.fetchLog(), data.topics.fetchLogReplay()), Consumed.with(Serdes.String(), logSerde))
                .to(passThroughLogs(data), Produced.with(Serdes.String(), logSerde));
        b.stream(List.of(data.backfillTopic(), data.bootstrapTopic), Consumed.with(Serdes.String(), rowSerde))
                .to(passThroughRows(data), Produced.with(Serdes.String(), rowSerde));
        Properties p = new Properties();
        p.putAll(props);
        return new KafkaStreams(b.build(), p);
    }

    /** Output topics of the pass-through app (one per record type: the registry keeps one schema per subject). */
    static String passThroughLogs(BenchData data) {
        return data.topics.prefix() + ".passthrough.logs";
    }

    static String passThroughRows(BenchData data) {
        return data.topics.prefix() + ".passthrough.rows";
    }

    /**
     * Where a stream thread's time goes (Kafka's own metrics, summed over threads and clients): commits, polls, the
     * transactional producer's commit and flush times, the consumer's fetch waits. Averages and maxima cover Kafka's
     * metric window (the last 30 to 60 s of the run).
     */
    static Map<String, Double> kafkaMetrics(KafkaStreams streams) {
        List<String> thread = List.of("commit-latency-avg", "commit-latency-max", "commit-total", "poll-latency-avg",
                "poll-latency-max", "poll-records-avg", "poll-total", "process-latency-avg", "process-records-avg",
                "process-ratio", "poll-ratio", "commit-ratio", "punctuate-ratio", "blocked-time-ns-total");
        List<String> producer = List.of("txn-commit-time-ns-total", "txn-begin-time-ns-total", "txn-send-offsets-time-ns-total",
                "flush-time-ns-total", "record-queue-time-avg", "request-latency-avg", "batch-size-avg", "records-per-request-avg");
        List<String> consumer = List.of("fetch-latency-avg", "fetch-latency-max", "fetch-total", "records-per-request-avg",
                "fetch-size-avg");
        Map<String, Double> out = new java.util.TreeMap<>();
        streams.metrics().forEach((n, m) -> {
            String key = null;
            if (n.group().equals("stream-thread-metrics") && thread.contains(n.name())) {
                key = "thread." + n.name();
            } else if (n.group().equals("producer-metrics") && producer.contains(n.name())) {
                key = "producer." + n.name();
            } else if (n.group().equals("consumer-fetch-manager-metrics") && consumer.contains(n.name()) && !n.tags().containsKey("topic")
                    && n.tags().getOrDefault("client-id", "").endsWith("-consumer")
                    && !n.tags().get("client-id").endsWith("-restore-consumer")) {
                key = "consumer." + n.name(); // the main consumer (not the restore consumer)
            }
            if (key != null && m.metricValue() instanceof Number v && Double.isFinite(v.doubleValue())) {
                out.merge(key, v.doubleValue(), key.endsWith("-max") ? Math::max : Double::sum);
            }
        });
        return out;
    }

    private static double count(MeterRegistry m, String name) {
        return m.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("close failed: " + e);
        }
    }

    private static void watchParent(long pid) {
        if (pid <= 0) {
            return;
        }
        Thread t = new Thread(() -> {
            while (true) {
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    try {
                        TimeUnit.SECONDS.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                } else {
                    System.err.println("harness " + pid + " is gone; stopping");
                    System.exit(3);
                }
            }
        }, "bench-parent-watch");
        t.setDaemon(true);
        t.start();
    }

    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    private static long gcMillis() {
        long ms = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ms += Math.max(0, gc.getCollectionTime());
        }
        return ms;
    }

    /** VmHWM of /proc/self/status: the peak resident set (heap, RocksDB and everything else); -1 if unknown. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    static long dirSize(Path dir) {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return -1;
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
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

    /** Samples used heap every 10 ms; the maximum is the peak heap (live data plus garbage not yet collected). */
    static final class HeapSampler {
        private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        private volatile boolean stop;
        private volatile long peak;
        private Thread thread;

        void start() {
            thread = new Thread(() -> {
                while (!stop) {
                    long used = memory.getHeapMemoryUsage().getUsed();
                    if (used > peak) {
                        peak = used;
                    }
                    try {
                        TimeUnit.MILLISECONDS.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-heap-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() {
            stop = true;
        }

        long peak() {
            return peak;
        }
    }
}
