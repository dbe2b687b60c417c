package io.splice.streams.cli;

import io.splice.core.cli.ConfigFiles;
import io.splice.core.api.Definitions;
import io.splice.core.cli.DefinitionsCommand;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.SpliceRuntime;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the stitching app: reads the fetch logs, backfill and bootstrap topics of every join, applies "
                + "the merge rules and writes splice.stitched.<name>.<version> (exactly-once). Stops gracefully on SIGTERM.",
                "Config keys: see README (splice.* keys; every other key is passed to Kafka, incl. security.protocol, sasl.*, ssl.*)."})
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--definitions", required = true, paramLabel = "FILE", description = "joins.yaml")
    Path definitions;
    @Option(names = "--config", paramLabel = "FILE", description = "app.properties (Kafka, registry and splice.* settings).")
    Path configFile;

    @Override
    public Integer call() throws Exception {
        var err = spec.commandLine().getErr();
        Map<String, Object> props = ConfigFiles.read(configFile);
        SpliceStreamsConfig config;
        try {
            config = new SpliceStreamsConfig(props);
        } catch (ConfigException e) {
            err.println("error: bad config " + (configFile == null ? "" : configFile + ": ") + e.getMessage());
            return 1;
        }
        Definitions defs = DefinitionsCommand.loadOrReport(definitions, config.topicPrefix(), err);
        if (defs == null) {
            return 1;
        }
        SpliceRuntime runtime = new SpliceRuntime(defs, config);
        Thread hook = new Thread(runtime::close, "splice-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            runtime.start();
        } catch (Exception e) {
            err.println("error: cannot start: " + e.getMessage());
            runtime.close();
            return 1;
        }
        err.printf("splice run: stitching %d join(s); metrics and /health on port %d; Ctrl-C or SIGTERM stops%n",
                defs.joins().size(), runtime.metricsPort());
        runtime.awaitStop();
        return 0;
    }
}
