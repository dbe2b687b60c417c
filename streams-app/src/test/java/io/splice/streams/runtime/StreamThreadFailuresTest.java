package io.splice.streams.runtime;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replacement budget of {@link StreamThreadFailures}, on a fake clock. */
class StreamThreadFailuresTest {
    final AtomicLong now = new AtomicLong(1_000_000);

    @Test
    void replacesAtMostMaxTimesWithinTheWindowThenShutsDown() {
        StreamThreadFailures f = new StreamThreadFailures(2, 60_000, 0, 0, now::get);
        assertEquals(REPLACE_THREAD, f.handle(new IllegalStateException("one")));
        now.addAndGet(1_000);
        assertEquals(REPLACE_THREAD, f.handle(new IllegalStateException("two")));
        assertNull(f.gaveUp());
        now.addAndGet(1_000);
        assertEquals(SHUTDOWN_CLIENT, f.handle(new IllegalStateException("three")));
        assertEquals(3, f.failures());
        assertTrue(f.gaveUp().contains("failed 3 times within 60 s") && f.gaveUp().contains("three"), f.gaveUp());
    }

    @Test
    void replacementsOlderThanTheWindowNoLongerCount() {
        StreamThreadFailures f = new StreamThreadFailures(1, 60_000, 0, 0, now::get);
        assertEquals(REPLACE_THREAD, f.handle(new IllegalStateException("one")));
        now.addAndGet(60_000);
        assertEquals(REPLACE_THREAD, f.handle(new IllegalStateException("an hour later")));
        now.addAndGet(59_999);
        assertEquals(SHUTDOWN_CLIENT, f.handle(new IllegalStateException("too soon")));
    }

    @Test
    void zeroReplacementsShutsDownAtTheFirstFailure() {
        StreamThreadFailures f = new StreamThreadFailures(0, 60_000, 0, 0, now::get);
        assertEquals(SHUTDOWN_CLIENT, f.handle(new IllegalStateException("one")));
    }

    @Test
    void backoffDoublesUpToItsMaximum() {
        StreamThreadFailures f = new StreamThreadFailures(10, 60_000, 1_000, 5_000, now::get);
        assertEquals(1_000, f.backoff(0));
        assertEquals(2_000, f.backoff(1));
        assertEquals(4_000, f.backoff(2));
        assertEquals(5_000, f.backoff(3));
        assertEquals(5_000, f.backoff(40));
    }

    @Test
    void aCloseEndsTheBackoffWaitWithoutAReplacement() throws Exception {
        StreamThreadFailures f = new StreamThreadFailures(3, 60_000, 600_000, 600_000, now::get);
        var answer = new java.util.concurrent.CompletableFuture<Object>();
        Thread failed = new Thread(() -> answer.complete(f.handle(new IllegalStateException("one"))));
        failed.start();
        org.awaitility.Awaitility.await().until(() -> failed.getState() == Thread.State.TIMED_WAITING);
        f.close();
        assertEquals(SHUTDOWN_CLIENT, answer.get(10, java.util.concurrent.TimeUnit.SECONDS));
    }
}
