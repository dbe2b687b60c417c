package io.splice.local;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The main class of one {@link LocalCluster} node process: starts a watchdog, then {@code kafka.Kafka <node.properties>}.
 *
 * <p>The watchdog halts this JVM as soon as the JVM that started it is gone, however it went (also SIGKILL):
 * <ul>
 *   <li>{@code -Dsplice.node.watch.stdin=true}: the parent holds the write end of this process's stdin pipe, so
 *       end-of-file on stdin means the parent died (the OS closes the pipe) or closed it on purpose;</li>
 *   <li>{@code -Dsplice.parent.pid=<pid>}: every 500 ms, this process's parent must still be that pid (a dead
 *       parent's children are re-parented, so pid reuse cannot fool the check).</li>
 * </ul>
 * With {@code -Dsplice.node.orphan.delete=<dir>}, the directory is deleted before halting (the cluster's
 * temporary node directory, which nobody else would remove then).
 */
public final class ClusterNodeMain {

    static final String WATCH_STDIN = "splice.node.watch.stdin";
    static final String PARENT_PID = "splice.parent.pid";
    static final String ORPHAN_DELETE = "splice.node.orphan.delete";

    private ClusterNodeMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ClusterNodeMain <node.properties>");
            System.exit(2);
        }
        startWatchdog();
        kafka.Kafka.main(args);
    }

    /**
     * The JVM options that make a child process started from this JVM run {@link #startWatchdog()} against it:
     * watch stdin (the caller must start it with {@code Redirect.PIPE} and keep the pipe open) and this JVM's pid;
     * {@code orphanDir} (may be null) is deleted when the child finds itself orphaned.
     */
    public static List<String> watchdogOptions(Path orphanDir) {
        List<String> options = new ArrayList<>();
        options.add("-D" + WATCH_STDIN + "=true");
        options.add("-D" + PARENT_PID + "=" + ProcessHandle.current().pid());
        if (orphanDir != null) {
            options.add("-D" + ORPHAN_DELETE + "=" + orphanDir);
        }
        return options;
    }

    /** Halts this JVM when the JVM that started it is gone (see the class comment). */
    public static void startWatchdog() {
        String delete = System.getProperty(ORPHAN_DELETE);
        Runnable orphaned = () -> {
            if (delete != null && !delete.isBlank()) {
                Path dir = Paths.get(delete);
                EmbeddedKafkaBroker.deleteRecursively(dir);
                Path root = dir.getParent();
                // the last node gone removes the cluster's root (its shared files) too
                if (root != null && root.getFileName().toString().startsWith(LocalCluster.ROOT_PREFIX)) {
                    try (Stream<Path> children = Files.list(root)) {
                        if (children.noneMatch(c -> c.getFileName().toString().startsWith(LocalCluster.NODE_PREFIX))) {
                            EmbeddedKafkaBroker.deleteRecursively(root);
                        }
                    } catch (IOException | RuntimeException e) {
                        // best effort
                    }
                }
            }
            Runtime.getRuntime().halt(0);
        };
        if (Boolean.getBoolean(WATCH_STDIN)) {
            daemon("splice-node-stdin-watch", () -> {
                try {
                    InputStream in = System.in;
                    byte[] buf = new byte[256];
                    while (in.read(buf) >= 0) {
                        // the parent writes nothing; keep reading until end-of-file
                    }
                } catch (IOException e) {
                    // a broken pipe is an end too
                }
                orphaned.run();
            });
        }
        String pid = System.getProperty(PARENT_PID);
        if (pid != null && !pid.isBlank()) {
            long parent = Long.parseLong(pid.trim());
            daemon("splice-node-parent-watch", () -> {
                while (true) {
                    Optional<Long> current = ProcessHandle.current().parent().map(ProcessHandle::pid);
                    if (current.isEmpty() || current.get() != parent) {
                        orphaned.run();
                    }
                    try {
                        TimeUnit.MILLISECONDS.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
    }

    private static void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }
}
