package io.splice.streams.runtime;

import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.cli.SpliceCli;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12 item 3: a failure that recurs on every replaced stream thread ends, after a bounded number of backed-off
 * replacements, in a non-zero exit; {@code /health/ready} answers 200 only while RUNNING.
 */
@ExtendWith(SpliceStackExtension.class)
class StreamThreadFailureTest {
    static final String YAML = """
            joins:
              - name: payments
                version: v1
                row_ids: [request_id]
                keys: [card_id]
                bootstrap_from_log: true
                parts:
                  - name: risk_ext
                    external: true
                    features:
                      - {name: risk, type: double}
            """;

    @Test
    void aDeterministicFailureEndsInANonZeroExitAfterBoundedBackedOffReplacements(StackEndpoints stack, @TempDir Path tmp) throws Exception {
        // Given a fetch log that fails its stream thread every time it is read, and at most 2 replacements a minute
        PoisonTimestampExtractor.FAILURES.clear();
        String prefix = "tf" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        Map<String, Object> props = appProps(stack, prefix, tmp);
        props.put("default.timestamp.extractor", PoisonTimestampExtractor.class.getName());
        props.put("splice.thread.replacements.max", 2);
        props.put("splice.thread.replacements.window.ms", 60_000);
        props.put("splice.thread.replacement.backoff.ms", 300);
        Path config = writeConfig(tmp.resolve("app.properties"), props);
        Path definitions = Files.writeString(tmp.resolve("joins.yaml"), YAML);
        createTopics(props);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(new Topics(prefix).fetchLog(), PoisonTimestampExtractor.POISON, new byte[]{0})).get();
        }

        // When splice run starts
        StringWriter out = new StringWriter();
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> exit = runner.submit(() -> {
                PrintWriter pw = new PrintWriter(out, true);
                return new CommandLine(new SpliceCli()).setOut(pw).setErr(pw)
                        .execute("run", "--definitions", definitions.toString(), "--config", config.toString());
            });

            // Then it exits 1 after the first failure and two replacements, each after a longer wait (a replaced
            // thread rethrows its exception, which is no failure of this test)
            await("splice run exits").dontCatchUncaughtExceptions().atMost(Duration.ofMinutes(2)).until(exit::isDone);
            assertEquals(1, exit.get(), out.toString());
            List<Long> failures = PoisonTimestampExtractor.FAILURES;
            assertEquals(3, failures.size(), "the first failure and two replacements, then no more: " + out);
            assertTrue(failures.get(1) - failures.get(0) >= 300_000_000L, "backoff before the first replacement");
            assertTrue(failures.get(2) - failures.get(1) >= 600_000_000L, "doubled backoff before the second");
            // with one line that says why
            List<String> errors = out.toString().lines().filter(l -> l.startsWith("error: ")).toList();
            System.out.println(out);
            assertEquals(1, errors.size(), out.toString());
            assertTrue(errors.get(0).contains("poison record") && errors.get(0).contains("splice.thread.replacements.max"),
                    errors.get(0));
            assertFalse(out.toString().contains("\tat "), "no stack trace: " + out);
        } finally {
            runner.shutdownNow();
        }
    }

    @Test
    void readyOnlyWhileRunningAndLiveUntilStopped(StackEndpoints stack, @TempDir Path tmp) throws Exception {
        // Given the app, with every state it goes through probed on /health/ready, /health/live and /health
        String prefix = "th" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        Map<String, Object> props = appProps(stack, prefix, tmp);
        Definitions defs = DefinitionsLoader.parse(YAML, "joins.yaml", new Topics(prefix));
        SpliceStreamsConfig config = new SpliceStreamsConfig(props);
        HttpClient http = HttpClient.newHttpClient();
        AtomicReference<SpliceRuntime> app = new AtomicReference<>();
        List<String> probes = new CopyOnWriteArrayList<>();
        SpliceRuntime runtime = new SpliceRuntime(defs, config).onStateChange((now, before) -> {
            if (now == KafkaStreams.State.REBALANCING || now == KafkaStreams.State.RUNNING || now == KafkaStreams.State.PENDING_SHUTDOWN) {
                int port = app.get().metricsPort();
                probes.add(now + " ready=" + get(http, port, "/health/ready") + " live=" + get(http, port, "/health/live")
                        + " health=" + get(http, port, "/health"));
            }
        });
        app.set(runtime);

        // When it starts, runs and stops
        try (SpliceRuntime r = runtime.start()) {
            await("running").atMost(Duration.ofMinutes(1)).until(() -> probes.stream().anyMatch(p -> p.startsWith("RUNNING")));
        }

        // Then it is ready only while RUNNING, and live (as /health) while starting, rebalancing or running
        assertTrue(probes.contains("REBALANCING ready=503 live=200 health=200"), probes.toString());
        assertTrue(probes.contains("RUNNING ready=200 live=200 health=200"), probes.toString());
        assertTrue(probes.contains("PENDING_SHUTDOWN ready=503 live=503 health=503"), probes.toString());
    }

    static int get(HttpClient http, int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    static Map<String, Object> appProps(StackEndpoints stack, String prefix, Path tmp) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", stack.bootstrapServers());
        props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        props.put("application.id", prefix + "-app");
        props.put(SpliceStreamsConfig.TOPIC_PREFIX, prefix);
        props.put(SpliceStreamsConfig.TOPIC_PARTITIONS, 1);
        props.put(SpliceStreamsConfig.TOPIC_REPLICATION, 1);
        props.put(SpliceStreamsConfig.METRICS_PORT, 0);
        props.put("num.stream.threads", 1);
        props.put("commit.interval.ms", 100);
        props.put("session.timeout.ms", 6000);
        props.put("heartbeat.interval.ms", 1500);
        props.put("state.dir", Files.createTempDirectory(tmp, "state").toAbsolutePath().toString());
        return props;
    }

    static void createTopics(Map<String, Object> props) throws Exception {
        SpliceStreamsConfig config = new SpliceStreamsConfig(props);
        Definitions defs = DefinitionsLoader.parse(YAML, "joins.yaml", new Topics(config.topicPrefix()));
        try (Admin admin = Admin.create(config.clientProperties())) {
            TopicSetup.ensure(admin, defs, config);
        }
    }

    static Path writeConfig(Path file, Map<String, ?> props) throws Exception {
        Properties p = new Properties();
        props.forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
        try (var w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            p.store(w, null);
        }
        return file;
    }
}
