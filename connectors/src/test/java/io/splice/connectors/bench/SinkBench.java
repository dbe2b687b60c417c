package io.splice.connectors.bench;

import io.splice.connectors.featurestore.FeatureStoreSinkTask;
import io.splice.connectors.s3.S3BenchDriver;
import io.splice.connectors.testing.FakeContext;
import io.splice.connectors.testing.S3Testing;
import io.splice.connectors.testing.TestData;
import io.splice.local.featurestore.FeatureGroupSpec;
import io.splice.local.featurestore.FeatureStoreEndpoint;
import io.splice.local.s3.S3Endpoint;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import software.amazon.awssdk.services.s3.S3Client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.splice.connectors.testing.TestData.DAY1;
import static io.splice.connectors.testing.TestData.TOPIC;

/**
 * Throughput of the two sinks against the local endpoints, one task each, driven directly (no broker): records are
 * pre-serialized, so the figures are the sinks' own cost plus the endpoint's. Prints Markdown tables.
 *
 * <p>{@code --only upload [--upload-mb 64,1] [--set key=value]...}: the S3 uploads alone (one file of each size,
 * uploaded several times through the sink's client and uploader), MB/s.
 *
 * <p>Arguments: {@code [--quick] [--only online|offline|upload] [--in-flight 1,8,64] [--throttle SHARE]
 * [--noise BYTES] [--records N] [--set key=value]...}: smaller runs; one sink only; the online sink's
 * {@code featurestore.max.in.flight} values; a share of Feature Store calls answered {@code ThrottlingException}
 * (retried by the sink); random bytes in every offline record (so that uploads, not Parquet encoding, dominate); the
 * offline run's record count; extra settings of both tasks (e.g. {@code s3.part.size.bytes=5242880}).
 */
