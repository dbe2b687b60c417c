package io.splice.core.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of every Splice dead letter, whoever writes it (the stitching app or a Connect sink): the original key and
 * bytes, plus {@value #ERROR} = {@code <reason>: <what> (<topic>-<partition>@<offset>)} and the place the record was
 * read from in {@code splice.source.*}. The app and the sinks build both from here.
 */
public final class DeadLetterHeaders {
    public static final String ERROR = "splice.error";
    public static final String SOURCE_TOPIC = "splice.source.topic";
    public static final String SOURCE_PARTITION = "splice.source.partition";
    public static final String SOURCE_OFFSET = "splice.source.offset";
    /** Every header this class sets: a dead letter of a dead letter replaces them rather than adding a second set. */
    public static final List<String> NAMES = List.of(ERROR, SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET);

    private DeadLetterHeaders() {
    }

    /** The {@value #ERROR} text: the reason, what is wrong, and where the record was read (omitted when unknown). */
    public static String error(String reason, String message, String topic, Integer partition, Long offset) {
        String where = topic == null || partition == null || offset == null ? "" : " (" + topic + "-" + partition + "@" + offset + ")";
        return reason + ": " + message + where;
    }

    /** The headers of a dead letter, in order; a null topic, partition or offset is left out. */
    public static Map<String, String> of(String error, String topic, Integer partition, Long offset) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(ERROR, error);
        if (topic != null) {
            h.put(SOURCE_TOPIC, topic);
        }
        if (partition != null) {
            h.put(SOURCE_PARTITION, Integer.toString(partition));
        }
        if (offset != null) {
            h.put(SOURCE_OFFSET, Long.toString(offset));
        }
        return h;
    }
}
