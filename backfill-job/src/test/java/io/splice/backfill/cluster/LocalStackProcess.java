package io.splice.backfill.cluster;

import io.splice.avro.FeatureRow;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.testing.Kafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The {@code local} module's stack (Kafka 4.1, the schema registry, an S3 endpoint over a directory) as a child
 * process: Kafka 4.1 cannot share a class path with Spark, so it runs as {@code io.splice.local.LocalStack --s3 DIR}
 * from {@code local/target/classes} and {@code local/target/classpath.txt} (written by local's package phase), under
 * the spark-dist {@link Watchdog} so that it ends with this JVM however this JVM ends. The tests read topics back with
 * the kafka-clients 3.9 consumer and Splice's own Avro decoding.
 */
final class LocalStackProcess implements AutoCloseable {
    private static final Path LOCAL_TARGET = Path.of(System.getProperty("splice.local.target", "../local/target")).toAbsolutePath();

    private final Process process;
    private final Map<String, String> endpoints;

    private LocalStackProcess(Process process, Map<String, String> endpoints) {
        this.process = process;
        this.endpoints = endpoints;
    }

    /** Starts the stack with its S3 buckets under {@code s3Root}, its output in {@code log}; returns once it printed its endpoints. */
    static LocalStackProcess start(Path sparkHome, Path s3Root, Path log, Duration timeout) throws Exception {
        Path classpath = LOCAL_TARGET.resolve("classpath.txt");
        if (!Files.isRegularFile(classpath)) {
            throw new IllegalStateException(classpath + " is missing: build local with package (mvn -pl backfill-job -am verify does)");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = sparkHome.resolve("lib/splice-watchdog.jar") + ":" + LOCAL_TARGET.resolve("classes") + ":"
                + Files.readString(classpath).trim();
        List<String> cmd = List.of(java, "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dsplice.registry.jar=" + LOCAL_TARGET.resolve("registry/apicurio-registry.jar"), "-cp", cp,
                Watchdog.class.getName(), String.valueOf(ProcessHandle.current().pid()),
                "io.splice.local.LocalStack", "--s3", s3Root.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        List<String> keys = List.of("kafka.bootstrap.servers", "schema.registry.url", "s3.endpoint");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Map<String, String> found = new HashMap<>();
            for (String line : Files.readAllLines(log)) {
                int eq = line.indexOf('=');
                if (eq > 0 && keys.contains(line.substring(0, eq))) {
                    found.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            if (found.keySet().containsAll(keys)) {
                return new LocalStackProcess(p, found);
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("the local stack exited (" + p.exitValue() + "): see " + log);
            }
            Thread.sleep(200);
        }
        p.destroyForcibly();
        throw new IllegalStateException("the local stack printed no endpoints within " + timeout + ": see " + log);
    }

    String bootstrapServers() {
        return endpoints.get("kafka.bootstrap.servers");
    }

    String registryUrl() {
        return endpoints.get("schema.registry.url");
    }

    String s3Endpoint() {
        return endpoints.get("s3.endpoint");
    }

    /** Every record of {@code topic}, from the beginning to the end offsets of its partitions now. */
    List<ConsumerRecord<String, byte[]>> records(String topic) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = Kafka.consumer(bootstrapServers())) {
            c.assign(c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList());
            c.seekToBeginning(c.assignment());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Kafka.caughtUp(c)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within 60 s");
                }
                c.poll(Duration.ofMillis(500)).forEach(out::add);
            }
        }
        return out;
    }

    /** The compacted view of a topic of FeatureRows: the latest record per row key, decoded, keyed by row key. */
    Map<String, FeatureRow> latestFeatureRows(String topic) {
        SpliceAvroDeserializer<FeatureRow> de = SpliceAvroDeserializer.of(
                SpliceSerdeConfig.client(Map.of(SpliceSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl())), FeatureRow.class);
        Map<String, FeatureRow> out = new TreeMap<>();
        Kafka.latestByKey(records(topic)).forEach((key, value) -> {
            FeatureRow row = de.deserialize(topic, value);
            if (!key.equals(row.getRowKey())) {
                throw new AssertionError("record key " + key + " is not the row key " + row.getRowKey());
            }
            out.put(key, row);
        });
        return out;
    }

    /** The command-line arguments that publish to this stack under {@code prefix} (topic {@code <prefix>.backfill.payments.v2}). */
    List<String> publishArgs(String prefix) {
        return new ArrayList<>(List.of("--publish", "--bootstrap-servers", bootstrapServers(),
                "--schema-registry", registryUrl(), "--topic-prefix", prefix, "--partitions", "2"));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: the stack's shutdown hook stops the registry child and the broker
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
