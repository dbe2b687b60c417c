package io.splice.demo;

import java.io.PrintStream;

/** Progress lines of a long command ({@code [  12.3s] message}), on stderr so that stdout stays machine-readable. */
public final class Progress {
    private final PrintStream out;
    private final long start = System.nanoTime();
    private final boolean enabled;

    public Progress(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    public static Progress silent() {
        return new Progress(System.err, false);
    }

    /** Seconds since this progress was created. */
    public double elapsed() {
        return (System.nanoTime() - start) / 1e9;
    }

    public void step(String format, Object... args) {
        if (enabled) {
            out.printf("[%6.1fs] %s%n", elapsed(), String.format(format, args));
            out.flush();
        }
    }

    /** A line of a child process, indented under the current step. */
    public void detail(String line) {
        if (enabled) {
            out.println("          " + line);
            out.flush();
        }
    }
}
