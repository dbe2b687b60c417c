package io.splice.streams.internal;

import io.splice.core.api.DeadLetterHeaders;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Headers of a dead-letter record: the reason and where the record came from. */
public final class DlqHeaders {
    public static final String ERROR = DeadLetterHeaders.ERROR;
    public static final String SOURCE_TOPIC = DeadLetterHeaders.SOURCE_TOPIC;
    public static final String SOURCE_PARTITION = DeadLetterHeaders.SOURCE_PARTITION;
    public static final String SOURCE_OFFSET = DeadLetterHeaders.SOURCE_OFFSET;

    private DlqHeaders() {
    }

    public static Headers of(Headers original, String error, Optional<RecordMetadata> meta) {
        RecordHeaders h = new RecordHeaders(original == null ? new RecordHeaders().toArray() : original.toArray());
        h.remove(ERROR).remove(SOURCE_TOPIC).remove(SOURCE_PARTITION).remove(SOURCE_OFFSET);
        h.add(ERROR, utf8(error));
        meta.ifPresent(m -> {
            h.add(SOURCE_TOPIC, utf8(m.topic()));
            h.add(SOURCE_PARTITION, utf8(Integer.toString(m.partition())));
            h.add(SOURCE_OFFSET, utf8(Long.toString(m.offset())));
        });
        return h;
    }

    public static String get(Headers headers, String name) {
        var h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
