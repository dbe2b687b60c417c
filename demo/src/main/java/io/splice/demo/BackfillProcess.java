package io.splice.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code splice backfill} (or another Spark job of its deployable) as a child process: the Spark jobs are their own
 * deployable (Spark 4.0 with kafka-clients 3.9) and never share this JVM's class path. It is started through the repository's launcher, which builds the job
 * when it is missing. Its output is forwarded line by line; {@link #close()} ends it (and anything it started) if it
 * still runs.
 */
public final class BackfillProcess implements AutoCloseable {
    /** Spark's and Hadoop's own log lines (timestamped, or level-tagged) are kept out of the progress output. */
    private static final Pattern LOG_LINE = Pattern.compile(
            "^(\\d{2}[:/]\\d{2}[:/]\\d{2}|\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:|WARNING:|SLF4J|\\s+at |Using Spark|Setting default log level|To adjust logging level).*"
                    + "|.*\\b(WARN|INFO|DEBUG)\\b.*");

    private final Process process;
    private final Thread pump;
    private final Deque<String> tail = new ArrayDeque<>();
    private final List<String> command;
    private final String job;

    private BackfillProcess(Process process, String job, List<String> command, Progress progress, Path transcript) {
        this.process = process;
        this.job = job;
        this.command = command;
        this.pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                 Writer all = transcript == null ? Writer.nullWriter() : Files.newBufferedWriter(transcript, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    all.write(line);
                    all.write('\n');
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > 60) {
                            tail.removeFirst();
                        }
                    }
                    if (!LOG_LINE.matcher(line).matches() && !line.isBlank()) {
                        progress.detail(job + " | " + line);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "splice-" + job + "-output");
        pump.setDaemon(true);
        pump.start();
    }

    /** Starts {@code <home>/splice backfill <args>} in {@code workDir}. */
    public static BackfillProcess start(Path home, List<String> args, Path workDir, Progress progress) {
        return start(home, args, workDir, progress, List.of(), null);
    }

    /**
     * As {@link #start(Path, List, Path, Progress)}, with extra JVM options for the job (e.g. a log configuration) and,
     * when {@code transcript} is given, every line the process prints written to that file.
     */
    public static BackfillProcess start(Path home, List<String> args, Path workDir, Progress progress, List<String> jvmOptions,
                                        Path transcript) {
        return startJob(home, "backfill", args, workDir, progress, jvmOptions, transcript);
    }

    /** Any Spark job of the backfill deployable ({@code backfill}, {@code training-set}, {@code consistency}, ...). */
    public static BackfillProcess startJob(Path home, String job, List<String> args, Path workDir, Progress progress,
                                           List<String> jvmOptions, Path transcript) {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("splice").toString());
        cmd.add(job);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true);
        String opts = System.getenv("SPLICE_JAVA_OPTS") != null ? System.getenv("SPLICE_JAVA_OPTS")
                : "-Xmx1g -XX:+UseParallelGC -XX:TieredStopAtLevel=1";
        pb.environment().put("SPLICE_JAVA_OPTS", (opts + " " + String.join(" ", jvmOptions)).trim());
        pb.environment().putIfAbsent("SPARK_LOCAL_IP", "127.0.0.1");
        try {
            return new BackfillProcess(pb.start(), job, cmd, progress, transcript);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        }
    }

    /** Waits for the exit and returns its code; a timeout throws with the process's last lines. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                close();
                throw new IllegalStateException("splice " + job + " did not finish within " + timeout.toSeconds() + " s; last output:\n" + tail());
            }
            pump.join(5000);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while splice " + job + " ran", e);
        }
    }

    /** Waits for the exit; a non-zero exit (or a timeout) throws with the process's last lines. */
    public void awaitSuccess(Duration timeout) {
        int exit = awaitExit(timeout);
        if (exit != 0) {
            throw new IllegalStateException("splice " + job + " failed (exit " + exit + "): " + String.join(" ", command) + "\n" + tail());
        }
    }


    public boolean isAlive() {
        return process.isAlive();
    }

    /** The process's last lines (at most 60). */
    public String tail() {
        synchronized (tail) {
            return String.join("\n", tail);
        }
    }

    /** Ends the process and its descendants (a launcher may have started a build). */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * The repository root (where the {@code splice} launcher and {@code backfill-job/} are): system property
     * {@code splice.home}, environment {@code SPLICE_HOME}, else the first parent of the working directory or of this
     * class's location that has both.
     */
    public static Path locateHome() {
        List<Path> tried = new ArrayList<>();
        for (String explicit : new String[]{System.getProperty("splice.home"), System.getenv("SPLICE_HOME")}) {
            if (explicit != null && !explicit.isBlank()) {
                Path p = Paths.get(explicit).toAbsolutePath().normalize();
                if (isHome(p)) {
                    return p;
                }
                tried.add(p);
            }
        }
        List<Path> starts = new ArrayList<>();
        starts.add(Paths.get("").toAbsolutePath());
        try {
            starts.add(Paths.get(BackfillProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        } catch (URISyntaxException | RuntimeException ignored) {
            // no code source
        }
        for (Path start : starts) {
            for (Path d = start; d != null; d = d.getParent()) {
                if (isHome(d)) {
                    return d;
                }
            }
            tried.add(start);
        }
        throw new IllegalStateException("cannot find the Splice repository (the `splice` launcher with backfill-job/) to run "
                + "the Spark backfill; run from the repository or set SPLICE_HOME. Looked from: " + tried);
    }

    private static boolean isHome(Path d) {
        return Files.isExecutable(d.resolve("splice")) && Files.isRegularFile(d.resolve("backfill-job/pom.xml"));
    }
}
