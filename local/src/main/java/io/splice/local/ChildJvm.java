package io.splice.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The child JVMs the local servers run as ({@link LocalCluster}'s nodes, {@link io.splice.local.connect.DistributedConnect}'s
 * workers, the registry): how one is started, stopped, killed and diagnosed, in one place.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** The {@code java} executable of this JVM, to start child JVMs with. */
    public static String javaBinary() {
        String exe = System.getProperty("os.name", "").toLowerCase().contains("win") ? "java.exe" : "java";
        Path fromHome = Paths.get(System.getProperty("java.home"), "bin", exe);
        if (Files.isExecutable(fromHome)) {
            return fromHome.toString();
        }
        return ProcessHandle.current().info().command().orElse(exe);
    }

    /**
     * Starts {@code cmd} in {@code dir} with {@code classpath} as CLASSPATH (keeps the command line short), output
     * appended to {@code log}, and stdin a pipe held open by this JVM: its end-of-file tells a child with the
     * {@link ClusterNodeMain} watchdog that this JVM died. No JAVA_TOOL_OPTIONS reach the child.
     */
    public static Process start(List<String> cmd, Path dir, Path log, String classpath, String what) {
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().put("CLASSPATH", classpath);
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("_JAVA_OPTIONS");
        try {
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + what + ": " + cmd, e);
        }
    }

    /** SIGKILL, then waits (up to 30 s) until the process is gone; nothing for null. */
    public static void kill(Process p) {
        if (p != null) {
            p.destroyForcibly();
            waitFor(p, Duration.ofSeconds(30));
        }
    }

    /** SIGTERM (a controlled shutdown), killed after 60 s; nothing for null. */
    public static void stop(Process p) {
        if (p != null) {
            p.destroy();
            if (!waitFor(p, Duration.ofSeconds(60))) {
                kill(p);
            }
        }
    }

    /** SIGKILLs every process at once, then waits for each. */
    public static void killAll(Collection<Process> processes) {
        processes.forEach(Process::destroyForcibly);
        processes.forEach(p -> waitFor(p, Duration.ofSeconds(30)));
    }

    /** Whether {@code p} ended within {@code timeout}. */
    public static boolean waitFor(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    /** The last 4,000 characters of a child's log, for an error message. */
    public static String tail(Path log) {
        try {
            String s = Files.readString(log, StandardCharsets.UTF_8);
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (IOException | RuntimeException e) {
            return "(no log)";
        }
    }
}
