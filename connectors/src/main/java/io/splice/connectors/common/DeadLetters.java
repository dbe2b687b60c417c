package io.splice.connectors.common;

import io.splice.core.api.DeadLetterHeaders;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * Sends a refused record to Connect's dead-letter queue through {@link ErrantRecordReporter}: the DLQ topic gets
 * the original key and value bytes (the sinks take values with {@code ByteArrayConverter}) with the same headers as
 * the stitching app's dead letters ({@code splice.error}: the reason; {@code splice.source.*}: where it was read),
 * and with {@code errors.deadletterqueue.context.headers.enable=true} Connect's {@code __connect.errors.*} too. Without a DLQ
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
        Future<Void> f = reporter.report(withReason(record, reason), reason);
        return f == null ? CompletableFuture.completedFuture(null) : f;
    }

    /**
     * A plain copy of the record with the reason headers. Connect reports a record it made itself from the consumed
     * bytes, ignoring headers added to it; a new record is converted back to bytes with the connector's converters.
     */
    static SinkRecord withReason(SinkRecord record, Throwable reason) {
        ConnectHeaders headers = new ConnectHeaders(record.headers());
        DeadLetterHeaders.NAMES.forEach(headers::remove);
        DeadLetterHeaders.of(String.valueOf(reason.getMessage()), record.topic(), record.kafkaPartition(), record.kafkaOffset())
                .forEach(headers::addString);
        return new SinkRecord(record.topic(), record.kafkaPartition(), record.keySchema(), record.key(), record.valueSchema(),
                record.value(), record.kafkaOffset(), record.timestamp(), record.timestampType(), headers);
    }
}
