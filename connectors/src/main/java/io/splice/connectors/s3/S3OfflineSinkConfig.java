package io.splice.connectors.s3;

import io.splice.connectors.common.SpliceSinkConfig;
import io.splice.core.api.JoinDefinition;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

import java.net.URI;
import java.util.Locale;
import java.util.Map;

/** Configuration of {@link S3OfflineSinkConnector}; the generated table is docs/reference/connectors-config.md. */
public final class S3OfflineSinkConfig extends SpliceSinkConfig {
    public static final String S3_PREFIX = "s3.prefix";
    public static final String S3_PATH_STYLE = "s3.path.style.access";
    public static final String S3_SSE = "s3.sse";
    public static final String S3_SSE_KMS_KEY_ID = "s3.sse.kms.key.id";
    public static final String S3_PART_SIZE = "s3.part.size.bytes";
    public static final String S3_CHECKSUM = "s3.checksum.calculation";
    public static final String FLUSH_SIZE = "flush.size";
    public static final String ROTATE_INTERVAL_MS = "rotate.interval.ms";
    public static final String ROTATE_IDLE_MS = "rotate.idle.ms";
    public static final String PARQUET_CODEC = "parquet.codec";
    public static final String PARQUET_ROW_GROUP_BYTES = "parquet.row.group.bytes";
    public static final String OFFSET_PAD_WIDTH = "filename.offset.zero.pad.width";
    public static final String BUFFER_DIR = "buffer.dir";
    public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
    public static final String RETRY_BACKOFF_MAX_MS = "retry.backoff.max.ms";
    public static final String TOMBSTONE_MEMORY_ROWS = "tombstone.memory.rows";

    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;

    private static final String GROUP_S3 = "S3";
    private static final String GROUP_FILES = "Files";

    public static final ConfigDef CONFIG_DEF = configDef();

    public S3OfflineSinkConfig(Map<?, ?> props) {
        super(CONFIG_DEF, props);
        validate();
    }

