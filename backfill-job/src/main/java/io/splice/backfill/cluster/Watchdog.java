package io.splice.backfill.cluster;

import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.Optional;

/**
 * Runs a main class and exits when another process ends: {@code Watchdog <pid> <main class> [args…]}. The standalone
 * cluster's processes (master, workers, submitters) are started through it by {@link SparkCluster} and the tests, so
 * they stop when the JVM that started them dies, however it dies. Packaged alone in
 * {@code spark-dist/lib/splice-watchdog.jar} (it depends on nothing).
 */
public final class Watchdog {
    private Watchdog() {
    }

    public static void main(String[] args) throws Throwable {
        long pid = Long.parseLong(args[0]);
        Optional<ProcessHandle> watched = ProcessHandle.of(pid);
        if (watched.isEmpty() || !watched.get().isAlive()) {
            System.err.println("watchdog: process " + pid + " is not running; not starting " + args[1]);
            System.exit(143);
        }
        watched.get().onExit().thenRun(() -> {
            System.err.println("watchdog: process " + pid + " ended; stopping");
            Thread halt = new Thread(() -> {
                try {
                    Thread.sleep(15_000);
                } catch (InterruptedException ignored) {
                    // halt now
                }
                Runtime.getRuntime().halt(143);
            }, "watchdog-halt");
            halt.setDaemon(true);
            halt.start();
            new Thread(() -> System.exit(143), "watchdog-exit").start();
        });
        try {
            Class.forName(args[1]).getMethod("main", String[].class)
                    .invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
