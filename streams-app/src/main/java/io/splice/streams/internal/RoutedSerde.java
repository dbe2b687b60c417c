package io.splice.streams.internal;

import io.splice.core.merge.SourceKind;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** Serde of routed source records on the log repartition topics (internal: versioned, not registry-bound). */
public final class RoutedSerde implements Serde<Routed> {
    private static final byte VERSION = 1;

    @Override
    public Serializer<Routed> serializer() {
        return (topic, r) -> {
            if (r == null) {
                return null;
            }
            if (r.isDead()) {
                throw new SerializationException("dead letters are not repartitioned");
            }
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeByte(VERSION);
                BinaryCodec.writeString(out, r.joinId());
                out.writeByte(r.kind().ordinal());
                BinaryCodec.writeString(out, r.topic());
                BinaryCodec.writeRecord(out, r.record());
                out.flush();
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new SerializationException(e);
            }
        };
    }

    @Override
    public Deserializer<Routed> deserializer() {
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            try {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
                byte v = in.readByte();
                if (v != VERSION) {
                    throw new SerializationException("unknown routed-record version " + v);
                }
                String join = BinaryCodec.readString(in);
                SourceKind kind = SourceKind.values()[in.readByte()];
                String src = BinaryCodec.readString(in);
                return Routed.of(join, kind, src, BinaryCodec.readRecord(in));
            } catch (IOException e) {
                throw new SerializationException(e);
            }
        };
    }
}
