package io.splice.demo;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a command started, stopped last-started-first by {@link #close()}: from the command's own {@code finally} and
 * from a shutdown hook (Ctrl-C, SIGTERM), whichever comes first. Idempotent and thread-safe.
 */
public final class Cleanup implements AutoCloseable {
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private boolean closed;

    /** Registers {@code c}; if already closed, closes it at once. */
    public <T extends AutoCloseable> T add(T c) {
        boolean late;
        synchronized (this) {
            late = closed;
            if (!late) {
                resources.push(c);
            }
        }
        if (late) {
            Demo.closeQuietly(c);
            throw new IllegalStateException("stopping");
        }
        return c;
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /** A JVM shutdown hook that closes this cleanup; returns the hook (to remove it again). */
    public Thread closeOnShutdown() {
        Thread hook = new Thread(this::close, "splice-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    @Override
    public void close() {
        while (true) {
            AutoCloseable next;
            synchronized (this) {
                closed = true;
                next = resources.poll();
            }
            if (next == null) {
                return;
            }
            Demo.closeQuietly(next);
        }
    }
}
