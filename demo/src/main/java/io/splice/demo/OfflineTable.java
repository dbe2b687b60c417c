package io.splice.demo;

import io.splice.core.offline.LatestRevision;
import io.splice.core.offline.OfflineColumns;

import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The S3 sink's offline table read back: every Parquet object under a prefix (on S3, or a local copy), folded into
 * the latest revision per row key in core's {@link LatestRevision} order (greatest {@code kafka_partition},
 * {@code kafka_offset}), as every other reader and the Athena query in docs/sinks.md.
 */
public final class OfflineTable {
    private final LatestRows rows = new LatestRows();
    private final List<String> objects = new ArrayList<>();
    private long bytes;

    private OfflineTable() {
    }

    /** An S3 client for {@code endpoint} (null: AWS itself, with the default region and credentials chains). */
    public static S3Client s3(URI endpoint, String accessKey, String secretKey, String region) {
        S3ClientBuilder b = S3Client.builder().httpClientBuilder(ApacheHttpClient.builder());
        AwsCredentialsProvider creds = accessKey == null || accessKey.isBlank()
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
        b.credentialsProvider(creds);
        if (region != null && !region.isBlank()) {
            b.region(Region.of(region));
        }
        if (endpoint != null) {
            b.endpointOverride(endpoint).forcePathStyle(true);
            if (region == null || region.isBlank()) {
                b.region(Region.US_EAST_1);
            }
        }
        return b.build();
    }

    /** Reads every {@code .parquet} object under {@code s3://bucket/prefix}. */
    public static OfflineTable fromS3(S3Client s3, String bucket, String prefix) {
        return fromS3(s3, bucket, prefix, null);
    }

    /**
     * Reads every {@code .parquet} object under {@code s3://bucket/prefix} and, when {@code copyTo} is given, writes
     * each to {@code copyTo/<key below prefix>} (a local copy Spark jobs can read without an S3 connector).
     */
    public static OfflineTable fromS3(S3Client s3, String bucket, String prefix, Path copyTo) {
        OfflineTable t = new OfflineTable();
        List<String> keys = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(S3Object::key).filter(k -> k.endsWith(".parquet")).forEach(keys::add);
        keys.sort(null);
        for (String key : keys) {
            byte[] data = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
            t.objects.add("s3://" + bucket + "/" + key);
            t.bytes += data.length;
            if (copyTo != null) {
                Path file = copyTo.resolve(key.substring(prefix.length()));
                try {
                    Files.createDirectories(file.getParent());
                    Files.write(file, data);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write " + file, e);
                }
            }
            ParquetRows.read(data, key, t::add);
        }
        return t;
    }

    /** Reads every {@code .parquet} file under a local directory (or one file). */
    public static OfflineTable fromDirectory(Path dir) {
        OfflineTable t = new OfflineTable();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".parquet") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        for (Path f : files) {
            t.objects.add(f.toString());
            try {
                t.bytes += Files.size(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            ParquetRows.read(f, t::add);
        }
        return t;
    }

    private void add(GenericRecord g) {
        List<String> missing = LatestRevision.missing(g.getSchema().getFields().stream().map(f -> f.name()).toList());
        if (!missing.isEmpty()) {
            throw new IllegalStateException("offline row without " + String.join(", ", missing)
                    + " (the S3 offline sink writes them; the latest revision of a row is ordered by them): " + g);
        }
        String rowKey = str(field(g, OfflineColumns.ROW_KEY));
        LatestRevision.Position position = new LatestRevision.Position(
                ((Number) field(g, OfflineColumns.KAFKA_PARTITION)).intValue(),
                ((Number) field(g, OfflineColumns.KAFKA_OFFSET)).longValue());
        Object rev = field(g, OfflineColumns.REVISION);
        Object ts = field(g, OfflineColumns.TS);
        Object deleted = field(g, OfflineColumns.IS_DELETED);
        long millis = ts instanceof Number n ? n.longValue() : ts instanceof java.time.Instant i ? i.toEpochMilli() : 0L;
        rows.accept(position, new LatestRows.Row(rowKey, millis,
                rev instanceof Number n ? n.longValue() : 0L, strMap(field(g, OfflineColumns.KEYS)),
                strMap(field(g, OfflineColumns.SOURCES)), Boolean.TRUE.equals(deleted)));
    }

    /** A column's value, null when the file has no such column. */
    static Object field(GenericRecord g, String name) {
        return g.getSchema().getField(name) == null ? null : g.get(name);
    }

    static String str(Object o) {
        return o == null ? null : o instanceof Utf8 u ? u.toString() : o.toString();
    }

    static Map<String, String> strMap(Object o) {
        Map<String, String> m = new LinkedHashMap<>();
        if (o instanceof Map<?, ?> in) {
            in.forEach((k, v) -> m.put(str(k), str(v)));
        }
        return m;
    }

    /** Object names (s3:// URIs or file paths). */
    public List<String> objects() {
        return objects;
    }

    public long bytes() {
        return bytes;
    }

    /** Rows in the objects: every revision and deletion. */
    public long rows() {
        return rows.records();
    }

    /** Rows whose latest revision is not a deletion. */
    public long latestRows() {
        return rows.liveRows();
    }

    public LatestRows latest() {
        return rows;
    }
}
