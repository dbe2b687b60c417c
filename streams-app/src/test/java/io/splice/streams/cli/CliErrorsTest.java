package io.splice.streams.cli;

import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.testing.JoinYaml;
import io.splice.testing.Joins;
import io.splice.testing.Kafka;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12 item 14: every streams command answers bad input, and a Kafka or registry it cannot reach, with one line
 * that names the file, key or server and says what to do: no stack trace, no minute-long wait.
 */
@ExtendWith(SpliceStackExtension.class)
class CliErrorsTest {
    static final String YAML = JoinYaml.join("payments", "v1").rowIds("request_id").keys("card_id").parts(Joins.RISK_EXT).yaml();

    @Test
    void runWithAMissingConfigFileSaysSoInOneLine(@TempDir Path tmp) throws Exception {
        Path defs = Files.writeString(tmp.resolve("joins.yaml"), YAML);
        Path missing = tmp.resolve("missing.properties");

        Result r = cli("run", "--definitions", defs.toString(), "--config", missing.toString());

        r.assertOneErrorLine(1, missing.toString(), "--config");
    }

    @Test
    void replayWithAMissingFileSaysSoInOneLine(@TempDir Path tmp) {
        Path missing = tmp.resolve("missing.jsonl");

        Result r = cli("replay", "--from-file", missing.toString(), "--start", "2025-10-01", "--end", "2025-10-02", "--dry-run");

        r.assertOneErrorLine(1, missing.toString(), "--from-file");
    }

    @Test
    void replayOfAFileWithABadLineNamesTheLine(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("logs.jsonl"), "{\"join\": \"payments\"\nnot json\n");

        Result r = cli("replay", "--schema-registry", "mock://cli-errors", "--from-file", file.toString(),
                "--start", "2025-10-01", "--end", "2025-10-02", "--dry-run");

        r.assertOneErrorLine(1, file + " line 1");
    }

    @Test
    void replayWithABadConfigValueNamesTheKey(@TempDir Path tmp) throws Exception {
        Path config = Files.writeString(tmp.resolve("replay.properties"), "splice.topic.partitions=many\n");

        Result r = cli("replay", "--config", config.toString(), "--start", "2025-10-01", "--end", "2025-10-02", "--dry-run");

        r.assertOneErrorLine(1, config.toString(), "splice.topic.partitions");
    }

    @Test
    void runNamesTheKafkaItCannotReachWithinSeconds(@TempDir Path tmp) throws Exception {
        // Given no broker at bootstrap.servers
        String kafka = "127.0.0.1:" + closedPort();
        Path defs = Files.writeString(tmp.resolve("joins.yaml"), YAML);
        Path config = Files.writeString(tmp.resolve("app.properties"), "bootstrap.servers=" + kafka + "\n"
                + "schema.registry.url=mock://cli-errors\nsplice.metrics.port=0\nstate.dir=" + tmp.resolve("state") + "\n");

        // When splice run starts, Then it says within seconds which Kafka it could not reach
        Result r = cliWithin(Duration.ofSeconds(25), "run", "--definitions", defs.toString(), "--config", config.toString());
        r.assertOneErrorLine(1, kafka, "bootstrap.servers");
    }

    @Test
    void runNamesTheRegistryItCannotReach(StackEndpoints stack, @TempDir Path tmp) throws Exception {
        // Given a reachable Kafka but no registry at schema.registry.url
        String registry = "http://127.0.0.1:" + closedPort();
        String prefix = Kafka.uniquePrefix("ce");
        Path defs = Files.writeString(tmp.resolve("joins.yaml"), YAML);
        Path config = Files.writeString(tmp.resolve("app.properties"), "bootstrap.servers=" + stack.bootstrapServers() + "\n"
                + "schema.registry.url=" + registry + "\nsplice.metrics.port=0\nsplice.topic.prefix=" + prefix + "\n"
                + "application.id=" + prefix + "\nsplice.topic.replication.factor=1\nsplice.topic.partitions=1\n"
                + "state.dir=" + tmp.resolve("state") + "\n");

        // When splice run starts, Then it says which registry it could not reach, and starts nothing
        Result r = cliWithin(Duration.ofSeconds(25), "run", "--definitions", defs.toString(), "--config", config.toString());
        r.assertOneErrorLine(1, registry, "schema.registry.url");
    }

    @Test
    void replayNamesTheKafkaItCannotReachWithinSeconds() throws Exception {
        String kafka = "127.0.0.1:" + closedPort();

        Result r = cliWithin(Duration.ofSeconds(25), "replay", "--bootstrap-servers", kafka, "--schema-registry", "mock://cli-errors",
                "--start", "2025-10-01", "--end", "2025-10-02");

        r.assertOneErrorLine(1, kafka, "--bootstrap-servers");
    }

    record Result(int code, String output) {
        void assertOneErrorLine(int expectedCode, String... mentions) {
            List<String> lines = output.lines().toList();
            System.out.println("exit " + code + ": " + output.strip());
            assertEquals(expectedCode, code, output);
            assertEquals(1, lines.size(), "one line:\n" + output);
            assertTrue(lines.get(0).startsWith("error: "), output);
            for (String m : mentions) {
                assertTrue(lines.get(0).contains(m), "mentions " + m + ": " + output);
            }
            assertFalse(output.contains("\tat "), "no stack trace: " + output);
        }
    }

    static Result cli(String... args) {
        StringWriter out = new StringWriter();
        PrintWriter pw = new PrintWriter(out, true);
        int code = new CommandLine(new SpliceCli()).setOut(pw).setErr(pw).execute(args);
        return new Result(code, out.toString());
    }

    /** Runs the command on another thread and fails if it has not returned within {@code limit}. */
    static Result cliWithin(Duration limit, String... args) throws Exception {
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try {
            Future<Result> f = runner.submit(() -> cli(args));
            await().atMost(limit).until(f::isDone);
            return f.get();
        } finally {
            runner.shutdownNow();
        }
    }

    static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