public final class SinkBench {
    private SinkBench() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        String only = null;
        double throttle = 0;
        int noise = 0;
        int records = 0;
        double[] uploadMb = {64, 1};
        int[] inFlights = {1, 8, 32, 64, 128, 256};
        Map<String, String> extra = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--only" -> only = args[++i];
                case "--throttle" -> throttle = Double.parseDouble(args[++i]);
                case "--noise" -> noise = Integer.parseInt(args[++i]);
                case "--records" -> records = Integer.parseInt(args[++i]);
                case "--upload-mb" -> uploadMb = java.util.Arrays.stream(args[++i].split(",")).mapToDouble(Double::parseDouble).toArray();
                case "--in-flight" -> inFlights = java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--set" -> {
                    String kv = args[++i];
                    extra.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--quick, --only online|offline, "
                        + "--in-flight 1,8,64, --throttle SHARE, --noise BYTES, --records N, --set key=value)");
            }
        }
        if ("upload".equals(only)) {
            System.out.println("## S3 uploads (S3Proxy in memory" + (extra.isEmpty() ? "" : ", " + extra) + ")\n");
            System.out.println("| object MB | uploads | seconds | MB/s | uploads/s |");
            System.out.println("| ---: | ---: | ---: | ---: | ---: |");
            try (S3Endpoint s3 = S3Endpoint.transientStore(); S3Client client = S3Testing.client(s3)) {
                client.createBucket(b -> b.bucket("bench"));
                for (double mb : uploadMb) {
                    int count = (int) Math.max(3, Math.min(200, (quick ? 128 : 512) / mb));
                    double secs = S3BenchDriver.uploads(s3, (long) (mb * 1024 * 1024), count, extra);
                    System.out.printf(Locale.ROOT, "| %.1f | %d | %.2f | %.1f | %.1f |%n", mb, count, secs, mb * count / secs,
                            count / secs);
                }
            }
            return;
        }
        if (!"offline".equals(only)) {
            System.out.printf(Locale.ROOT, "## Online sink (Feature Store endpoint with 10 ms injected latency per call%s)%n%n",
                    throttle > 0 ? String.format(Locale.ROOT, ", %.0f %% of calls throttled", throttle * 100) : "");
            System.out.println("| max.in.flight | records | seconds | records/s | retries |");
            System.out.println("| ---: | ---: | ---: | ---: | ---: |");
            try (FeatureStoreEndpoint fs = FeatureStoreEndpoint.start()) {
                fs.recordWrites(false);
                fs.createFeatureGroup(FeatureGroupSpec.of("payments_v2", "card_id", "EventTime"));
                fs.faults().latency(Duration.ofMillis(10)).seed(42).throttle(throttle);
                online(fs, 64, quick ? 2000 : 6000, extra); // warm-up (JIT), not printed
                for (int inFlight : inFlights) {
                    int n = (int) Math.min(quick ? 3000 : 20000, Math.max(200, inFlight * (quick ? 20L : 60L)));
                    long[] retries = new long[1];
                    double secs = online(fs, inFlight, n, extra, retries);
                    System.out.printf(Locale.ROOT, "| %d | %d | %.2f | %.0f | %d |%n", inFlight, n, secs, n / secs, retries[0]);
                }
            }
        }
        if (!"online".equals(only)) {
            System.out.println("\n## Offline sink (S3Proxy in memory, SNAPPY, flush.size=20000" + (extra.isEmpty() ? "" : ", " + extra)
                    + (noise > 0 ? ", " + noise + " random bytes per record" : "") + ")\n");
            System.out.println("| records | Avro in (MB) | Parquet out (MB) | objects (multipart) | seconds | records/s | MB/s (Avro in) | MB/s (Parquet out) |");
            System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            try (S3Endpoint s3 = S3Endpoint.transientStore(); S3Client client = S3Testing.client(s3)) {
                client.createBucket(b -> b.bucket("bench"));
                int n = records > 0 ? records : quick ? 100_000 : 400_000;
                S3BenchDriver.run(s3, Math.min(n, 20_000), false, extra, noise); // warm-up
                S3BenchDriver.Result r = S3BenchDriver.run(s3, n, true, extra, noise);
                System.out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %d (%d) | %.2f | %.0f | %.1f | %.1f |%n", n, r.inBytes() / 1e6,
                        r.outBytes() / 1e6, r.objects(), r.multipartObjects(), r.seconds(), n / r.seconds(),
                        r.inBytes() / 1e6 / r.seconds(), r.outBytes() / 1e6 / r.seconds());
            }
        }
    }

    static double online(FeatureStoreEndpoint fs, int inFlight, int n, Map<String, String> extra) {
        return online(fs, inFlight, n, extra, new long[1]);
    }

    static double online(FeatureStoreEndpoint fs, int inFlight, int n, Map<String, String> extra, long[] retries) {
        Map<String, String> c = new HashMap<>();
        c.put("splice.definitions.yaml", TestData.DEFINITIONS);
        c.put("schema.registry.url", TestData.REGISTRY_URL);
        c.put("aws.region", "us-east-1");
        c.put("aws.access.key.id", "local");
        c.put("aws.secret.access.key", "local");
        c.put("aws.endpoint.override", fs.endpoint().toString());
        c.put("featurestore.control.endpoint.override", fs.endpoint().toString());
        c.put("featurestore.max.in.flight", Integer.toString(inFlight));
        c.putAll(extra);
        List<SinkRecord> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            records.add(TestData.sinkRecord(TOPIC, 0, i, DAY1, "r" + i,
                    TestData.payment("r" + i, "c" + (i % 5000), DAY1 + i, 1, i, i * 0.5)));
        }
        FeatureStoreSinkTask task = new FeatureStoreSinkTask();
        task.initialize(new FakeContext(true));
        task.start(c);
        try {
            long start = System.nanoTime();
            for (int i = 0; i < n; i += 500) {
                task.put(records.subList(i, Math.min(n, i + 500)));
            }
            if (!task.awaitIdle(600_000)) {
                throw new IllegalStateException("online sink did not finish");
            }
            double secs = (System.nanoTime() - start) / 1e9;
            retries[0] = task.stats().retries.get();
            long committed = task.preCommit(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(n)))
                    .get(new TopicPartition(TOPIC, 0)).offset();
            if (committed != n || task.stats().puts.get() != n) {
                throw new IllegalStateException("online sink lost records: " + task.stats());
            }
            return secs;
        } finally {
            task.stop();
        }
    }
}
