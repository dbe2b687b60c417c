package io.splice.connectors.s3;

import io.splice.connectors.testing.FakeContext;
import io.splice.connectors.testing.TestData;
import io.splice.local.s3.S3Endpoint;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.splice.connectors.testing.TestData.DAY1;
import static io.splice.connectors.testing.TestData.TOPIC;

/** Runs the S3 sink task over n pre-serialized records (for SinkBench). */
public final class S3BenchDriver {
    public record Result(double seconds, long inBytes, long outBytes, long objects, long multipartObjects) {
    }

    private S3BenchDriver() {
    }

    public static Result run(S3Endpoint s3, int n, boolean measure, Map<String, String> extra) {
        return run(s3, n, measure, extra, 0);
    }

    /** {@code noiseBytes} > 0: every record's {@code segment} is that many random (incompressible) bytes, Base64. */
    public static Result run(S3Endpoint s3, int n, boolean measure, Map<String, String> extra, int noiseBytes) {
        java.util.Random random = new java.util.Random(7);
        Map<String, String> c = new HashMap<>();
        c.put("splice.definitions.yaml", TestData.DEFINITIONS);
        c.put("schema.registry.url", TestData.REGISTRY_URL);
        c.put("aws.region", "us-east-1");
        c.put("aws.access.key.id", S3Endpoint.ACCESS_KEY);
        c.put("aws.secret.access.key", S3Endpoint.SECRET_KEY);
        c.put("aws.endpoint.override", s3.endpoint().toString());
        c.put("s3.path.style.access", "true");
        c.put("s3.prefix", "s3://bench/run-" + System.nanoTime());
        c.put("flush.size", "20000");
        c.put("rotate.interval.ms", "-1");
        c.putAll(extra);
        List<SinkRecord> records = new ArrayList<>(n);
        long in = 0;
        for (int i = 0; i < n; i++) {
            var v = TestData.payment("r" + i, "c" + (i % 5000), DAY1 + (i % 86_400) * 1000L, 1, i, i * 0.5);
            if (noiseBytes > 0) {
                byte[] noise = new byte[noiseBytes];
                random.nextBytes(noise);
                v.getValues().put("segment", java.util.Base64.getEncoder().encodeToString(noise));
            }
            SinkRecord r = TestData.sinkRecord(TOPIC, 0, i, DAY1 + i, "r" + i, v);
            in += ((byte[]) r.value()).length;
            records.add(r);
        }
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        S3OfflineSinkTask task = new S3OfflineSinkTask();
        task.initialize(new FakeContext(true, tp));
        task.start(c);
        task.open(List.of(tp));
        try {
            long start = System.nanoTime();
            for (int i = 0; i < n; i += 500) {
                task.put(records.subList(i, Math.min(n, i + 500)));
            }
            double secs = (System.nanoTime() - start) / 1e9;
            OffsetAndMetadata done = task.preCommit(Map.of(tp, new OffsetAndMetadata(n))).get(tp);
            long committed = done == null ? 0 : done.offset();
            if (measure && committed != n) {
                throw new IllegalStateException("S3 sink committed " + committed + " of " + n);
            }
            return new Result(secs, in, task.stats().bytes, task.stats().objects, task.stats().multipartObjects);
        } finally {
            task.stop();
        }
    }

    /**
     * Uploads a file of {@code bytes} random bytes {@code count} times through the sink's own client and uploader
     * (found by reflection, so that this runs against any build of them); returns the seconds of the uploads.
     */
    public static double uploads(S3Endpoint s3, long bytes, int count, Map<String, String> extra) throws Exception {
        Map<String, String> c = new HashMap<>();
        c.put("splice.definitions.yaml", TestData.DEFINITIONS);
        c.put("schema.registry.url", TestData.REGISTRY_URL);
        c.put("aws.region", "us-east-1");
        c.put("aws.access.key.id", S3Endpoint.ACCESS_KEY);
        c.put("aws.secret.access.key", S3Endpoint.SECRET_KEY);
        c.put("aws.endpoint.override", s3.endpoint().toString());
        c.put("s3.path.style.access", "true");
        c.putAll(extra);
        S3OfflineSinkConfig config = new S3OfflineSinkConfig(c);
        java.nio.file.Path file = java.nio.file.Files.createTempFile("splice-upload-bench-", ".bin");
        AutoCloseable client = null;
        try {
            java.util.Random random = new java.util.Random(7);
            try (var out = java.nio.file.Files.newOutputStream(file)) {
                byte[] chunk = new byte[1 << 20];
                for (long left = bytes; left > 0; left -= chunk.length) {
                    random.nextBytes(chunk);
                    out.write(chunk, 0, (int) Math.min(chunk.length, left));
                }
            }
            var factory = S3OfflineSinkTask.class.getDeclaredMethod("defaultClient", S3OfflineSinkConfig.class);
            factory.setAccessible(true);
            client = (AutoCloseable) factory.invoke(null, config);
            var ctor = S3Uploader.class.getDeclaredConstructors()[0];
            ctor.setAccessible(true);
            Object uploader = ctor.newInstance(client, config.getLong(S3OfflineSinkConfig.S3_PART_SIZE),
                    config.getString(S3OfflineSinkConfig.S3_SSE), config.getString(S3OfflineSinkConfig.S3_SSE_KMS_KEY_ID));
            var upload = S3Uploader.class.getDeclaredMethod("upload", String.class, String.class, java.nio.file.Path.class);
            upload.setAccessible(true);
            upload.invoke(uploader, "bench", "warm-up", file);
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                upload.invoke(uploader, "bench", "upload-" + i, file);
            }
            return (System.nanoTime() - start) / 1e9;
        } finally {
            if (client != null) {
                client.close();
            }
            java.nio.file.Files.deleteIfExists(file);
        }
    }
}
