package io.splice.streams.internal;

import io.splice.core.merge.SourceRecord;
import org.apache.kafka.common.errors.SerializationException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compact binary encoding of source records and scalar maps for internal topics and the state store: varint lengths,
 * big-endian numbers, UTF-8 text. Plain arrays rather than Data*Stream over ByteArray*Stream, whose synchronized
 * reads and writes showed in the stitch profile (bench/stitch), and a per-thread cache for short repeated strings
 * (feature and part names, part hashes, source tags) so that decoding them neither allocates nor rehashes.
 */
final class BinaryCodec {
    private static final byte NULL = 0, BOOLEAN = 1, INT = 2, LONG = 3, FLOAT = 4, DOUBLE = 5, STRING = 6;
    /** A long as zigzag LEB128 (row state format 5 only: the repartition topic's format keeps its tags). */
    private static final byte LONG_VAR = 7;

    private BinaryCodec() {
    }

    /** A growable output buffer. */
    static final class Writer {
        private byte[] buf;
        private int pos;

        Writer(int initial) {
            buf = new byte[Math.max(16, initial)];
        }

        private void ensure(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        void writeByte(int b) {
            ensure(1);
            buf[pos++] = (byte) b;
        }

        void writeBoolean(boolean b) {
            writeByte(b ? 1 : 0);
        }

        void writeInt(int v) {
            ensure(4);
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
        }

        void writeLong(long v) {
            writeInt((int) (v >>> 32));
            writeInt((int) v);
        }

        /** Unsigned LEB128: lengths and counts, mostly one byte. */
        void writeVarint(int v) {
            ensure(5);
            while ((v & ~0x7f) != 0) {
                buf[pos++] = (byte) ((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
        }

        /** Unsigned LEB128 of a long: revisions and time differences, mostly one to three bytes. */
        void writeVarlong(long v) {
            ensure(10);
            while ((v & ~0x7fL) != 0) {
                buf[pos++] = (byte) ((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
        }

        /** Zigzag then LEB128: small negative numbers stay small. */
        void writeZigzag(long v) {
            writeVarlong((v << 1) ^ (v >> 63));
        }

        void writeBytes(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, pos);
        }
    }

    /** A reader over one encoded value; running past its end is a {@link SerializationException}. */
    static final class Reader {
        private final byte[] buf;
        private int pos;

        Reader(byte[] buf) {
            this.buf = buf;
        }

        Reader(byte[] buf, int pos) {
            this.buf = buf;
            this.pos = pos;
        }

        private void need(int n) {
            if (n < 0 || pos + n > buf.length) {
                throw new SerializationException("truncated internal record: " + n + " more bytes needed at " + pos + " of " + buf.length);
            }
        }

        byte readByte() {
            need(1);
            return buf[pos++];
        }

        boolean readBoolean() {
            return readByte() != 0;
        }

        int readInt() {
            need(4);
            int v = (buf[pos] & 0xff) << 24 | (buf[pos + 1] & 0xff) << 16 | (buf[pos + 2] & 0xff) << 8 | (buf[pos + 3] & 0xff);
            pos += 4;
            return v;
        }

        long readLong() {
            return (long) readInt() << 32 | (readInt() & 0xffffffffL);
        }

        int readVarint() {
            int v = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                byte b = readByte();
                v |= (b & 0x7f) << shift;
                if (b >= 0) {
                    return v;
                }
            }
            throw new SerializationException("malformed varint at " + pos);
        }

        long readVarlong() {
            long v = 0;
            for (int shift = 0; shift < 70; shift += 7) {
                byte b = readByte();
                v |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return v;
                }
            }
            throw new SerializationException("malformed varlong at " + pos);
        }

        long readZigzag() {
            long v = readVarlong();
            return (v >>> 1) ^ -(v & 1);
        }

        int remaining() {
            return buf.length - pos;
        }
    }

    // ---- strings ------------------------------------------------------------------------------------------------

    /** Strings up to this many bytes go through the decode cache: names, tags and 64-character part hashes fit. */
    private static final int CACHED_MAX = 96;
    private static final int CACHE_SLOTS = 1024;

    private static final class StringCache {
        final byte[][] keys = new byte[CACHE_SLOTS][];
        final String[] values = new String[CACHE_SLOTS];
    }

    private static final ThreadLocal<StringCache> CACHE = ThreadLocal.withInitial(StringCache::new);

    static void writeString(Writer out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeVarint(b.length);
        out.writeBytes(b);
    }

    static String readString(Reader in) {
        int n = in.readVarint();
        in.need(n);
        byte[] buf = in.buf;
        int at = in.pos;
        in.pos += n;
        if (n > CACHED_MAX) {
            return new String(buf, at, n, StandardCharsets.UTF_8);
        }
        int h = 1;
        for (int i = at; i < at + n; i++) {
            h = 31 * h + buf[i];
        }
        int slot = (h ^ (h >>> 16)) & (CACHE_SLOTS - 1);
        StringCache cache = CACHE.get();
        byte[] key = cache.keys[slot];
        if (key != null && Arrays.equals(key, 0, key.length, buf, at, at + n)) {
            return cache.values[slot];
        }
        String s = new String(buf, at, n, StandardCharsets.UTF_8);
        cache.keys[slot] = Arrays.copyOfRange(buf, at, at + n);
        cache.values[slot] = s;
        return s;
    }

    /**
     * A string that rarely repeats (an entity key's value, a source record's key): read without the cache, where it
     * would only cost a copy and evict a name.
     */
    static String readValueString(Reader in) {
        int n = in.readVarint();
        in.need(n);
        String s = new String(in.buf, in.pos, n, StandardCharsets.UTF_8);
        in.pos += n;
        return s;
    }

    static void writeNullableString(Writer out, String s) {
        out.writeBoolean(s != null);
        if (s != null) {
            writeString(out, s);
        }
    }

    static String readNullableString(Reader in) {
        return in.readBoolean() ? readString(in) : null;
    }

    static void writeStrings(Writer out, Map<String, String> m) {
        out.writeVarint(m.size());
        for (Map.Entry<String, String> e : m.entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
    }

    static Map<String, String> readStrings(Reader in) {
        return readStringMap(in, true);
    }

    /** Entity keys: names repeat (cached), values rarely do. */
    static Map<String, String> readKeys(Reader in) {
        return readStringMap(in, false);
    }

    private static Map<String, String> readStringMap(Reader in, boolean valuesRepeat) {
        int n = count(in);
        Map<String, String> m = new LinkedHashMap<>(Math.max(4, n * 2));
        for (int i = 0; i < n; i++) {
            m.put(readString(in), valuesRepeat ? readString(in) : readValueString(in));
        }
        return m;
    }

    static void writeScalars(Writer out, Map<String, Object> m) {
        out.writeVarint(m.size());
        for (Map.Entry<String, Object> e : m.entrySet()) {
            writeString(out, e.getKey());
            writeScalar(out, e.getValue());
        }
    }

    static Map<String, Object> readScalars(Reader in) {
        int n = count(in);
        Map<String, Object> m = new LinkedHashMap<>(Math.max(4, n * 2));
        for (int i = 0; i < n; i++) {
            m.put(readString(in), readScalar(in));
        }
        return m;
    }

    /** A map size, bounded by the bytes left (every entry takes at least two) against corrupt input. */
    private static int count(Reader in) {
        int n = in.readVarint();
        if (n < 0 || n > (in.buf.length - in.pos) / 2) {
            throw new SerializationException("corrupt internal record: " + n + " entries in " + (in.buf.length - in.pos) + " bytes");
        }
        return n;
    }

    static void writeScalar(Writer out, Object v) {
        if (v == null) {
            out.writeByte(NULL);
        } else if (v instanceof Double d) {
            out.writeByte(DOUBLE);
            out.writeLong(Double.doubleToRawLongBits(d));
        } else if (v instanceof Long l) {
            out.writeByte(LONG);
            out.writeLong(l);
        } else if (v instanceof Boolean b) {
            out.writeByte(BOOLEAN);
            out.writeBoolean(b);
        } else if (v instanceof Integer i) {
            out.writeByte(INT);
            out.writeInt(i);
        } else if (v instanceof Float f) {
            out.writeByte(FLOAT);
            out.writeInt(Float.floatToRawIntBits(f));
        } else {
            out.writeByte(STRING);
            writeString(out, v.toString());
        }
    }

    /** As {@link #writeScalar}, with longs of up to 7 bytes written as {@link #LONG_VAR}: counts are mostly one byte. */
    static void writeScalarCompact(Writer out, Object v) {
        if (v instanceof Long l && (l << 8 >> 8) == l) {
            out.writeByte(LONG_VAR);
            out.writeZigzag(l);
        } else {
            writeScalar(out, v);
        }
    }

    static Object readScalar(Reader in) {
        return readScalar(in, in.readByte());
    }

    /** The scalar after its tag (read by the caller, which may use other tags of its own). */
    static Object readScalar(Reader in, byte tag) {
        return switch (tag) {
            case NULL -> null;
            case BOOLEAN -> in.readBoolean();
            case INT -> in.readInt();
            case LONG -> in.readLong();
            case FLOAT -> Float.intBitsToFloat(in.readInt());
            case DOUBLE -> Double.longBitsToDouble(in.readLong());
            case STRING -> readString(in);
            case LONG_VAR -> in.readZigzag();
            default -> throw new SerializationException("unknown scalar tag " + tag);
        };
    }

    static void writeRecord(Writer out, SourceRecord r) {
        out.writeBoolean(r != null);
        if (r == null) {
            return;
        }
        out.writeLong(r.ts());
        writeStrings(out, r.keys());
        writeScalars(out, r.values());
        out.writeBoolean(r.partHashes() != null);
        if (r.partHashes() != null) {
            writeStrings(out, r.partHashes());
        }
    }

    static SourceRecord readRecord(Reader in) {
        if (!in.readBoolean()) {
            return null;
        }
        long ts = in.readLong();
        Map<String, String> keys = readKeys(in);
        Map<String, Object> values = readScalars(in);
        Map<String, String> hashes = in.readBoolean() ? readStrings(in) : null;
        return new SourceRecord(ts, keys, values, hashes);
    }

    static Map<String, Object> copy(Map<String, Object> m) {
        return m == null ? null : new HashMap<>(m);
    }
}
