package io.splice.demo;

import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code splice stack}: the local system kept running for manual use, with a ready {@code app.properties} for
 * {@code splice run}, the definitions its sinks use, and the command lines that point the other tools at it.
 */
public final class StackSession implements AutoCloseable {
    private final DemoStack stack;
    private final Path dir;
    private final Path definitionsFile;
    private final Path appProperties;
    private final boolean ownDir;

    private StackSession(DemoStack stack, Path dir, Path definitionsFile, Path appProperties, boolean ownDir) {
        this.stack = stack;
        this.dir = dir;
        this.definitionsFile = definitionsFile;
        this.appProperties = appProperties;
        this.ownDir = ownDir;
    }

    /**
     * Starts the stack for {@code definitions} (null: the demo's own join) and writes {@code joins.yaml} (when
     * bundled) and {@code app.properties} into {@code dir} (null: a temporary directory removed by {@link #close()}).
     */
    public static StackSession start(Path definitions, Path dir, int partitions, Progress progress) throws IOException {
        return start(definitions, dir, partitions, 1, progress);
    }

    /**
     * As above with {@code brokers} Kafka brokers: more than 1 starts a {@link io.splice.local.LocalCluster} of node
     * processes, topics get RF min(3, brokers) and {@code app.properties} says so.
     */
    public static StackSession start(Path definitions, Path dir, int partitions, int brokers, Progress progress) throws IOException {
        return start(definitions, dir, partitions, brokers, 0, progress);
    }

