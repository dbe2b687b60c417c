package io.splice.demo;

import io.splice.demo.cli.DemoCommand;
import io.splice.demo.cli.ReportCommand;
import io.splice.demo.cli.StackCommand;
import io.splice.core.cli.OneLineErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;


/**
 * Entry point of {@code splice demo | stack | report} (the launcher dispatches these here):
 * {@code java -cp demo/target/classes:$(cat demo/target/classpath.txt) io.splice.demo.DemoCli <command> ...}.
 */
@Command(name = "splice", mixinStandardHelpOptions = true, version = "splice 0.1.0", usageHelpWidth = 120,
        description = "Splice on the local stack: the end-to-end demo, a long-running local stack, the coverage report.",
        subcommands = {DemoCommand.class, StackCommand.class, ReportCommand.class, CommandLine.HelpCommand.class})
public final class DemoCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    /** The command line with Splice's error handling: one line per failure (the stack trace with SPLICE_DEBUG=1). */
    public static CommandLine commandLine() {
        return new CommandLine(new DemoCli()).setExecutionExceptionHandler(new OneLineErrors());
    }

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null && System.getProperty("log4j.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-splice-demo.xml");
        }
        // the embedded broker sets Kafka's loggers to WARN on start unless told otherwise: only errors here
        if (System.getProperty("splice.local.kafka.log.level") == null) {
            System.setProperty("splice.local.kafka.log.level", "ERROR");
        }
        int code = commandLine().execute(args);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }
}
