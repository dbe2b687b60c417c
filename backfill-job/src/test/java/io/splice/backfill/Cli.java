package io.splice.backfill;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@code splice <args>} in-process (sharing the test SparkSession) and captures what it prints. */
public record Cli(int exit, String out, String err) {
    public static Cli run(String... args) {
        TestSpark.session();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = BackfillCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Cli(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
}
