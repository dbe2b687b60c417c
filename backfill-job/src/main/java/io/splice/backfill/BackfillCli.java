package io.splice.backfill;

import io.splice.backfill.cli.BackfillCommand;
import io.splice.backfill.cli.PublishTableCommand;
import io.splice.backfill.cli.ValidateCommand;
import io.splice.backfill.consistency.ConsistencyCommand;
import io.splice.backfill.training.TrainingSetCommand;
import io.splice.core.cli.OneLineErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;


/**
 * Entry point of the Spark deployable: {@code splice backfill | validate | publish-table | training-set | consistency}. Runs under a plain
 * {@code java} launch (the root {@code ./splice} script, local[*]) and under {@code spark-submit}.
 */
@Command(name = "splice", usageHelpWidth = 120,
        description = "Splice's Spark jobs: point-in-time backfills, validation, table publishing, training sets and consistency reports.",
        subcommands = {BackfillCommand.class, ValidateCommand.class, PublishTableCommand.class, TrainingSetCommand.class,
                ConsistencyCommand.class, CommandLine.HelpCommand.class})
public final class BackfillCli implements Runnable {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A command line wired with Splice's error handling: a failure prints one line (the stack with SPLICE_DEBUG=1), exit 1. */
    public static CommandLine commandLine() {
        return new CommandLine(new BackfillCli()).setExecutionExceptionHandler(new OneLineErrors());
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code);
    }
}
