package io.splice.streams.internal;

import io.splice.avro.serde.SchemaRegistryException;
import io.splice.core.merge.BadRecordException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.util.Optional;

/**
 * Shared handling of raw input: every failure becomes a dead letter carrying the original bytes and the reason
 * (DESIGN §5.10); nothing is dropped and the app keeps running.
 */
abstract class RouterBase implements Processor<byte[], byte[], String, Routed> {
    protected final SpliceMetrics metrics;
    protected ProcessorContext<String, Routed> context;

    RouterBase(SpliceMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Routed> context) {
        this.context = context;
    }

    @Override
    public final void process(Record<byte[], byte[]> record) {
        try {
            route(record);
        } catch (BadRecordException e) {
            deadLetter(record, e.reason(), e.getMessage());
        } catch (SerializationException e) {
            if (registryUnavailable(e)) {
                // Not the record's fault: fail the task so that it is retried from the last commit once the registry
                // answers again, rather than dead-lettering good records during a registry outage.
                throw e;
            }
            deadLetter(record, BadRecordException.UNDECODABLE, e.getMessage());
        }
    }

    /** A registry that cannot be reached or answers 5xx (an unknown schema id is a 404: the record is bad). */
    static boolean registryUnavailable(SerializationException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SchemaRegistryException sre) {
                return sre.status() < 0 || sre.status() >= 500;
            }
        }
        return false;
    }

    protected abstract void route(Record<byte[], byte[]> record);

    protected void deadLetter(Record<byte[], byte[]> record, String reason, String message) {
        Optional<RecordMetadata> meta = context.recordMetadata();
        String error = DlqHeaders.error(reason, message, meta);
        metrics.dlq(reason, meta.map(RecordMetadata::topic).orElse("unknown"));
        context.forward(new Record<String, Routed>(null, Routed.dead(new DeadLetter(record.key(), record.value(), error)),
                record.timestamp(), DlqHeaders.of(record.headers(), error, meta)));
    }

    protected String sourceTopic() {
        return context.recordMetadata().map(RecordMetadata::topic).orElse("unknown");
    }
}
