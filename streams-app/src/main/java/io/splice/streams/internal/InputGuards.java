package io.splice.streams.internal;

import io.splice.core.merge.BadRecordException;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Checks every router applies to raw input before decoding. */
final class InputGuards {
    /** One strict decoder per thread: creating one per record showed in the profile. */
    private static final ThreadLocal<java.nio.charset.CharsetDecoder> UTF8 = ThreadLocal.withInitial(() ->
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT));

    private InputGuards() {
    }

    /** The key as UTF-8 text; null for a null key; a bad record for bytes that are not UTF-8. */
    static String utf8Key(byte[] key) {
        if (key == null) {
            return null;
        }
        try {
            return UTF8.get().decode(ByteBuffer.wrap(key)).toString();
        } catch (CharacterCodingException e) {
            throw new BadRecordException(BadRecordException.BAD_KEY, "key of " + key.length + " bytes is not valid UTF-8");
        }
    }

    static void size(byte[] value, int max) {
        if (value != null && value.length > max) {
            throw new BadRecordException(BadRecordException.TOO_LARGE, "value of " + value.length
                    + " bytes exceeds the limit of " + max + " bytes (splice.max.value.bytes)");
        }
    }

    /**
     * A keyed record's value names its row in {@code row_key}: it must be present and equal to the record key, which
     * decides the partition and what compaction keeps (a mismatch would stitch the row under the wrong key).
     */
    static void sameRowKey(String valueRowKey, String recordKey, String topic) {
        if (valueRowKey == null || valueRowKey.isEmpty()) {
            throw new BadRecordException(BadRecordException.MISSING_ROW_ID, "record on " + topic + " has an empty row_key");
        }
        if (!valueRowKey.equals(recordKey)) {
            throw new BadRecordException(BadRecordException.BAD_KEY, "row_key '" + abbreviate(valueRowKey)
                    + "' in the value differs from the record key '" + abbreviate(recordKey) + "' on " + topic);
        }
    }

    static String abbreviate(String s) {
        return s == null || s.length() <= 80 ? s : s.substring(0, 80) + "… (" + s.length() + " chars)";
    }

    static void timestamp(long ts, String what) {
        if (ts < 0) {
            throw new BadRecordException(BadRecordException.BAD_TIMESTAMP, what + " has a negative timestamp " + ts);
        }
    }
}
