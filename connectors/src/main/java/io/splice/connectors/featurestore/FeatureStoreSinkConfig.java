package io.splice.connectors.featurestore;

import io.splice.connectors.common.SpliceSinkConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.util.List;
import java.util.Map;

/** Configuration of {@link FeatureStoreSinkConnector}; the generated table is docs/reference/connectors-config.md. */
public final class FeatureStoreSinkConfig extends SpliceSinkConfig {
    public static final String TARGET_STORES = "featurestore.target.stores";
    public static final String MAX_IN_FLIGHT = "featurestore.max.in.flight";
    public static final String RETRY_MAX_ATTEMPTS = "featurestore.retry.max.attempts";
    public static final String RETRY_BACKOFF_INITIAL_MS = "featurestore.retry.backoff.initial.ms";
    public static final String RETRY_BACKOFF_MAX_MS = "featurestore.retry.backoff.max.ms";
    public static final String REQUEST_TIMEOUT_MS = "featurestore.request.timeout.ms";
    public static final String DESCRIBE_FEATURE_GROUPS = "featurestore.describe.feature.groups";
    public static final String EVENT_TIME_FEATURE_NAME = "featurestore.event.time.feature.name";
    public static final String TTL_SECONDS = "featurestore.ttl.seconds";
    public static final String DELETE_ON_TOMBSTONE = "featurestore.delete.on.tombstone";
    public static final String DELETION_MODE = "featurestore.deletion.mode";
    public static final String ROW_INDEX_TOPIC = "featurestore.row.index.topic";
    public static final String ROW_INDEX_BOOTSTRAP_SERVERS = "featurestore.row.index.bootstrap.servers";
    public static final String ROW_INDEX_PARTITIONS = "featurestore.row.index.partitions";
    /** Any Kafka client setting of the row index's clients, e.g. {@code featurestore.row.index.client.security.protocol}. */
    public static final String ROW_INDEX_CLIENT_PREFIX = "featurestore.row.index.client.";
    public static final String CLOSE_TIMEOUT_MS = "featurestore.close.timeout.ms";
    public static final String CONTROL_ENDPOINT_OVERRIDE = "featurestore.control.endpoint.override";
    public static final String COALESCE = "featurestore.coalesce";
    public static final String MAX_QUEUED = "featurestore.max.queued";
    public static final String HTTP_CLIENT = "featurestore.http.client";
    public static final String HTTP_CLIENT_NETTY = "netty";
    public static final String HTTP_CLIENT_CRT = "crt";

    private static final String GROUP = "Feature Store";

    public static final ConfigDef CONFIG_DEF = configDef();

    public FeatureStoreSinkConfig(Map<?, ?> props) {
        super(CONFIG_DEF, props);
        for (String s : targetStores()) {
            if (!s.equals("OnlineStore") && !s.equals("OfflineStore")) {
                throw new ConfigException(TARGET_STORES, s, "expected OnlineStore and/or OfflineStore");
            }
        }
    }