    private static ConfigDef configDef() {
        ConfigDef def = baseConfigDef();
        int o = 0;
        def.define(S3_PREFIX, Type.STRING, "", Importance.HIGH,
                "s3://bucket/path under which every join's folder <name>_<version>/ is written. Empty: each join's "
                        + "offline.s3_prefix from the definitions (then required).",
                GROUP_S3, ++o, ConfigDef.Width.LONG, "S3 prefix");
        def.define(S3_PATH_STYLE, Type.BOOLEAN, false, Importance.LOW,
                "Path-style addressing (http://host/bucket/key), for S3-compatible endpoints.",
                GROUP_S3, ++o, ConfigDef.Width.SHORT, "Path-style access");
        def.define(S3_SSE, Type.STRING, "", ConfigDef.ValidString.in("", "AES256", "aws:kms", "aws:kms:dsse"),
                Importance.MEDIUM, "Server-side encryption of the objects: empty (the bucket's default), AES256 "
                        + "(S3-managed keys), aws:kms or aws:kms:dsse (with " + S3_SSE_KMS_KEY_ID + ").",
                GROUP_S3, ++o, ConfigDef.Width.SHORT, "SSE");
        def.define(S3_SSE_KMS_KEY_ID, Type.STRING, "", Importance.LOW,
                "KMS key id or ARN for aws:kms; empty: the account's aws/s3 key.",
                GROUP_S3, ++o, ConfigDef.Width.LONG, "SSE KMS key");
        def.define(S3_PART_SIZE, Type.LONG, 16L * 1024 * 1024, ConfigDef.Range.atLeast(MIN_PART_SIZE), Importance.LOW,
                "Objects larger than this are uploaded with a multipart upload in parts of this size (>= 5 MiB).",
                GROUP_S3, ++o, ConfigDef.Width.SHORT, "Multipart part size");
        def.define(S3_CHECKSUM, Type.STRING, "when_supported", ConfigDef.ValidString.in("when_supported", "when_required"),
                Importance.LOW, "The SDK's request checksum calculation; when_required for S3-compatible stores "
                        + "that do not accept trailing checksums.",
                GROUP_S3, ++o, ConfigDef.Width.SHORT, "Checksums");
        o = 0;
        def.define(FLUSH_SIZE, Type.INT, 10000, ConfigDef.Range.atLeast(1), Importance.HIGH,
                "Records per segment: a topic partition's segment is written (one object per ds day) after this "
                        + "many records.",
                GROUP_FILES, ++o, ConfigDef.Width.SHORT, "Flush size");
        def.define(ROTATE_INTERVAL_MS, Type.LONG, 10 * 60 * 1000L, Importance.HIGH,
                "Record-time rotation: a record whose Kafka timestamp is this much later than the segment's first "
                        + "record's starts a new segment. Deterministic (a retry cuts at the same offsets). -1: off.",
                GROUP_FILES, ++o, ConfigDef.Width.SHORT, "Rotate interval (record time)");
        def.define(ROTATE_IDLE_MS, Type.LONG, -1L, Importance.MEDIUM,
                "Wall-clock flush of a segment that received nothing for this long (so the tail of a quiet topic is "
                        + "written). Objects stay exactly-once per offset, because a segment always starts at the "
                        + "committed offset and a retry overwrites the same-named objects, but their boundaries then "
                        + "depend on timing. -1: off.",
                GROUP_FILES, ++o, ConfigDef.Width.SHORT, "Rotate when idle (wall clock)");
        def.define(PARQUET_CODEC, Type.STRING, "SNAPPY", ConfigDef.ValidString.in("UNCOMPRESSED", "SNAPPY", "ZSTD", "GZIP"),
                Importance.LOW, "Parquet page compression.",
                GROUP_FILES, ++o, ConfigDef.Width.SHORT, "Parquet codec");
        def.define(PARQUET_ROW_GROUP_BYTES, Type.LONG, 64L * 1024 * 1024, ConfigDef.Range.atLeast(1024 * 1024),
                Importance.LOW, "Parquet row group size (the writer buffers one row group in memory per open file).",
                GROUP_FILES, ++o, ConfigDef.Width.SHORT, "Row group size");
        def.define(OFFSET_PAD_WIDTH, Type.INT, 20, ConfigDef.Range.between(1, 20), Importance.LOW,
                "Digits of the zero-padded start offset in object names.",
                GROUP_FILES, ++o, ConfigDef.Width.SHORT, "Offset padding");
        def.define(BUFFER_DIR, Type.STRING, "", Importance.LOW,
                "Local directory for Parquet files being built; empty: java.io.tmpdir.",
                GROUP_FILES, ++o, ConfigDef.Width.LONG, "Buffer directory");
        def.define(RETRY_BACKOFF_MS, Type.LONG, 1000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                "After a failed upload (past the SDK's own retries) the partition is rewound to its committed offset "
                        + "and paused this long, doubling up to " + RETRY_BACKOFF_MAX_MS + ".",
                GROUP_FILES, ++o, ConfigDef.Width.SHORT, "Retry backoff");
        def.define(RETRY_BACKOFF_MAX_MS, Type.LONG, 60_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                "Upper bound of the upload retry backoff.", GROUP_FILES, ++o, ConfigDef.Width.SHORT, "Max retry backoff");
        def.define(TOMBSTONE_MEMORY_ROWS, Type.INT, 100_000, ConfigDef.Range.atLeast(0), Importance.LOW,
                "Per topic partition, how many row keys' latest live ts and revision the sink remembers (least "
                        + "recently written forgotten first), to file a tombstone without the splice.revision/splice.ts "
                        + "headers under the ds of the row it deletes, with the revision it ends. 0: off.",
                GROUP_FILES, ++o, ConfigDef.Width.SHORT, "Tombstone memory");
        return def;
    }

    private void validate() {
        for (JoinDefinition j : definitions().joins()) {
            OfflineSchema.of(j); // reserved column names
            location(j);
        }
        if (getString(S3_SSE).startsWith("aws:kms") == false && !getString(S3_SSE_KMS_KEY_ID).isBlank()) {
            throw new ConfigException(S3_SSE_KMS_KEY_ID + " needs " + S3_SSE + "=aws:kms");
        }
    }

    /** Bucket and key prefix (no trailing slash, may be empty) of a join's folder parent. */
    public record Location(String bucket, String keyPrefix) {
        public String folder(JoinDefinition j) {
            String f = j.name() + "_" + j.version();
            return keyPrefix.isEmpty() ? f : keyPrefix + "/" + f;
        }
    }

    public Location location(JoinDefinition j) {
        String prefix = getString(S3_PREFIX);
        if (prefix == null || prefix.isBlank()) {
            prefix = j.offline() == null ? null : j.offline().s3Prefix();
        }
        if (prefix == null || prefix.isBlank()) {
            throw new ConfigException("Join " + j.id() + " has no offline.s3_prefix and " + S3_PREFIX + " is not set");
        }
        return parse(prefix);
    }

    static Location parse(String prefix) {
        URI u;
        try {
            u = URI.create(prefix.trim());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(S3_PREFIX, prefix, "not a URI: " + e.getMessage());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("s3") && !scheme.equals("s3a") || u.getHost() == null) {
            throw new ConfigException(S3_PREFIX, prefix, "expected s3://bucket/path");
        }
        String path = u.getPath() == null ? "" : u.getPath();
        while (path.startsWith("/")) {
            path = path.substring(1);
        }
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return new Location(u.getHost(), path);
    }

    public CompressionCodecName codec() {
        return CompressionCodecName.valueOf(getString(PARQUET_CODEC));
    }
}
