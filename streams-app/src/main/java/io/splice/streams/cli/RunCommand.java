package io.splice.streams.cli;

import io.splice.core.api.Definitions;
import io.splice.core.cli.DefinitionsCommand;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.Errors;
import io.splice.streams.runtime.Preflight;
import io.splice.streams.runtime.SpliceRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the stitching app: reads the fetch logs, backfill and bootstrap topics of every join, applies "
                + "the merge rules and writes splice.stitched.<name>.<version> (exactly-once). Stops gracefully on SIGTERM.",
                "Config keys: docs/reference/app-config.md (splice.* keys; every other key is passed to Kafka, incl. security.protocol, sasl.*, ssl.*).",
                "Exit codes: 0 stopped by SIGTERM; 1 bad input, Kafka or the registry unreachable at start, or stream threads "
                        + "kept failing (splice.thread.replacements.max)."})
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--definitions", required = true, paramLabel = "FILE", description = "joins.yaml")
    Path definitions;
    @Option(names = "--config", paramLabel = "FILE", description = "app.properties (Kafka, registry and splice.* settings).")
    Path configFile;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        SpliceStreamsConfig config;
        try {
            config = CliInputs.config(CliInputs.readConfig(configFile), configFile);
        } catch (CliInputs.BadInput e) {
            err.println("error: " + e.getMessage());
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
            try {
                runtime.start();
            } catch (Preflight.Unreachable e) {
                e.problems().forEach(p -> err.println("error: " + p));
                return 1;
            } catch (IllegalStateException | IllegalArgumentException | UncheckedIOException e) {
                // Splice's own messages (topic setup, metrics port): one line per problem
                String m = e.getMessage() == null ? Errors.oneLine(e) : e.getMessage();
                m.lines().forEach(l -> err.println("error: cannot start: " + l));
                return 1;
            } catch (Exception e) {
                err.println("error: cannot start: " + Errors.oneLine(e));
                return 1;
            }
            err.printf("splice run: stitching %d join(s); metrics and /health on port %d; Ctrl-C or SIGTERM stops%n",
                    defs.joins().size(), runtime.metricsPort());
            err.flush();
            runtime.awaitStop();
            String failure = runtime.failure();
            if (failure != null) {
                err.println("error: " + failure);
                return 1;
            }
            return 0;
        } finally {
            runtime.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running (SIGTERM): it closes the runtime itself
            }
        }
    }
}