    private static ConfigDef configDef() {
        ConfigDef def = baseConfigDef();
        int o = 0;
        def.define(TARGET_STORES, Type.LIST, "OnlineStore", Importance.MEDIUM,
                "TargetStores of PutRecord/DeleteRecord: OnlineStore (default: the S3 sink writes the offline "
                        + "store), OfflineStore, or both; empty: omitted (every store of the feature group).",
                GROUP, ++o, ConfigDef.Width.MEDIUM, "Target stores");
        def.define(MAX_IN_FLIGHT, Type.INT, 64, ConfigDef.Range.between(1, 4096), Importance.HIGH,
                "Requests in flight (PutRecord, DeleteRecord, GetRecord before a delete) per task; also the HTTP "
                        + "connections of the task's client.",
                GROUP, ++o, ConfigDef.Width.SHORT, "Max in flight");
        def.define(RETRY_MAX_ATTEMPTS, Type.INT, 10, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                "Attempts per record for throttling, 5xx and network errors; then the record goes to the DLQ.",
                GROUP, ++o, ConfigDef.Width.SHORT, "Max attempts");
        def.define(RETRY_BACKOFF_INITIAL_MS, Type.LONG, 100L, ConfigDef.Range.atLeast(0), Importance.LOW,
                "First retry delay; doubles per attempt, with jitter (a random half of it).",
                GROUP, ++o, ConfigDef.Width.SHORT, "Initial backoff");
        def.define(RETRY_BACKOFF_MAX_MS, Type.LONG, 20_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                "Upper bound of the retry delay.", GROUP, ++o, ConfigDef.Width.SHORT, "Max backoff");
        def.define(REQUEST_TIMEOUT_MS, Type.LONG, 10_000L, ConfigDef.Range.atLeast(1), Importance.LOW,
                "Timeout of one request attempt (a timed-out attempt is retried).",
                GROUP, ++o, ConfigDef.Width.SHORT, "Request timeout");
        def.define(DESCRIBE_FEATURE_GROUPS, Type.BOOLEAN, true, Importance.MEDIUM,
                "Call sagemaker:DescribeFeatureGroup once per feature group to learn its record identifier and "
                        + "event time feature names (and the event time's type). false: the record identifier is the "
                        + "join's online.record_identifier and the event time feature is " + EVENT_TIME_FEATURE_NAME + ".",
                GROUP, ++o, ConfigDef.Width.SHORT, "Describe feature groups");
        def.define(EVENT_TIME_FEATURE_NAME, Type.STRING, "EventTime", Importance.LOW,
                "Event time feature name when " + DESCRIBE_FEATURE_GROUPS + "=false.",
                GROUP, ++o, ConfigDef.Width.SHORT, "Event time feature");
        def.define(TTL_SECONDS, Type.LONG, -1L, Importance.LOW,
                "TtlDuration (seconds) sent with every PutRecord; -1: none (the feature group's default TTL applies).",
                GROUP, ++o, ConfigDef.Width.SHORT, "TTL");
        def.define(DELETE_ON_TOMBSTONE, Type.BOOLEAN, true, Importance.MEDIUM,
                "A row's tombstone deletes its record identifier's online record only if that record holds the row "
                        + "(checked with GetRecord), with the row's ts as EventTime; the identifier's other rows and a "
                        + "re-created row are written again. false: tombstones change nothing online.",
                GROUP, ++o, ConfigDef.Width.SHORT, "Delete on tombstone");
        def.define(DELETION_MODE, Type.STRING, "SoftDelete", ConfigDef.ValidString.in("SoftDelete", "HardDelete"),
                Importance.LOW, "DeletionMode of DeleteRecord.", GROUP, ++o, ConfigDef.Width.SHORT, "Deletion mode");
        def.define(ROW_INDEX_BOOTSTRAP_SERVERS, Type.STRING, "", Importance.MEDIUM,
                "Kafka brokers of the row index topic (row key to record identifier, for tombstones), so that deletions "
                        + "of rows written before a task restart or rebalance find their record. Empty: the index lives in "
                        + "the task's memory only, and a tombstone of a row the task has not written since it started "
                        + "deletes nothing (never a wrong record). Other client settings: " + ROW_INDEX_CLIENT_PREFIX + "*.",
                GROUP, ++o, ConfigDef.Width.LONG, "Row index brokers");
        def.define(ROW_INDEX_TOPIC, Type.STRING, "", Importance.LOW,
                "Compacted topic of the row index; empty: <splice.topic.prefix>.featurestore.rows. Use one per connector.",
                GROUP, ++o, ConfigDef.Width.MEDIUM, "Row index topic");
        def.define(ROW_INDEX_PARTITIONS, Type.INT, 6, ConfigDef.Range.atLeast(1), Importance.LOW,
                "Partitions of the row index topic when the task creates it (stitched partition p is kept in p mod n).",
                GROUP, ++o, ConfigDef.Width.SHORT, "Row index partitions");
        def.define(CLOSE_TIMEOUT_MS, Type.LONG, 30_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                "How long stopping or losing partitions waits for requests in flight.",
                GROUP, ++o, ConfigDef.Width.SHORT, "Close timeout");
        def.define(CONTROL_ENDPOINT_OVERRIDE, Type.STRING, "", Importance.LOW,
                "Endpoint override of the SageMaker control plane (DescribeFeatureGroup); " + AWS_ENDPOINT_OVERRIDE
                        + " applies to the Feature Store runtime only.",
                GROUP, ++o, ConfigDef.Width.LONG, "Control plane endpoint");
        def.define(COALESCE, Type.BOOLEAN, true, Importance.MEDIUM,
                "Send only the newest-EventTime PutRecord of each record identifier (ties: the later record): a put "
                        + "of an identifier that finds one of the same identifier queued and not yet sent (featurestore."
                        + "max.queued) folds into it. The Feature Store keeps the newest EventTime, so the older put would "
                        + "change nothing. A DeleteRecord between two puts of an identifier keeps both. The offsets of "
                        + "the records a put covers are committed only once that put is acknowledged; if it is refused, "
                        + "they go to the dead-letter queue with it.",
                GROUP, ++o, ConfigDef.Width.SHORT, "Coalesce puts per identifier");
        def.define(MAX_QUEUED, Type.INT, 20_000, ConfigDef.Range.between(1, 1_000_000), Importance.MEDIUM,
                "Requests prepared and not yet sent per task (waiting for one of featurestore.max.in.flight, or behind "
                        + "an earlier request of their record identifier) before put() waits. While the Feature Store is "
                        + "slower than the stream, the queue fills and puts of hot identifiers fold into the queued ones "
                        + "(featurestore.coalesce): more records per PutRecord, so the sink keeps up with a faster stream; "
                        + "a queued put is at most max.queued / (puts per second) old. Each holds one record's values "
                        + "(about 1 KB for 20 features).",
                GROUP, ++o, ConfigDef.Width.SHORT, "Max queued requests");
        def.define(HTTP_CLIENT, Type.STRING, HTTP_CLIENT_CRT, ConfigDef.ValidString.in(HTTP_CLIENT_CRT, HTTP_CLIENT_NETTY),
                Importance.LOW, "HTTP client of the Feature Store runtime calls (both are the AWS SDK's async HTTP "
                        + "clients under the same SDK client): crt, the AWS Common Runtime client (native code, shipped "
                        + "for Linux glibc and musl, macOS and Windows), spends about a third less CPU per PutRecord "
                        + "than netty, the SDK's Netty client (docs/performance.md); netty: pure Java, for a platform "
                        + "the native library does not cover.",
                GROUP, ++o, ConfigDef.Width.SHORT, "HTTP client");
        return def;
    }

    public List<String> targetStores() {
        return getList(TARGET_STORES);
    }

    public String rowIndexTopic() {
        String t = getString(ROW_INDEX_TOPIC);
        return t == null || t.isBlank() ? topics().prefix() + ".featurestore.rows" : t;
    }

    /** Client settings of the row index: its brokers and every {@value #ROW_INDEX_CLIENT_PREFIX}* setting; null if off. */
    public Map<String, Object> rowIndexClient() {
        String servers = getString(ROW_INDEX_BOOTSTRAP_SERVERS);
        if (servers == null || servers.isBlank()) {
            return null;
        }
        Map<String, Object> c = new java.util.HashMap<>(originalsWithPrefix(ROW_INDEX_CLIENT_PREFIX));
        c.put("bootstrap.servers", servers);
        return c;
    }
}
