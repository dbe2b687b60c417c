package io.splice.streams.api;

import io.splice.core.merge.Consistency;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.streams.StreamsConfig;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Settings of the stitching app. Splice's own keys are below; every other key of the config file (Kafka Streams,
 * consumer, producer and admin settings, including {@code security.protocol}, {@code sasl.*} and {@code ssl.*}) is
 * passed through to Kafka unchanged.
 */
public final class SpliceStreamsConfig extends AbstractConfig {
    public static final String TOPIC_PREFIX = "splice.topic.prefix";
    public static final String TOPIC_PARTITIONS = "splice.topic.partitions";
    public static final String TOPIC_REPLICATION = "splice.topic.replication.factor";
    public static final String CREATE_TOPICS = "splice.topic.create";
    public static final String LOG_KEYED_BY_ROW_KEY = "splice.fetch-log.keyed-by-row-key";
    public static final String MAX_VALUE_BYTES = "splice.max.value.bytes";
    public static final String MAX_ROW_BYTES = "splice.max.row.bytes";
    public static final String METRICS_PORT = "splice.metrics.port";
    public static final String METRICS_HOST = "splice.metrics.host";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String STATE_STORE = "splice.state.store";
    public static final String THREAD_REPLACEMENTS_MAX = "splice.thread.replacements.max";
    public static final String THREAD_REPLACEMENTS_WINDOW_MS = "splice.thread.replacements.window.ms";
    public static final String THREAD_REPLACEMENT_BACKOFF_MS = "splice.thread.replacement.backoff.ms";
    public static final String THREAD_REPLACEMENT_BACKOFF_MAX_MS = "splice.thread.replacement.backoff.max.ms";
    public static final String STARTUP_TIMEOUT_MS = "splice.startup.timeout.ms";
    public static final String CONSISTENCY_TOLERANCE = "splice.consistency.tolerance";

    /** A Kafka Streams (or client) setting whose default Splice sets differently from Kafka's; a configured value wins. */
    public record StreamsDefault(String key, Object value, String kafkaDefault, String why) {
    }

    /**
     * Splice's defaults for Kafka settings, chosen for end-to-end latency with exactly-once processing (issue 17,
     * docs/performance.md): a re-keyed log crosses two transactions in series, each visible only when the stream
     * thread commits, so the latency is about 1.5 commit intervals plus two commits.
     */
    public static final List<StreamsDefault> STREAMS_DEFAULTS = List.of(
            new StreamsDefault(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE,
                    "Output, state and input offsets commit together: nothing lost or duplicated."),
            new StreamsDefault(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 20, "100 with exactly-once",
                    "A stitched record is visible to read_committed readers only after the commit of the transaction "
                            + "that wrote it, and a re-keyed log waits for two commits (to the repartition topic, then to "
                            + "the stitched topic). At 5,000 logs/s on 2 cores 100 ms gave p50/p99 200/597 ms, 20 ms "
                            + "54/103 ms, for ~5% more app CPU; 10 and 5 ms gained little more at p99 for 2-3 times the "
                            + "transactions (markers on every partition written) of 20 ms."),
            new StreamsDefault(StreamsConfig.POLL_MS_CONFIG, 20, "100",
                    "The stream thread commits between polls: a poll that waits for input longer than the commit "
                            + "interval holds back the commit of what was already processed (a quiet topic, a low rate)."));

