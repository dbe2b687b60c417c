package io.splice.avro.serde;

import org.apache.kafka.common.errors.SerializationException;

import java.nio.ByteBuffer;

/** The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro binary body. */
public final class WireFormat {
    public static final byte MAGIC = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    public static byte[] frame(int schemaId, byte[] avro) {
        ByteBuffer buf = ByteBuffer.allocate(HEADER_SIZE + avro.length);
        buf.put(MAGIC).putInt(schemaId).put(avro);
        return buf.array();
    }

    /** Returns the schema id of a framed payload, or throws naming what is wrong with the frame. */
    public static int schemaId(byte[] framed) {
        if (framed.length < HEADER_SIZE) {
            throw new SerializationException("Payload of " + framed.length
                    + " bytes is too short for the Confluent wire format (magic byte + 4-byte schema id)");
        }
        if (framed[0] != MAGIC) {
            throw new SerializationException(String.format(
                    "Unknown magic byte 0x%02x: not the Confluent Avro wire format", framed[0] & 0xff));
        }
        return ByteBuffer.wrap(framed, 1, 4).getInt();
    }
}
