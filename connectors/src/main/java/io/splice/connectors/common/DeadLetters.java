package io.splice.connectors.common;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * Sends a refused record to Connect's dead-letter queue through {@link ErrantRecordReporter}: the DLQ topic gets
 * the original key and value bytes, and with {@code errors.deadletterqueue.context.headers.enable=true} the
 * reason in the {@code __connect.errors.exception.message} header. Without a DLQ
 * ({@code errors.tolerance=none}, or an old worker) a refused record fails the task: it is never dropped silently.
 */
public final class DeadLetters {
    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
    private final ErrantRecordReporter reporter;

    public DeadLetters(SinkTaskContext context) {
        ErrantRecordReporter r;
        try {
            r = context == null ? null : context.errantRecordReporter();
        } catch (NoSuchMethodError | NoClassDefFoundError e) {
            r = null; // worker older than Kafka 2.6
        }
        this.reporter = r;
    }

    /** Reports {@code record}; the returned future completes once the DLQ has it. */
    public Future<Void> report(SinkRecord record, Throwable reason) {
        if (reporter == null) {
            throw new ConnectException("Record " + record.topic() + "-" + record.kafkaPartition() + "@"
                    + record.kafkaOffset() + " refused and no dead-letter queue is configured (set errors.tolerance=all "
                    + "and errors.deadletterqueue.topic.name): " + reason.getMessage(), reason);
        }
        log.warn("Sending {}-{}@{} to the dead-letter queue: {}", record.topic(), record.kafkaPartition(),
                record.kafkaOffset(), reason.getMessage());
        Future<Void> f = reporter.report(record, reason);
        return f == null ? CompletableFuture.completedFuture(null) : f;
    }
}
