package io.splice.streams.reliability;

import io.splice.streams.cli.SpliceCli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code splice ...} in its own JVM (the test classpath, {@link SpliceCli} as main), stdout and stderr captured to a
 * file, so that tests can SIGKILL it, read everything it printed and check its exit code.
 */
final class ChildApp implements AutoCloseable {
    private static final Pattern METRICS_PORT = Pattern.compile("metrics and /health on port (\\d+)");

    final Path output;
    final Process process;

    private ChildApp(Path output, Process process) {
        this.output = output;
        this.process = process;
    }

    /** Starts {@code java <jvmArgs> -cp <test classpath> SpliceCli <args>}, output to {@code output}. */
    static ChildApp start(Path output, List<String> jvmArgs, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+UseSerialGC");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(SpliceCli.class.getName());
        cmd.addAll(List.of(args));
        try {
            Files.createDirectories(output.getParent());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
            return new ChildApp(output, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String log() {
        try {
            return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The metrics port the app printed, or -1 before it did. */
    int metricsPort() {
        Matcher m = METRICS_PORT.matcher(log());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL, and wait until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Exit code, waiting at most {@code seconds}; throws if still running. */
    int exitCode(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("child did not exit within " + seconds + " s; output:\n" + tail());
        }
        return process.exitValue();
    }

    String tail() {
        String s = log();
        return s.length() > 4000 ? "…" + s.substring(s.length() - 4000) : s;
    }

    /** SIGTERM (graceful), then SIGKILL if it has not stopped in 30 s. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
