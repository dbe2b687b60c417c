package io.splice.streams.runtime;

import io.splice.streams.api.SpliceStreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What {@code splice run} does when a stream thread dies: replace it, after a backoff that doubles with each
 * replacement, at most {@code splice.thread.replacements.max} times within {@code splice.thread.replacements.window.ms};
 * the next failure shuts the client down ({@code SHUTDOWN_CLIENT}: state ERROR, exit 1), so that a failure that recurs
 * on every thread (a deterministic bug, a lasting outage) reaches the process supervisor instead of looping hot
 * while {@code /health} looks fine. Bad records never get here: they go to the dead-letter topic.
 */
public final class StreamThreadFailures implements StreamsUncaughtExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(StreamThreadFailures.class);

    private final int maxReplacements;
    private final long windowMs;
    private final long backoffMs;
    private final long backoffMaxMs;
    private final LongSupplier clockMs;
    private final CountDownLatch closing = new CountDownLatch(1);
    /** Times of the replacements made within the window, oldest first. */
    private final Deque<Long> replacements = new ArrayDeque<>();
    private long failures;
    private Throwable last;
    private String gaveUp;

    public StreamThreadFailures(SpliceStreamsConfig config) {
        this(config.maxThreadReplacements(), config.threadReplacementsWindowMs(), config.threadReplacementBackoffMs(),
                config.threadReplacementBackoffMaxMs(), System::currentTimeMillis);
    }

    StreamThreadFailures(int maxReplacements, long windowMs, long backoffMs, long backoffMaxMs, LongSupplier clockMs) {
        this.maxReplacements = maxReplacements;
        this.windowMs = windowMs;
        this.backoffMs = backoffMs;
        this.backoffMaxMs = Math.max(backoffMs, backoffMaxMs);
        this.clockMs = clockMs;
    }

    /** Called on the failed stream thread; waits out the backoff there (a close ends the wait). */
    @Override
    public StreamThreadExceptionResponse handle(Throwable e) {
        long delay;
        int used;
        synchronized (this) {
            failures++;
            last = e;
            long now = clockMs.getAsLong();
            while (!replacements.isEmpty() && replacements.peekFirst() <= now - windowMs) {
                replacements.pollFirst();
            }
            used = replacements.size();
            if (closing.getCount() == 0) {
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            if (used >= maxReplacements) {
                gaveUp = "a stream thread failed " + (used + 1) + " times within " + seconds(windowMs) + ", last with "
                        + Errors.oneLine(e) + "; gave up after " + used + " replacement" + (used == 1 ? "" : "s") + " ("
                        + SpliceStreamsConfig.THREAD_REPLACEMENTS_MAX + "=" + maxReplacements + " per "
                        + SpliceStreamsConfig.THREAD_REPLACEMENTS_WINDOW_MS + "=" + windowMs + ") and shut down; "
                        + "the log has the stack trace";
                LOG.error("giving up: {}", gaveUp, e);
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            replacements.addLast(now);
            delay = backoff(used);
        }
        LOG.error("stream thread failed ({} of {} replacements within {} used); replacing it in {} ms", used + 1,
                maxReplacements, seconds(windowMs), delay, e);
        try {
            if (closing.await(delay, TimeUnit.MILLISECONDS)) {
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT; // closing anyway: no replacement
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /** The wait before the replacement that follows {@code used} others in the window. */
    long backoff(int used) {
        long d = backoffMs;
        for (int i = 0; i < used && d < backoffMaxMs; i++) {
            d *= 2;
        }
        return Math.min(d, backoffMaxMs);
    }

    /** Ends any backoff wait: the app is closing. */
    void close() {
        closing.countDown();
    }

    /** Stream threads that failed so far. */
    public synchronized long failures() {
        return failures;
    }

    /** Why the app gave up (one line), or null while it has not. */
    public synchronized String gaveUp() {
        return gaveUp;
    }

    /** The last failure, or null. */
    public synchronized Throwable last() {
        return last;
    }

    private static String seconds(long ms) {
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
