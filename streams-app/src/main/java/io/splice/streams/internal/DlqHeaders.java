package io.splice.streams.internal;

import io.splice.core.api.DeadLetterHeaders;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/** Headers of a dead-letter record: the reason and where the record came from. */
public final class DlqHeaders {
    public static final String ERROR = DeadLetterHeaders.ERROR;
    public static final String SOURCE_TOPIC = DeadLetterHeaders.SOURCE_TOPIC;
    public static final String SOURCE_PARTITION = DeadLetterHeaders.SOURCE_PARTITION;
    public static final String SOURCE_OFFSET = DeadLetterHeaders.SOURCE_OFFSET;

    private DlqHeaders() {
    }

    /** The original headers with core's dead-letter headers ({@link DeadLetterHeaders}) in place of any earlier set. */
    public static Headers of(Headers original, String error, Optional<RecordMetadata> meta) {
        return of(original, DeadLetterHeaders.of(error, meta.map(RecordMetadata::topic).orElse(null),
                meta.map(RecordMetadata::partition).orElse(null), meta.map(RecordMetadata::offset).orElse(null)));
    }

    public static Headers of(Headers original, Map<String, String> deadLetterHeaders) {
        RecordHeaders h = new RecordHeaders(original == null ? new RecordHeaders().toArray() : original.toArray());
        DeadLetterHeaders.NAMES.forEach(h::remove);
        deadLetterHeaders.forEach((name, value) -> h.add(name, utf8(value)));
        return h;
    }

    /** The {@code splice.error} text for a record read at {@code meta}. */
    public static String error(String reason, String message, Optional<RecordMetadata> meta) {
        return DeadLetterHeaders.error(reason, message, meta.map(RecordMetadata::topic).orElse(null),
                meta.map(RecordMetadata::partition).orElse(null), meta.map(RecordMetadata::offset).orElse(null));
    }

    public static String get(Headers headers, String name) {
        var h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