    private static final ConfigDef DEF = new ConfigDef()
            .define(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, Type.LIST, "127.0.0.1:9092", Importance.HIGH,
                    "Kafka brokers to connect to.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, "http://127.0.0.1:8081", Importance.HIGH,
                    "Confluent-compatible schema registry URL (Confluent, Apicurio /apis/ccompat/v6, Karapace, Redpanda); "
                            + "mock://<scope> selects an in-memory registry.")
            .define(StreamsConfig.APPLICATION_ID_CONFIG, Type.STRING, "splice-stitcher", new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Kafka Streams application id: consumer group, state and internal topic prefix.")
            .define(TOPIC_PREFIX, Type.STRING, "splice", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Prefix of every Splice topic (<prefix>.fetch-log, <prefix>.stitched.<name>.<version>, ...).")
            .define(TOPIC_PARTITIONS, Type.INT, 6, Range.atLeast(1), Importance.MEDIUM,
                    "Partitions of topics Splice creates and of the log repartition topics. Every input of a join must "
                            + "have this many partitions (co-partitioned by row key); parallelism is this number.")
            .define(TOPIC_REPLICATION, Type.INT, 3, Range.between(1, Short.MAX_VALUE), Importance.MEDIUM,
                    "Replication factor of topics Splice creates (and of internal topics).")
            .define(CREATE_TOPICS, Type.BOOLEAN, true, Importance.LOW,
                    "Create missing topics at start (compacted where DESIGN §4 says so).")
            .define(LOG_KEYED_BY_ROW_KEY, Type.BOOLEAN, false, Importance.MEDIUM,
                    "Set when producers key fetch logs by their row key with the default partitioner: the logs are "
                            + "then already co-partitioned and Splice skips the repartition topic.")
            .define(MAX_VALUE_BYTES, Type.INT, 350 * 1024, Range.atLeast(1), Importance.MEDIUM,
                    "Largest input value accepted; larger records go to the dead-letter topic (SageMaker's record limit "
                            + "is 350 KB).")
            .define(MAX_ROW_BYTES, Type.INT, 1_000_000, Range.atLeast(4096), Importance.MEDIUM,
                    "Largest stitched row: its state (last values and every source record) plus twice its row key. A "
                            + "record that would make a row larger goes to the dead-letter topic (row-too-large) and the "
                            + "row keeps its last revision, instead of a changelog or output record over the producer's "
                            + "max.request.size (1,048,576 by default) stopping the app. Raise it together with "
                            + "producer.max.request.size and the topics' max.message.bytes.")
            .define(METRICS_PORT, Type.INT, 9464, Range.between(0, 65535), Importance.LOW,
                    "HTTP port of /metrics (Prometheus) and /health; 0 picks a free port, -1 is not allowed.")
            .define(METRICS_HOST, Type.STRING, "127.0.0.1", Importance.LOW,
                    "Address the metrics server binds to.")
            .define(STATE_STORE, Type.STRING, "rocksdb", ValidString.in("rocksdb", "in_memory"), Importance.LOW,
                    "Per-row state store: rocksdb (persistent, for splice run) or in_memory (what splice simulate uses: "
                            + "no disk flush per record; the changelog still backs it up).")
            .define(THREAD_REPLACEMENTS_MAX, Type.INT, 5, Range.atLeast(0), Importance.MEDIUM,
                    "Failed stream threads replaced within " + THREAD_REPLACEMENTS_WINDOW_MS + " before the app gives up: "
                            + "the next failure shuts it down (SHUTDOWN_CLIENT) and splice run exits 1, so that its "
                            + "supervisor sees a failure that recurs instead of a hot crash loop. 0 shuts down at the "
                            + "first failure.")
            .define(THREAD_REPLACEMENTS_WINDOW_MS, Type.LONG, 600_000L, Range.atLeast(1), Importance.LOW,
                    "Sliding window over which " + THREAD_REPLACEMENTS_MAX + " counts replacements.")
            .define(THREAD_REPLACEMENT_BACKOFF_MS, Type.LONG, 1_000L, Range.atLeast(0), Importance.LOW,
                    "Wait before replacing a failed stream thread; doubles with each further replacement in the window, "
                            + "up to " + THREAD_REPLACEMENT_BACKOFF_MAX_MS + ".")
            .define(THREAD_REPLACEMENT_BACKOFF_MAX_MS, Type.LONG, 60_000L, Range.atLeast(0), Importance.LOW,
                    "Longest wait before replacing a failed stream thread.")
            .define(STARTUP_TIMEOUT_MS, Type.INT, 10_000, Range.between(100, 600_000), Importance.LOW,
                    "How long splice run and splice replay wait at start for Kafka (bootstrap.servers) and the schema "
                            + "registry to answer before they stop with one line naming the one they could not reach.")
            .define(CONSISTENCY_TOLERANCE, Type.DOUBLE, Consistency.DEFAULT_TOLERANCE, Range.between(0.0, 1.0), Importance.LOW,
                    "Relative tolerance of the online/offline consistency counters (splice_consistency_*): a served "
                            + "(log) and a computed (backfill) number of the same feature agree when they differ by at "
                            + "most this share of the larger magnitude; 0 compares exactly. A null against a value is "
                            + "always a mismatch. Counting never changes what is stitched.");

    public SpliceStreamsConfig(Map<?, ?> props) {
        super(DEF, props, false);
    }

    public static ConfigDef configDef() {
        return DEF;
    }

    public String topicPrefix() {
        return getString(TOPIC_PREFIX);
    }

    public int partitions() {
        return getInt(TOPIC_PARTITIONS);
    }

    public short replicationFactor() {
        return getInt(TOPIC_REPLICATION).shortValue();
    }

    public boolean logKeyedByRowKey() {
        return getBoolean(LOG_KEYED_BY_ROW_KEY);
    }

    public boolean inMemoryState() {
        return "in_memory".equals(getString(STATE_STORE));
    }

    public int maxValueBytes() {
        return getInt(MAX_VALUE_BYTES);
    }

    public double consistencyTolerance() {
        return getDouble(CONSISTENCY_TOLERANCE);
    }

    public int maxRowBytes() {
        return getInt(MAX_ROW_BYTES);
    }

    public int maxThreadReplacements() {
        return getInt(THREAD_REPLACEMENTS_MAX);
    }

    public long threadReplacementsWindowMs() {
        return getLong(THREAD_REPLACEMENTS_WINDOW_MS);
    }

    public long threadReplacementBackoffMs() {
        return getLong(THREAD_REPLACEMENT_BACKOFF_MS);
    }

    public long threadReplacementBackoffMaxMs() {
        return getLong(THREAD_REPLACEMENT_BACKOFF_MAX_MS);
    }

    public int startupTimeoutMs() {
        return getInt(STARTUP_TIMEOUT_MS);
    }

    /** Serde settings (registry URL and auth) for the Splice serdes. */
    public Map<String, Object> serdeConfigs() {
        Map<String, Object> m = new HashMap<>();
        originals().forEach((k, v) -> {
            if (k.startsWith("schema.registry.") || k.startsWith("basic.auth.") || k.equals("auto.register.schemas")) {
                m.put(k, v);
            }
        });
        m.put(SCHEMA_REGISTRY_URL, getString(SCHEMA_REGISTRY_URL));
        return m;
    }

    /**
     * The Kafka Streams properties: every key that is not Splice's own passes through (security settings
     * included), over {@link #STREAMS_DEFAULTS}, the replication factor and LZ4 for RocksDB
     * ({@link RowStoreRocksDbConfig}).
     */
    public Properties streamsProperties() {
        Properties p = new Properties();
        STREAMS_DEFAULTS.forEach(d -> p.put(d.key(), d.value()));
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor());
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, RowStoreRocksDbConfig.class);
        originals().forEach((k, v) -> {
            if (!k.startsWith("splice.")) {
                p.put(k, v);
            }
        });
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", getList(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)));
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(StreamsConfig.APPLICATION_ID_CONFIG));
        return p;
    }

    /** Client (admin/producer/consumer) properties: everything that is not Splice's or Streams-only. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> m = new HashMap<>();
        originals().forEach((k, v) -> {
            if (k.startsWith("security.") || k.startsWith("sasl.") || k.startsWith("ssl.")
                    || k.equals("client.dns.lookup") || k.equals("request.timeout.ms")) {
                m.put(k, v);
            }
        });
        m.put("bootstrap.servers", String.join(",", getList(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)));
        return m;
    }
}
