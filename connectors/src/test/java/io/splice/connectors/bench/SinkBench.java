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
        int zipfIds = 0;
        Map<String, String> extra = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--only" -> only = args[++i];
                case "--throttle" -> throttle = Double.parseDouble(args[++i]);
                case "--noise" -> noise = Integer.parseInt(args[++i]);
                case "--records" -> records = Integer.parseInt(args[++i]);
                case "--upload-mb" -> uploadMb = java.util.Arrays.stream(args[++i].split(",")).mapToDouble(Double::parseDouble).toArray();
                case "--zipf" -> zipfIds = Integer.parseInt(args[++i]);
                case "--in-flight" -> inFlights = java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--set" -> {
                    String kv = args[++i];
                    extra.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--quick, --only online|offline, "
                        + "--in-flight 1,8,64, --zipf IDS, --throttle SHARE, --noise BYTES, --records N, --set key=value)");
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
        if (zipfIds > 0) {
            int n = records > 0 ? records : 200_000;
            System.out.printf(Locale.ROOT, "## Online sink, Zipf(1.0) stream over %,d identifiers (10 ms injected latency per call, "
                    + "batches of 500%s)%n%n", zipfIds, extra.isEmpty() ? "" : ", " + extra);
            System.out.println("| max.in.flight | records | seconds | records/s absorbed | puts | puts/record | puts/s | client CPU µs/put | endpoint CPU µs/call |");
            System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            try (FeatureStoreEndpoint fs = FeatureStoreEndpoint.start()) {
                fs.recordWrites(false);
                fs.createFeatureGroup(FeatureGroupSpec.of("payments_v2", "card_id", "EventTime"));
                fs.faults().latency(Duration.ofMillis(10)).seed(42).throttle(throttle);
                List<SinkRecord> warm = zipfRecords(Math.min(n, 40_000), zipfIds, 1);
                online(fs, 256, warm, extra, new long[1], new long[3]); // warm-up (JIT), not printed
                List<SinkRecord> stream = zipfRecords(n, zipfIds, 42);
                for (int inFlight : inFlights) {
                    long[] counts = new long[3];
                    double secs = online(fs, inFlight, stream, extra, new long[1], counts);
                    System.out.printf(Locale.ROOT, "| %d | %d | %.2f | %.0f | %d | %.3f | %.0f | %.1f | %.1f |%n", inFlight, n, secs,
                            n / secs, counts[0], (double) counts[0] / n, counts[0] / secs, counts[1] / 1e3 / Math.max(1, counts[0]),
                            counts[2] / 1e3 / Math.max(1, counts[0]));
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

    /** A stitched stream whose record identifiers (cards) follow Zipf(1.0) over {@code ids}; rows are distinct. */
    static List<SinkRecord> zipfRecords(int n, int ids, long seed) {
        double[] cdf = new double[ids];
        double sum = 0;
        for (int k = 0; k < ids; k++) {
            sum += 1.0 / (k + 1);
            cdf[k] = sum;
        }
        java.util.Random rnd = new java.util.Random(seed);
        List<SinkRecord> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double u = rnd.nextDouble() * sum;
            int k = java.util.Arrays.binarySearch(cdf, u);
            int card = k >= 0 ? k : -k - 1;
            out.add(TestData.sinkRecord(TOPIC, 0, i, DAY1, "r" + i, TestData.payment("r" + i, "c" + card, DAY1 + i, 1, i, i * 0.5)));
        }
        return out;
    }

    /**
     * Puts {@code records} in batches of 500 and waits until all are acknowledged; {@code counts}: puts sent, CPU ns of
     * this JVM's other threads (the client) and of the endpoint's threads during the run.
     */
    static double online(FeatureStoreEndpoint fs, int inFlight, List<SinkRecord> records, Map<String, String> extra,
                         long[] retries, long[] counts) {
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
        int n = records.size();
        FeatureStoreSinkTask task = new FeatureStoreSinkTask();
        task.initialize(new FakeContext(true));
        task.start(c);
        try {
            Map<Long, long[]> before = threadCpu();
            long start = System.nanoTime();
            for (int i = 0; i < n; i += 500) {
                task.put(records.subList(i, Math.min(n, i + 500)));
            }
            if (!task.awaitIdle(600_000)) {
                throw new IllegalStateException("online sink did not finish");
            }
            double secs = (System.nanoTime() - start) / 1e9;
            long[] cpu = cpuSince(before);
            retries[0] = task.stats().retries.get();
            long committed = task.preCommit(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(n)))
                    .get(new TopicPartition(TOPIC, 0)).offset();
            if (committed != n || task.stats().puts.get() + task.stats().coalesced.get() != n) {
                throw new IllegalStateException("online sink lost records: " + task.stats());
            }
            counts[0] = task.stats().puts.get();
            counts[1] = cpu[0];
            counts[2] = cpu[1];
            return secs;
        } finally {
            task.stop();
        }
    }

    /** CPU ns per live thread id, with 1 for the endpoint's threads (its handlers and the HTTP dispatcher), else 0. */
    private static Map<Long, long[]> threadCpu() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        Map<Long, long[]> out = new HashMap<>();
        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null) {
                boolean endpoint = t.getThreadName().startsWith("featurestore-endpoint-") || t.getThreadName().startsWith("HTTP-Dispatcher");
                out.put(t.getThreadId(), new long[]{mx.getThreadCpuTime(t.getThreadId()), endpoint ? 1 : 0});
            }
        }
        return out;
    }

    /** {client CPU ns, endpoint CPU ns} since {@code before} (threads that ended in between are not counted). */
    private static long[] cpuSince(Map<Long, long[]> before) {
        long[] out = new long[2];
        threadCpu().forEach((id, now) -> {
            long[] b = before.get(id);
            long d = now[0] - (b == null ? 0 : b[0]);
            out[(int) now[1]] += Math.max(0, d);
        });
        return out;
    }

    static double online(FeatureStoreEndpoint fs, int inFlight, int n, Map<String, String> extra, long[] retries) {
        List<SinkRecord> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            records.add(TestData.sinkRecord(TOPIC, 0, i, DAY1, "r" + i,
                    TestData.payment("r" + i, "c" + (i % 5000), DAY1 + i, 1, i, i * 0.5)));
        }
        return online(fs, inFlight, records, extra, retries, new long[3]);
    }
}
