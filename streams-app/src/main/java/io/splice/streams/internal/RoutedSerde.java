package io.splice.streams.internal;

import io.splice.core.merge.SourceKind;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;


/** Serde of routed source records on the log repartition topics (internal: versioned, not registry-bound). */
public final class RoutedSerde implements Serde<Routed> {
    private static final byte VERSION = 2; // 2: varint lengths
    private static final SourceKind[] KINDS = SourceKind.values();

    @Override
    public Serializer<Routed> serializer() {
        return (topic, r) -> {
            if (r == null) {
                return null;
            }
            if (r.isDead()) {
                throw new SerializationException("dead letters are not repartitioned");
            }
            BinaryCodec.Writer out = new BinaryCodec.Writer(256);
            out.writeByte(VERSION);
            BinaryCodec.writeString(out, r.joinId());
            out.writeByte(r.kind().ordinal());
            BinaryCodec.writeString(out, r.topic());
            BinaryCodec.writeNullableString(out, r.sourceKey());
            BinaryCodec.writeRecord(out, r.record());
            return out.toByteArray();
        };
    }

    @Override
    public Deserializer<Routed> deserializer() {
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            BinaryCodec.Reader in = new BinaryCodec.Reader(data);
            byte v = in.readByte();
            if (v != VERSION) {
                throw new SerializationException("unknown routed-record version " + v);
            }
            String join = BinaryCodec.readString(in);
            int kind = in.readByte();
            if (kind < 0 || kind >= KINDS.length) {
                throw new SerializationException("unknown source kind " + kind);
            }
            String src = BinaryCodec.readString(in);
            String sourceKey = in.readBoolean() ? BinaryCodec.readValueString(in) : null; // a card id, a request id: rarely repeats
            return Routed.of(join, KINDS[kind], src, sourceKey, BinaryCodec.readRecord(in));
        };
    }
}
