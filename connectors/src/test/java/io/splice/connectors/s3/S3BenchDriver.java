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
            SinkRecord r = TestData.sinkRecord(TOPIC, 0, i, DAY1 + i, "r" + i,
                    TestData.payment("r" + i, "c" + (i % 5000), DAY1 + (i % 86_400) * 1000L, 1, i, i * 0.5));
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
            long committed = task.preCommit(Map.of(tp, new OffsetAndMetadata(n))).get(tp).offset();
            if (measure && committed != n) {
                throw new IllegalStateException("S3 sink committed " + committed + " of " + n);
            }
            return new Result(secs, in, task.stats().bytes, task.stats().objects, task.stats().multipartObjects);
        } finally {
            task.stop();
        }
    }
}
