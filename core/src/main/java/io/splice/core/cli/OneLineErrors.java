package io.splice.core.cli;

import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * Splice's picocli error handling: a failed command prints one line naming the innermost message (the stack trace
 * too with {@code SPLICE_DEBUG=1}) and exits 1.
 */
public final class OneLineErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        Throwable root = ex;
        while (root.getCause() != null && root.getCause() != root && root.getMessage() == null) {
            root = root.getCause();
        }
        err.println("error: " + (root.getMessage() == null ? root.getClass().getName() : root.getMessage()));
        if (System.getenv("SPLICE_DEBUG") != null) {
            ex.printStackTrace(err);
        }
        err.flush();
        return 1;
    }
}
