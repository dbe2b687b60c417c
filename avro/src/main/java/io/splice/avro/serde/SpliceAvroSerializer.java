package io.splice.avro.serde;

import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes a specific Avro record in the Confluent wire format, registering its schema under the
 * {@code TopicNameStrategy} subject ({@code <topic>-value}, or {@code <topic>-key} for keys).
 */
public final class SpliceAvroSerializer<T extends SpecificRecord> implements Serializer<T> {
    private SchemaRegistryClient client;
    private boolean isKey;
    private boolean autoRegister = true;
    /** Ids by topic and writer schema (by content: two versions of one record get their own ids). */
    private final Map<SubjectSchema, Integer> ids = new ConcurrentHashMap<>();

    private record SubjectSchema(String topic, org.apache.avro.Schema schema) {
    }
    private final Map<Class<?>, SpecificDatumWriter<T>> writers = new ConcurrentHashMap<>();
    private final ThreadLocal<ByteArrayOutputStream> buffers = ThreadLocal.withInitial(() -> new ByteArrayOutputStream(256));
    private final ThreadLocal<BinaryEncoder> encoders = new ThreadLocal<>();

    /** For Kafka's reflective construction; {@link #configure} supplies the registry. */
    public SpliceAvroSerializer() {
    }

    public SpliceAvroSerializer(SchemaRegistryClient client) {
        this.client = client;
    }

    public SpliceAvroSerializer(SchemaRegistryClient client, boolean isKey) {
        this.client = client;
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (client == null) {
            client = SpliceSerdeConfig.client(configs);
        }
        this.isKey = isKey;
        this.autoRegister = SpliceSerdeConfig.autoRegister(configs);
    }

    /** The subject a record on {@code topic} is registered under. */
    public String subject(String topic) {
        return topic + (isKey ? "-key" : "-value");
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        int id = ids.computeIfAbsent(new SubjectSchema(topic, data.getSchema()), t -> autoRegister
                ? client.register(subject(topic), data.getSchema())
                : client.lookup(subject(topic), data.getSchema()));
        ByteArrayOutputStream out = buffers.get();
        out.reset();
        out.write(WireFormat.MAGIC);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        try {
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, encoders.get());
            encoders.set(encoder);
            writer(data).write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Cannot write " + data.getSchema().getName() + " to topic '" + topic + "': "
                    + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    @SuppressWarnings("unchecked")
    private SpecificDatumWriter<T> writer(T data) {
        return writers.computeIfAbsent(data.getClass(), c -> new SpecificDatumWriter<>((Class<T>) c));
    }
}
