package io.splice.connectors.common;

import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SchemaRegistryException;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.merge.BadRecordException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns a sink record of a {@code splice.stitched.<name>.<version>} topic into its join and its
 * {@link StitchedRecord} (null for a tombstone). The value must reach the task as the raw Confluent wire format
 * bytes ({@code value.converter=org.apache.kafka.connect.converters.ByteArrayConverter}); the key is the row key
 * as a UTF-8 string ({@code StringConverter} or {@code ByteArrayConverter}).
 */
public final class StitchedInput {
    private final Definitions definitions;
    private final Map<String, JoinDefinition> byTopic = new HashMap<>();
    private final SpliceAvroDeserializer<StitchedRecord> deserializer;

    public StitchedInput(Definitions definitions, Topics topics, SchemaRegistryClient registry) {
        this.definitions = definitions;
        for (JoinDefinition j : definitions.joins()) {
            byTopic.put(topics.stitched(j), j);
        }
        this.deserializer = SpliceAvroDeserializer.of(registry, StitchedRecord.class);
    }

    /** One decoded input record. {@code value} is null for a tombstone. */
    public record Decoded(SinkRecord record, JoinDefinition join, String rowKey, StitchedRecord value) {
        public boolean isTombstone() {
            return value == null;
        }
    }

    /**
     * Decodes {@code r}; a record that cannot be used throws {@link BadRecordException} with the reason. A schema
     * registry that cannot be reached or answers 5xx/429 throws {@link RetriableException}: the record is not at
     * fault, so it must be retried, never dead-lettered. Callers decode a whole batch before acting on any of it,
     * so that Connect can deliver the same batch again.
     */
    public Decoded decode(SinkRecord r) {
        String key = keyString(r.key());
        Object raw = r.value();
        if (raw == null) {
            JoinDefinition join = byTopic.get(r.topic());
            if (join == null) {
                throw new BadRecordException("unknown-join", "tombstone on topic '" + r.topic()
                        + "', which is not the stitched topic of any join in the definitions");
            }
            if (key == null || key.isEmpty()) {
                throw new BadRecordException(BadRecordException.MISSING_KEY, "tombstone without a row key");
            }
            return new Decoded(r, join, key, null);
        }
        if (!(raw instanceof byte[] bytes)) {
            throw new DataException("The Splice sinks read the raw Avro bytes: set value.converter="
                    + "org.apache.kafka.connect.converters.ByteArrayConverter (got a " + raw.getClass().getName() + ")");
        }
        StitchedRecord value;
        try {
            value = deserializer.deserialize(r.topic(), bytes);
        } catch (RuntimeException e) {
            SchemaRegistryException outage = registryOutage(e);
            if (outage != null) {
                throw new RetriableException("Schema registry unavailable while decoding " + r.topic() + "-"
                        + r.kafkaPartition() + "@" + r.kafkaOffset() + " (retried, not dead-lettered): "
                        + outage.getMessage(), e);
            }
            throw new BadRecordException(BadRecordException.UNDECODABLE, "not a StitchedRecord in the Confluent wire "
                    + "format: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        JoinDefinition join = definitions.join(value.getJoin(), value.getVersion()).orElseThrow(() ->
                new BadRecordException("unknown-join", "record of join " + value.getJoin() + "." + value.getVersion()
                        + ", which the definitions do not name"));
        String rowKey = key == null || key.isEmpty() ? value.getRowKey() : key;
        if (rowKey == null || rowKey.isEmpty()) {
            throw new BadRecordException(BadRecordException.MISSING_KEY, "record without a row key");
        }
        return new Decoded(r, join, rowKey, value);
    }

    /**
     * The registry failure behind {@code e} if it is an outage (unreachable, timeout, 5xx, 429), else null. An unknown
     * schema id (404) or a schema that is not Avro is the record's fault. Same rule as the stitching app's RouterBase.
     */
    static SchemaRegistryException registryOutage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SchemaRegistryException sre) {
                int s = sre.status();
                return s < 0 || s >= 500 || s == 429 ? sre : null;
            }
        }
        return null;
    }

    private static String keyString(Object key) {
        if (key == null) {
            return null;
        }
        if (key instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        return key.toString();
    }
}
