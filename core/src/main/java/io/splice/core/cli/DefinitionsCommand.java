package io.splice.core.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsDiff;
import io.splice.core.definitions.DefinitionsException;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code splice definitions validate|hash --definitions F}. */
@Command(name = "definitions", mixinStandardHelpOptions = true,
        description = "Check a join definitions file and print the semantic hashes of its parts.",
        subcommands = {DefinitionsCommand.Validate.class, DefinitionsCommand.Hash.class, DefinitionsCommand.Diff.class})
public final class DefinitionsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** Loads a definitions file, printing every problem to stderr; returns null when invalid. */
    public static Definitions loadOrReport(Path file, String prefix, PrintWriter err) {
        try {
            return DefinitionsLoader.load(file, new Topics(prefix));
        } catch (DefinitionsException e) {
            err.println(e.getMessage());
            err.flush();
            return null;
        }
    }

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Validate a definitions file; prints every problem with its path and exits 1 if there is any.")
    static final class Validate implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--definitions", required = true, paramLabel = "FILE", description = "joins.yaml")
        Path definitions;
        @Option(names = "--topic-prefix", defaultValue = "splice", description = "Topic prefix (default: ${DEFAULT-VALUE}).")
        String prefix;

        @Override
        public Integer call() {
            Definitions defs = loadOrReport(definitions, prefix, spec.commandLine().getErr());
            if (defs == null) {
                return 1;
            }
            PrintWriter out = spec.commandLine().getOut();
            for (JoinDefinition j : defs.joins()) {
                out.printf("ok   %s: %d parts, %d features, %d bootstrap parts, bootstrap_from_log=%s%n", j.id(),
                        j.parts().size(), j.features().size(), j.bootstrapParts().size(), j.bootstrapFromLog());
            }
            out.printf("%s is valid (%d join%s)%n", definitions, defs.joins().size(), defs.joins().size() == 1 ? "" : "s");
            return 0;
        }
    }

    @Command(name = "hash", mixinStandardHelpOptions = true,
            description = "Print the semantic hash of every part as JSON: {\"payments.v2\": {\"card_txn\": \"<hash>\"}}.")
    static final class Hash implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--definitions", required = true, paramLabel = "FILE", description = "joins.yaml")
        Path definitions;
        @Option(names = "--topic-prefix", defaultValue = "splice", description = "Topic prefix (default: ${DEFAULT-VALUE}).")
        String prefix;

        @Override
        public Integer call() throws Exception {
            Definitions defs = loadOrReport(definitions, prefix, spec.commandLine().getErr());
            if (defs == null) {
                return 1;
            }
            ObjectMapper json = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
            spec.commandLine().getOut().println(json.writeValueAsString(SemanticHasher.hashes(defs)));
            return 0;
        }
    }

    @Command(name = "diff", mixinStandardHelpOptions = true,
            description = "Compare two definitions files: per join and part unchanged / new / changed hash (needs backfill) /"
                    + " removed, and whether a rolling restart applies the change safely. Exit 0 when safe, 3 when not, 1"
                    + " when a file is invalid.")
    static final class Diff implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--from", required = true, paramLabel = "OLD", description = "the definitions running now")
        Path from;
        @Option(names = "--to", required = true, paramLabel = "NEW", description = "the definitions to roll out")
        Path to;
        @Option(names = "--topic-prefix", defaultValue = "splice", description = "Topic prefix (default: ${DEFAULT-VALUE}).")
        String prefix;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            Definitions a = loadOrReport(from, prefix, err);
            Definitions b = loadOrReport(to, prefix, err);
            if (a == null || b == null) {
                return 1;
            }
            DefinitionsDiff diff = DefinitionsDiff.between(a, b);
            spec.commandLine().getOut().print(diff.render());
            spec.commandLine().getOut().flush();
            return diff.safe() ? 0 : 3;
        }
    }
}
