package io.splice.core.offline;

import java.nio.charset.StandardCharsets;

/**
 * Headers a stitched tombstone may carry so that the offline sink can file it with the row it deletes: a tombstone's
 * value is null, so without them the sink does not know the row's day or last revision.
 *
 * <ul>
 *   <li>{@value #REVISION}: the revision the tombstone ends (the row's last emitted revision), decimal ASCII;</li>
 *   <li>{@value #TS}: that revision's {@code ts} (epoch milliseconds, UTC), decimal ASCII;</li>
 *   <li>{@value #STITCHED_AT}: when the app deleted the row (its clock, epoch milliseconds), decimal ASCII: the
 *   tombstone's {@link OfflineColumns#STITCHED_AT}.</li>
 * </ul>
 * The S3 sink files the tombstone under {@code ds = } {@link OfflineColumns#ds(long) ds(ts)} with that revision and
 * {@code ts}. Without the headers it falls back to what it remembers of the row (see the S3 sink's
 * {@code tombstone.memory.rows}), then to the tombstone's Kafka time with a null revision.
 */
public final class TombstoneHeaders {
    public static final String REVISION = "splice.revision";
    public static final String TS = "splice.ts";
    public static final String STITCHED_AT = "splice.stitched_at";

    private TombstoneHeaders() {
    }

    /** The header value as bytes, for producers. */
    public static byte[] encode(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A header value as a number, whatever the reader's header converter made of it (raw bytes, a string, or a
     * number); null when absent or not a decimal integer.
     */
    public static Long decode(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Number n && !(value instanceof Double) && !(value instanceof Float)) {
            return n.longValue();
        }
        String s = value instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : value.toString();
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
