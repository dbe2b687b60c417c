package io.splice.streams.cli;

import io.splice.core.cli.DefinitionsCommand;
import io.splice.core.cli.OneLineErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the Streams-side commands; {@code ./splice} dispatches here. */
@Command(name = "splice", mixinStandardHelpOptions = true, version = "splice 0.1.0",
        description = "Splice: stitch logged and backfilled feature values with Chronon-style bootstrap rules.",
        subcommands = {DefinitionsCommand.class, SimulateCommand.class, RunCommand.class, ReplayCommand.class,
                DlqCommand.class})
public final class SpliceCli implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    /**
     * The command line {@code ./splice} runs: a failure no command handled itself is still one line
     * ({@link OneLineErrors}; the stack trace too with {@code SPLICE_DEBUG=1}).
     */
    public static CommandLine commandLine() {
        return new CommandLine(new SpliceCli()).setExecutionExceptionHandler(new OneLineErrors());
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    public static void main(String[] args) {
        int code = execute(args);
        Runtime.getRuntime().halt(flushAndReturn(code));
    }

    private static int flushAndReturn(int code) {
        System.out.flush();
        System.err.flush();
        return code;
    }
}