    /**
     * As above with {@code connectWorkers} distributed Connect worker processes (0: one standalone worker in this JVM);
     * {@link #command(String)} can kill and restart them.
     */
    public static StackSession start(Path definitions, Path dir, int partitions, int brokers, int connectWorkers,
                                     Progress progress) throws IOException {
        boolean own = dir == null;
        Path d = own ? Files.createTempDirectory("splice-stack-") : Files.createDirectories(dir);
        try {
            Path defs = definitions;
            if (defs == null) {
                defs = d.resolve("joins.yaml");
                try (InputStream in = StackSession.class.getResourceAsStream(Demo.DEFINITIONS_RESOURCE)) {
                    Files.copy(in, defs, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            defs = defs.toAbsolutePath();
            Definitions parsed = DefinitionsLoader.load(defs, Topics.defaults());
            DemoStack stack = DemoStack.start(parsed, defs, Topics.defaults(), partitions, brokers, connectWorkers, progress);
            Path props = d.resolve("app.properties");
            StackSession s = new StackSession(stack, d, defs, props, own);
            Files.writeString(props, s.appProperties());
            return s;
        } catch (IOException | RuntimeException e) {
            if (own) {
                Demo.deleteRecursively(d);
            }
            throw e;
        }
    }

    public DemoStack stack() {
        return stack;
    }

    public Path appPropertiesFile() {
        return appProperties;
    }

    public Path definitionsFile() {
        return definitionsFile;
    }

    /** The settings {@code splice run --config} needs for this stack. */
    public String appProperties() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("bootstrap.servers", stack.bootstrapServers());
        m.put("schema.registry.url", stack.schemaRegistryUrl());
        m.put("application.id", "splice-stitcher");
        m.put("splice.topic.prefix", stack.topics().prefix());
        m.put("splice.topic.partitions", Integer.toString(stack.partitions()));
        m.put("splice.topic.replication.factor", Short.toString(stack.replicationFactor()));
        m.put("splice.metrics.port", "9464");
        m.put("state.dir", dir.resolve("streams-state").toString());
        return "# splice run --config for the local stack of `splice stack` (stops with it)\n"
                + m.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n")) + "\n";
    }

    /** What to print: endpoints, the app.properties, and ready command lines. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        Definitions defs = stack.definitions();
        JoinDefinition j = defs.joins().get(0);
        b.append("Splice local stack is running. Ctrl-C (or SIGTERM) stops everything.\n\n");
        Map<String, String> e = stack.endpoints();
        String groups = defs.joins().stream().map(JoinDefinition::featureGroupName).collect(Collectors.joining(", "));
        b.append(String.format(Locale.ROOT, "  %-24s %s%n", "Kafka bootstrap servers", e.get("kafka.bootstrap.servers")));
        stack.cluster().ifPresent(c -> {
            b.append(String.format(Locale.ROOT, "  %-24s %d broker+controller processes, RF %d, min ISR %d; data and logs in %s%n",
                    "Kafka cluster", c.nodeIds().size(), c.replicationFactor(), c.minInsyncReplicas(), c.directory()));
            for (int id : c.nodeIds()) {
                b.append(String.format(Locale.ROOT, "  %-24s %s  pid %s%n", "  node " + id,
                        c.bootstrapServers(id), c.process(id).map(p -> Long.toString(p.pid())).orElse("-")));
            }
            b.append(String.format(Locale.ROOT, "  %-24s type `kill N` (SIGKILL), `stop N` (SIGTERM), `restart N` or `status`, then Enter%n", ""));
        });
        b.append(String.format(Locale.ROOT, "  %-24s %s%n", "Schema registry", e.get("schema.registry.url")));
        b.append(String.format(Locale.ROOT, "  %-24s %s  (path-style, any credentials; buckets %s)%n", "S3 endpoint",
                e.get("s3.endpoint"), String.join(", ", stack.buckets())));
        b.append(String.format(Locale.ROOT, "  %-24s %s  (feature groups %s)%n", "Feature Store endpoint", e.get("featurestore.endpoint"), groups));
        b.append(String.format(Locale.ROOT, "  %-24s %s  (connectors %s, %s on %s)%n", "Kafka Connect REST",
                e.get("connect.rest.url"), DemoStack.S3_CONNECTOR, DemoStack.FS_CONNECTOR,
                defs.joins().stream().map(stack.topics()::stitched).collect(Collectors.joining(", "))));
        stack.distributedConnect().ifPresent(dc -> {
            b.append(String.format(Locale.ROOT, "  %-24s %d distributed workers (group %s), internal topics RF %d%n",
                    "Connect workers", dc.workerIds().size(), "splice-connect", stack.replicationFactor()));
            for (int id : dc.workerIds()) {
                b.append(String.format(Locale.ROOT, "  %-24s %s  pid %s, log %s%n", "  worker " + id, dc.restUrl(id),
                        dc.process(id).map(p -> Long.toString(p.pid())).orElse("-"), dc.logFile(id)));
            }
            b.append(String.format(Locale.ROOT, "  %-24s type `connect kill N`, `connect stop N`, `connect restart N` or `status`, then Enter%n", ""));
        });
        b.append(String.format(Locale.ROOT, "  %-24s %s%n", "Definitions", definitionsFile));
        b.append("\n").append(appProperties.toString()).append(":\n");
        appProperties().lines().filter(l -> !l.startsWith("#")).forEach(l -> b.append("  ").append(l).append('\n'));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        b.append("\nStitching app:\n  ./splice run --definitions ").append(definitionsFile).append(" --config ").append(appProperties).append('\n');
        b.append("\nBackfill, published to the stack (input tables: JSON lines or Parquet partitioned by ds=YYYY-MM-DD):\n");
        b.append("  ./splice backfill --definitions ").append(definitionsFile).append(" --join ").append(j.name())
                .append(" --version ").append(j.version()).append(" --start-date ").append(today.minusDays(3))
                .append(" --end-date ").append(today.minusDays(1)).append(" --left data/").append(j.name()).append("_rows")
                .append(j.parts().stream().filter(p -> !p.external()).map(p -> " --input " + p.source() + "=data/" + p.source())
                        .distinct().collect(Collectors.joining()))
                .append(" --output out/backfill --publish --bootstrap-servers ").append(stack.bootstrapServers())
                .append(" --schema-registry ").append(stack.schemaRegistryUrl()).append('\n');
        b.append("\nConnectors:\n  curl -s ").append(e.get("connect.rest.url")).append("connectors?expand=status\n");
        b.append("\nCoverage report (from the stitched topic, or from the offline table in S3):\n");
        b.append("  ./splice report --definitions ").append(definitionsFile).append(" --join ").append(j.name())
                .append(" --version ").append(j.version()).append(" --bootstrap-servers ").append(stack.bootstrapServers())
                .append(" --schema-registry ").append(stack.schemaRegistryUrl()).append(" --out report.html\n");
        if (j.offline() != null && j.offline().s3Prefix() != null) {
            b.append("  ./splice report --input ").append(j.offline().s3Prefix()).append('/').append(j.name()).append('_')
                    .append(j.version()).append("/ --s3-endpoint ").append(e.get("s3.endpoint")).append(" --out report.html\n");
        }
        return b.toString();
    }

    /**
     * A broker command typed into {@code splice stack --brokers N}: {@code kill N}, {@code stop N}, {@code restart N},
     * {@code status}. Returns what to print.
     */
    public String command(String line) {
        String[] words = line.trim().split("\\s+");
        if (words[0].equals("connect")) {
            return connectCommand(words);
        }
        var cluster = stack.cluster();
        if (cluster.isEmpty()) {
            return "one in-JVM broker: start with --brokers 3 to kill and restart brokers";
        }
        var c = cluster.get();
        try {
            switch (words[0]) {
                case "status" -> {
                    StringBuilder b = new StringBuilder();
                    for (int id : c.nodeIds()) {
                        b.append(String.format(Locale.ROOT, "node %d %s %s%n", id, c.bootstrapServers(id),
                                c.process(id).map(p -> "running, pid " + p.pid()).orElse("down")));
                    }
                    stack.distributedConnect().ifPresent(dc -> dc.workerIds().forEach(id -> b.append(String.format(Locale.ROOT,
                            "connect worker %d %s %s%n", id, dc.restUrl(id), dc.process(id).map(p -> "running, pid " + p.pid()).orElse("down")))));
                    return b.toString().stripTrailing();
                }
                case "kill", "stop", "restart" -> {
                    if (words.length != 2) {
                        return "usage: " + words[0] + " N (N one of " + c.nodeIds() + ")";
                    }
                    int id = Integer.parseInt(words[1]);
                    if (!c.nodeIds().contains(id)) {
                        return "no node " + id + " (nodes " + c.nodeIds() + ")";
                    }
                    long t0 = System.nanoTime();
                    switch (words[0]) {
                        case "kill" -> c.kill(id);
                        case "stop" -> c.stop(id);
                        default -> c.restart(id);
                    }
                    return String.format(Locale.ROOT, "node %d: %s (%d ms)", id,
                            words[0].equals("restart") ? "back in the cluster" : "down", (System.nanoTime() - t0) / 1_000_000);
                }
                case "" -> {
                    return "";
                }
                default -> {
                    return "commands: kill N, stop N, restart N, status; connect kill|stop|restart N";
                }
            }
        } catch (NumberFormatException e) {
            return "not a node id: " + words[1];
        } catch (RuntimeException e) {
            return "failed: " + e.getMessage();
        }
    }

    /** {@code connect kill|stop|restart N}: a fault of distributed Connect worker N (its tasks move to the others). */
    private String connectCommand(String[] words) {
        var distributed = stack.distributedConnect();
        if (distributed.isEmpty()) {
            return "one in-JVM Connect worker: start with --connect-workers 2 to kill and restart workers";
        }
        var dc = distributed.get();
        if (words.length != 3 || !List.of("kill", "stop", "restart").contains(words[1])) {
            return "usage: connect kill|stop|restart N (N one of " + dc.workerIds() + ")";
        }
        try {
            int id = Integer.parseInt(words[2]);
            if (!dc.workerIds().contains(id)) {
                return "no Connect worker " + id + " (workers " + dc.workerIds() + ")";
            }
            long t0 = System.nanoTime();
            switch (words[1]) {
                case "kill" -> dc.kill(id);
                case "stop" -> dc.stop(id);
                default -> dc.restart(id);
            }
            return String.format(Locale.ROOT, "connect worker %d: %s (%d ms)", id,
                    words[1].equals("restart") ? "healthy again" : "down", (System.nanoTime() - t0) / 1_000_000);
        } catch (NumberFormatException e) {
            return "not a worker id: " + words[2];
        } catch (RuntimeException e) {
            return "failed: " + e.getMessage();
        }
    }

    @Override
    public void close() {
        try {
            stack.close();
        } finally {
            if (ownDir) {
                Demo.deleteRecursively(dir);
            }
        }
    }
}
