package io.splice.avro.serde;

import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Reads the Confluent wire format into one of the expected specific record classes. The writer schema comes from
 * the registry by id; Avro schema resolution maps it onto the compiled reader schema, so producers may evolve
 * compatibly. A payload whose writer schema is none of the expected record types is refused with a clear error.
 */
public final class SpliceAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
    private SchemaRegistryClient client;
    private final List<Class<? extends T>> expected;
    private final Map<Integer, SpecificDatumReader<T>> readersById = new ConcurrentHashMap<>();
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

    @SafeVarargs
    public SpliceAvroDeserializer(SchemaRegistryClient client, Class<? extends T>... expected) {
        this.client = client;
        this.expected = List.of(expected);
    }

    @SafeVarargs
    public static <T extends SpecificRecord> SpliceAvroDeserializer<T> of(SchemaRegistryClient client, Class<? extends T>... expected) {
        return new SpliceAvroDeserializer<>(client, expected);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (client == null) {
            client = SpliceSerdeConfig.client(configs);
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        int id = WireFormat.schemaId(data);
        SpecificDatumReader<T> reader = readersById.computeIfAbsent(id, this::readerFor);
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_SIZE,
                    data.length - WireFormat.HEADER_SIZE, decoders.get());
            decoders.set(decoder);
            T record = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new SerializationException("Avro body for schema id " + id + " has "
                        + (data.length - WireFormat.HEADER_SIZE) + " bytes but the record ends earlier (trailing bytes)");
            }
            return record;
        } catch (IOException | RuntimeException e) {
            if (e instanceof SerializationException se) {
                throw se;
            }
            throw new SerializationException("Malformed Avro body for schema id " + id + " ("
                    + reader.getSchema().getName() + ") on topic '" + topic + "': "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    private SpecificDatumReader<T> readerFor(int id) {
        Schema writer = client.getById(id);
        for (Class<? extends T> c : expected) {
            Schema reader = SpecificData.get().getSchema(c);
            if (reader.getFullName().equals(writer.getFullName()) || writer.getAliases().contains(reader.getFullName())) {
                return new SpecificDatumReader<>(writer, reader);
            }
        }
        List<String> names = new ArrayList<>();
        expected.forEach(c -> names.add(SpecificData.get().getSchema(c).getName()));
        throw new SerializationException("Schema id " + id + " is a " + writer.getFullName() + ", expected "
                + names.stream().collect(Collectors.joining(" or ")));
    }
}
