package io.splice.streams.cli;

import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.core.api.Topics;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.replay.Replayer;
import io.splice.streams.runtime.Errors;
import io.splice.streams.runtime.Preflight;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Copy the fetch logs served in [--start, --end) (by their ts, the time in the log) from a retained "
                + "topic (or a JSONL file) into the replay topic, to recover stitched rows after a serving or pipeline outage.",
                "Counts only what Kafka acknowledged; exits 1 with one line when any write fails. Running the same replay "
                        + "again changes nothing downstream."})
final class ReplayCommand implements Callable<Integer> {
    static final String KAFKA_SETTING = "--bootstrap-servers / bootstrap.servers";
    static final String REGISTRY_SETTING = "--schema-registry / schema.registry.url";

    @Spec
    CommandSpec spec;
    @Option(names = "--bootstrap-servers", paramLabel = "HOSTS", description = "Kafka brokers (or bootstrap.servers in --config).")
    String bootstrapServers;
    @Option(names = "--schema-registry", paramLabel = "URL",
            description = "Registry URL (or schema.registry.url in --config): logs are decoded to read their ts.")
    String schemaRegistry;
    @Option(names = "--config", paramLabel = "FILE", description = "Properties with Kafka client settings (security included).")
    Path configFile;
    @Option(names = "--from", paramLabel = "TOPIC", description = "Retained topic to copy from (default: <prefix>.fetch-log).")
    String from;
    @Option(names = "--from-file", paramLabel = "FILE", description = "JSONL file of logs to replay instead of a topic.")
    Path fromFile;
    @Option(names = "--to", paramLabel = "TOPIC", description = "Destination (default: <prefix>.fetch-log.replay).")
    String to;
    @Option(names = "--start", required = true, paramLabel = "ISO", description = "Start (inclusive): 2025-10-01T00:00:00Z or 2025-10-01.")
    String start;
    @Option(names = "--end", required = true, paramLabel = "ISO", description = "End (exclusive).")
    String end;
    @Option(names = "--join", paramLabel = "NAME", description = "Only logs of this join (name or name.version).")
    String join;
    @Option(names = "--lookback", paramLabel = "DURATION", defaultValue = "1h",
            description = "Topic mode: start reading at records produced this long before --start (Kafka time), so that a "
                    + "log produced before the time it carries (clock skew) is found (default: ${DEFAULT-VALUE}).")
    String lookback;
    @Option(names = "--dry-run", description = "Count what would be copied; write nothing.")
    boolean dryRun;

    static Instant parseInstant(String s) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
        }
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return replay(err);
        } catch (CliInputs.BadInput | IllegalArgumentException | Replayer.ReplayFailedException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (KafkaException e) {
            // e.g. a missing ACL: one clear line, not a stack trace (messages carry no secrets)
            err.println("error: Kafka refused the replay: " + Errors.oneLine(e));
            return 1;
        } catch (IOException e) {
            err.println("error: cannot read --from-file " + fromFile + ": " + Errors.oneLine(e));
            return 1;
        } catch (RuntimeException e) {
            // e.g. the registry stopped answering while logs were decoded
            err.println("error: replay failed: " + Errors.oneLine(e));
            return 1;
        }
    }

    private int replay(PrintWriter err) throws IOException {
        Map<String, Object> props = CliInputs.readConfig(configFile);
        if (bootstrapServers != null) {
            props.put("bootstrap.servers", bootstrapServers);
        }
        if (schemaRegistry != null) {
            props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, schemaRegistry);
        }
        SpliceStreamsConfig config = CliInputs.config(props, configFile);
        Topics topics = new Topics(config.topicPrefix());
        Instant s, e;
        try {
            s = parseInstant(start);
            e = parseInstant(end);
        } catch (DateTimeParseException ex) {
            err.println("error: --start/--end must be ISO instants or dates (2025-10-01T00:00:00Z, 2025-10-01): " + ex.getParsedString());
            return 2;
        }
        if (fromFile != null) {
            if (from != null) {
                throw new CliInputs.BadInput("--from and --from-file exclude each other: pass one");
            }
            CliInputs.requireReadable(fromFile, "--from-file", "a JSONL file of logs (one FetchLog as JSON a line)");
        }
        Duration back = CliInputs.duration(lookback, "--lookback");
        String dest = to != null ? to : topics.fetchLogReplay();
        // A dry run of a file needs neither Kafka nor the registry; anything else needs both (logs are decoded to read ts)
        boolean remote = fromFile == null || !dryRun;
        try {
            Preflight.check(remote ? config.clientProperties() : null, KAFKA_SETTING, remote ? config.serdeConfigs() : null,
                    REGISTRY_SETTING, Duration.ofMillis(config.startupTimeoutMs()));
        } catch (Preflight.Unreachable u) {
            u.problems().forEach(p -> err.println("error: " + p));
            return 1;
        }
        Replayer replayer = new Replayer(config.clientProperties(), SpliceSerdeConfig.client(config.serdeConfigs()), s, e, join,
                dryRun, back);
        String source = fromFile != null ? fromFile.toString() : from != null ? from : topics.fetchLog();
        Replayer.Counts c = fromFile != null ? replayer.fromFile(fromFile, dest) : replayer.fromTopic(source, dest);
        spec.commandLine().getOut().printf("read %d, matched %d, wrote %d%s%s%n", c.read(), c.matched(), c.written(),
                dryRun ? " (dry run: nothing written to " + dest + ")" : " to " + dest,
                c.undecodable() == 0 ? "" : "; skipped " + c.undecodable() + " records that are not logs (the app dead-letters them from "
                        + source + ")");
        return 0;
    }
}
