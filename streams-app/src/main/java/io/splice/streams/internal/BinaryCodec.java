package io.splice.streams.internal;

import io.splice.core.merge.SourceRecord;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Compact binary encoding of source records and scalar maps for internal topics and the state store. */
final class BinaryCodec {
    private static final byte NULL = 0, BOOLEAN = 1, INT = 2, LONG = 3, FLOAT = 4, DOUBLE = 5, STRING = 6;

    private BinaryCodec() {
    }

    static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static String readString(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    static void writeNullableString(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            writeString(out, s);
        }
    }

    static String readNullableString(DataInputStream in) throws IOException {
        return in.readBoolean() ? readString(in) : null;
    }

    static void writeStrings(DataOutputStream out, Map<String, String> m) throws IOException {
        out.writeInt(m.size());
        for (Map.Entry<String, String> e : m.entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
    }

    static Map<String, String> readStrings(DataInputStream in) throws IOException {
        int n = in.readInt();
        Map<String, String> m = new LinkedHashMap<>(Math.max(4, n * 2));
        for (int i = 0; i < n; i++) {
            m.put(readString(in), readString(in));
        }
        return m;
    }

    static void writeScalars(DataOutputStream out, Map<String, Object> m) throws IOException {
        out.writeInt(m.size());
        for (Map.Entry<String, Object> e : m.entrySet()) {
            writeString(out, e.getKey());
            writeScalar(out, e.getValue());
        }
    }

    static Map<String, Object> readScalars(DataInputStream in) throws IOException {
        int n = in.readInt();
        Map<String, Object> m = new LinkedHashMap<>(Math.max(4, n * 2));
        for (int i = 0; i < n; i++) {
            m.put(readString(in), readScalar(in));
        }
        return m;
    }

    static void writeScalar(DataOutputStream out, Object v) throws IOException {
        if (v == null) {
            out.writeByte(NULL);
        } else if (v instanceof Boolean b) {
            out.writeByte(BOOLEAN);
            out.writeBoolean(b);
        } else if (v instanceof Integer i) {
            out.writeByte(INT);
            out.writeInt(i);
        } else if (v instanceof Long l) {
            out.writeByte(LONG);
            out.writeLong(l);
        } else if (v instanceof Float f) {
            out.writeByte(FLOAT);
            out.writeFloat(f);
        } else if (v instanceof Double d) {
            out.writeByte(DOUBLE);
            out.writeDouble(d);
        } else {
            out.writeByte(STRING);
            writeString(out, v.toString());
        }
    }

    static Object readScalar(DataInputStream in) throws IOException {
        byte tag = in.readByte();
        return switch (tag) {
            case NULL -> null;
            case BOOLEAN -> in.readBoolean();
            case INT -> in.readInt();
            case LONG -> in.readLong();
            case FLOAT -> in.readFloat();
            case DOUBLE -> in.readDouble();
            case STRING -> readString(in);
            default -> throw new IOException("unknown scalar tag " + tag);
        };
    }

    static void writeRecord(DataOutputStream out, SourceRecord r) throws IOException {
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

    static SourceRecord readRecord(DataInputStream in) throws IOException {
        if (!in.readBoolean()) {
            return null;
        }
        long ts = in.readLong();
        Map<String, String> keys = readStrings(in);
        Map<String, Object> values = readScalars(in);
        Map<String, String> hashes = in.readBoolean() ? readStrings(in) : null;
        return new SourceRecord(ts, keys, values, hashes);
    }

    static Map<String, Object> copy(Map<String, Object> m) {
        return m == null ? null : new HashMap<>(m);
    }
}
