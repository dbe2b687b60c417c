package io.splice.streams.runtime;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A deterministic stream-thread failure for tests (set as {@code default.timestamp.extractor}, which the app passes
 * through to Kafka Streams): a record keyed {@code poison} fails its stream thread every time it is read. Every
 * failure's time is kept in {@link #FAILURES}.
 */
public final class PoisonTimestampExtractor implements TimestampExtractor {
    static final byte[] POISON = "poison".getBytes(StandardCharsets.UTF_8);
    static final List<Long> FAILURES = new CopyOnWriteArrayList<>();

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        if (record.key() instanceof byte[] k && Arrays.equals(k, POISON)) {
            FAILURES.add(System.nanoTime());
            throw new IllegalStateException("poison record at offset " + record.offset() + " of " + record.topic());
        }
        return record.timestamp();
    }
}
