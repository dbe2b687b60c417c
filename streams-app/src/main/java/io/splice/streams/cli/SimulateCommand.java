package io.splice.streams.cli;

import io.splice.core.api.Definitions;
import io.splice.core.cli.DefinitionsCommand;
import io.splice.streams.simulate.Simulator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Run the real stitching topology in TopologyTestDriver over a JSONL file of input records and "
                + "write what it produced to DIR/stitched.jsonl and DIR/dlq.jsonl (DESIGN §6). Deterministic; needs no Kafka."})
final class SimulateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--definitions", required = true, paramLabel = "FILE", description = "joins.yaml")
    Path definitions;
    @Option(names = "--events", required = true, paramLabel = "FILE",
            description = "Input records, one JSON object a line: {\"topic\", \"key\", \"value\"} or {\"topic\", \"key\", \"raw\": base64}.")
    Path events;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;
    @Option(names = "--topic-prefix", defaultValue = "splice", description = "Topic prefix (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Override
    public Integer call() throws Exception {
        var err = spec.commandLine().getErr();
        Definitions defs = DefinitionsCommand.loadOrReport(definitions, prefix, err);
        if (defs == null) {
            return 1;
        }
        try {
            CliInputs.requireReadable(events, "--events", "a JSONL file of input records (docs/concepts.md: splice simulate)");
        } catch (CliInputs.BadInput e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        try (Simulator sim = new Simulator(defs, prefix, err)) {
            Simulator.Result r = sim.run(events, out);
            err.printf("simulated %d input records: %d stitched, %d dead-lettered, %d skipped -> %s%n",
                    r.inputs(), r.stitched(), r.dlq(), r.skipped(), out);
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }
}
