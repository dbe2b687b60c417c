package io.splice.core.api;

/**
 * Header names every Splice dead letter carries, whoever wrote it (the stitching app or a Connect sink): the reason,
 * {@code <reason>: <what and where>}, and the place the record was read from.
 */
public final class DeadLetterHeaders {
    public static final String ERROR = "splice.error";
    public static final String SOURCE_TOPIC = "splice.source.topic";
    public static final String SOURCE_PARTITION = "splice.source.partition";
    public static final String SOURCE_OFFSET = "splice.source.offset";

    private DeadLetterHeaders() {
    }
}
