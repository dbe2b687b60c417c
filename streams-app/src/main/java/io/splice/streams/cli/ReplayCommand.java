package io.splice.streams.cli;

import io.splice.core.cli.ConfigFiles;
import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.core.api.Topics;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.replay.Replayer;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Copy the fetch logs whose timestamps fall in [--start, --end) from a retained topic (or a JSONL file) "
                + "into the replay topic, to recover stitched rows after a serving or pipeline outage.")
final class ReplayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--bootstrap-servers", paramLabel = "HOSTS", description = "Kafka brokers (or bootstrap.servers in --config).")
    String bootstrapServers;
    @Option(names = "--schema-registry", paramLabel = "URL", description = "Registry URL (needed for --join and --from-file).")
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
    public Integer call() throws Exception {
        var err = spec.commandLine().getErr();
        Map<String, Object> props = ConfigFiles.read(configFile);
        if (bootstrapServers != null) {
            props.put("bootstrap.servers", bootstrapServers);
        }
        if (schemaRegistry != null) {
            props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, schemaRegistry);
        }
        SpliceStreamsConfig config = new SpliceStreamsConfig(props);
        Topics topics = new Topics(config.topicPrefix());
        Instant s, e;
        try {
            s = parseInstant(start);
            e = parseInstant(end);
        } catch (DateTimeParseException ex) {
            err.println("error: --start/--end must be ISO instants or dates: " + ex.getParsedString());
            return 2;
        }
        String dest = to != null ? to : topics.fetchLogReplay();
        try {
            Replayer replayer = new Replayer(config.clientProperties(), SpliceSerdeConfig.client(config.serdeConfigs()), s, e, join, dryRun);
            Replayer.Counts c = fromFile != null ? replayer.fromFile(fromFile, dest)
                    : replayer.fromTopic(from != null ? from : topics.fetchLog(), dest);
            spec.commandLine().getOut().printf("read %d, matched %d, wrote %d%s%n", c.read(), c.matched(), c.written(),
                    dryRun ? " (dry run: nothing written to " + dest + ")" : " to " + dest);
            return 0;
        } catch (IllegalArgumentException ex) {
            err.println("error: " + ex.getMessage());
            return 1;
        } catch (KafkaException ex) {
            // e.g. a wrong password or a missing ACL: one clear line, not a stack trace (messages carry no secrets)
            err.println("error: Kafka refused the replay: " + ex.getClass().getSimpleName() + ": " + ex.getMessage());
            return 1;
        }
    }
}
