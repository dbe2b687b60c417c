package io.splice.streams.internal;

import io.splice.core.merge.RowState;
import io.splice.core.merge.SourceRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.util.Map;

/** Serde of the per-row state in the store and its changelog. The first byte is a format version. */
public final class RowStateSerde implements Serde<RowState> {
    private static final byte VERSION = 3; // 3: varint lengths

    @Override
    public Serializer<RowState> serializer() {
        return (topic, s) -> s == null ? null : write(s);
    }

    @Override
    public Deserializer<RowState> deserializer() {
        return (topic, data) -> data == null ? null : read(data);
    }

    public static byte[] write(RowState s) {
        BinaryCodec.Writer out = new BinaryCodec.Writer(256);
        out.writeByte(VERSION);
        out.writeLong(s.revision());
        out.writeBoolean(s.evicted());
        out.writeBoolean(s.live());
        if (s.live()) {
            BinaryCodec.writeScalars(out, s.lastValues());
            BinaryCodec.writeStrings(out, s.lastSources());
        }
        BinaryCodec.writeRecord(out, s.log());
        BinaryCodec.writeRecord(out, s.backfill());
        out.writeVarint(s.bootstraps().size());
        for (Map.Entry<String, SourceRecord> e : s.bootstraps().entrySet()) {
            BinaryCodec.writeString(out, e.getKey());
            BinaryCodec.writeRecord(out, e.getValue());
        }
        return out.toByteArray();
    }

    public static RowState read(byte[] data) {
        BinaryCodec.Reader in = new BinaryCodec.Reader(data);
        byte v = in.readByte();
        if (v != VERSION) {
            throw new SerializationException("unknown row-state version " + v + " (this build reads " + VERSION
                    + "; rebuild the state from its changelog after an upgrade: reset the app)");
        }
        RowState s = new RowState();
        long revision = in.readLong();
        s.restoreEvicted(in.readBoolean());
        if (in.readBoolean()) {
            s.restoreEmitted(BinaryCodec.readScalars(in), BinaryCodec.readStrings(in), revision);
        } else {
            s.restoreEmitted(null, null, revision);
        }
        s.log(BinaryCodec.readRecord(in));
        s.backfill(BinaryCodec.readRecord(in));
        int n = in.readVarint();
        for (int i = 0; i < n; i++) {
            s.bootstrap(BinaryCodec.readString(in), BinaryCodec.readRecord(in));
        }
        return s;
    }
}
