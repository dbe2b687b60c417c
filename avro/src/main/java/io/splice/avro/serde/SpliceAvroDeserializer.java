package io.splice.avro.serde;

import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
                return new StringReader<>(writer, reader);
            }
        }
        List<String> names = new ArrayList<>();
        expected.forEach(c -> names.add(SpecificData.get().getSchema(c).getName()));
        throw new SerializationException("Schema id " + id + " is a " + writer.getFullName() + ", expected "
                + names.stream().collect(Collectors.joining(" or ")));
    }

    /**
     * A specific reader that reads the compiled classes' strings (all {@code java.lang.String}: the avro module
     * generates them with {@code stringType String}) straight from the decoder. Avro's own path looks the string
     * class up per string read, allocating a key into a concurrent map each time: 4% of the stitch's stream-thread
     * samples (bench/stitch). The reader schema's string schemas are collected once; any other falls back.
     */
    static final class StringReader<T> extends SpecificDatumReader<T> {
        private final Set<Schema> javaStrings = Collections.newSetFromMap(new IdentityHashMap<>());

        StringReader(Schema writer, Schema reader) {
            super(writer, reader);
            collect(reader, Collections.newSetFromMap(new IdentityHashMap<>()));
        }

        private void collect(Schema s, Set<Schema> seen) {
            if (!seen.add(s)) {
                return;
            }
            switch (s.getType()) {
                case STRING -> {
                    if (findStringClass(s) == String.class) {
                        javaStrings.add(s);
                    }
                }
                case RECORD -> s.getFields().forEach(f -> collect(f.schema(), seen));
                case MAP -> { // its keys: Avro asks for a map's string class with the map's schema
                    if (findStringClass(s) == String.class) {
                        javaStrings.add(s);
                    }
                    collect(s.getValueType(), seen);
                }
                case ARRAY -> collect(s.getElementType(), seen);
                case UNION -> s.getTypes().forEach(t -> collect(t, seen));
                default -> {
                }
            }
        }

        @Override
        protected Object readString(Object old, Schema expected, Decoder in) throws IOException {
            return javaStrings.contains(expected) ? in.readString() : super.readString(old, expected, in);
        }
    }
}
