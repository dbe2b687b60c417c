package io.splice.streams.internal;

import io.splice.core.merge.BadRecordException;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Checks every router applies to raw input before decoding. */
final class InputGuards {
    private InputGuards() {
    }

    /** The key as UTF-8 text; null for a null key; a bad record for bytes that are not UTF-8. */
    static String utf8Key(byte[] key) {
        if (key == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key)).toString();
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

    static void timestamp(long ts, String what) {
        if (ts < 0) {
            throw new BadRecordException(BadRecordException.BAD_TIMESTAMP, what + " has a negative timestamp " + ts);
        }
    }
}
