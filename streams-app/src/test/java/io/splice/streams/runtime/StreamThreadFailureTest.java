package io.splice.streams.runtime;

import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.TestApp;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.cli.SpliceCli;
import io.splice.testing.Http;
import io.splice.testing.Joins;
import io.splice.testing.Kafka;
import io.splice.testing.PropertiesFile;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
    static final String YAML = Joins.payments("v1").parts(Joins.RISK_EXT).yaml();

    @Test
    void aDeterministicFailureEndsInANonZeroExitAfterBoundedBackedOffReplacements(StackEndpoints stack, @TempDir Path tmp) throws Exception {
        // Given a fetch log that fails its stream thread every time it is read, and at most 2 replacements a minute
        PoisonTimestampExtractor.FAILURES.clear();
        String prefix = Kafka.uniquePrefix("tf");
        Map<String, Object> props = appProps(stack, prefix, tmp);
        props.put("default.timestamp.extractor", PoisonTimestampExtractor.class.getName());
        props.put("splice.thread.replacements.max", 2);
        props.put("splice.thread.replacements.window.ms", 60_000);
        props.put("splice.thread.replacement.backoff.ms", 300);
        Path config = PropertiesFile.write(tmp.resolve("app.properties"), props);
        Path definitions = Files.writeString(tmp.resolve("joins.yaml"), YAML);
        TestApp.createTopics(DefinitionsLoader.parse(YAML, "joins.yaml", new Topics(prefix)), props);
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
        String prefix = Kafka.uniquePrefix("th");
        Map<String, Object> props = appProps(stack, prefix, tmp);
        Definitions defs = DefinitionsLoader.parse(YAML, "joins.yaml", new Topics(prefix));
        SpliceStreamsConfig config = new SpliceStreamsConfig(props);
        AtomicReference<SpliceRuntime> app = new AtomicReference<>();
        List<String> probes = new CopyOnWriteArrayList<>();
        SpliceRuntime runtime = new SpliceRuntime(defs, config).onStateChange((now, before) -> {
            if (now == KafkaStreams.State.REBALANCING || now == KafkaStreams.State.RUNNING || now == KafkaStreams.State.PENDING_SHUTDOWN) {
                int port = app.get().metricsPort();
                probes.add(now + " ready=" + Http.status(port, "/health/ready") + " live=" + Http.status(port, "/health/live")
                        + " health=" + Http.status(port, "/health"));
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

    /** {@link TestApp#props} with one stream thread and state under {@code tmp}. */
    static Map<String, Object> appProps(StackEndpoints stack, String prefix, Path tmp) throws Exception {
        Map<String, Object> props = TestApp.props(stack.bootstrapServers(), stack.schemaRegistryUrl(), prefix, 1,
                Files.createTempDirectory(tmp, "state"));
        props.put("num.stream.threads", 1);
        return props;
    }
}
