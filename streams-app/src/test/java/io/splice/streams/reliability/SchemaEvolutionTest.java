package io.splice.streams.reliability;

import io.splice.avro.FetchLog;
import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.avro.serde.SchemaRegistryException;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.TestApp;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.SpliceRuntime;
import io.splice.testing.Kafka;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #8 (4): with the log subject at BACKWARD compatibility, a producer adds an optional field to {@code FetchLog}
 * and the running app keeps stitching (Avro resolves the new writer schema onto the app's reader schema); an
 * incompatible schema is refused by the registry, and the producer gets a clear error naming the subject.
 */
@Tag(Reliability.TAG)
@ExtendWith(SpliceStackExtension.class)
class SchemaEvolutionTest {
    static final Schema V2 = evolve(new Schema.Field("client_version", Schema.createUnion(Schema.create(Schema.Type.NULL),
            Schema.create(Schema.Type.STRING)), "Added by a newer producer; optional.", Schema.Field.NULL_DEFAULT_VALUE));
    static final Schema INCOMPATIBLE = evolve(new Schema.Field("region", Schema.create(Schema.Type.STRING),
            "Required and without a default: old logs could not be read with it.", (Object) null));

    /** A producer's newer FetchLog: the generated fields plus an optional {@code client_version}. */
    public static final class FetchLogV2 extends Fields {
        public static final Schema SCHEMA$ = V2;

        FetchLogV2(FetchLog base, String clientVersion) {
            super(V2, base);
            put(V2.getField("client_version").pos(), clientVersion);
        }
    }

    /** A FetchLog with a new required field: not BACKWARD compatible. */
    public static final class FetchLogIncompatible extends Fields {
        public static final Schema SCHEMA$ = INCOMPATIBLE;

        FetchLogIncompatible(FetchLog base) {
            super(INCOMPATIBLE, base);
            put(INCOMPATIBLE.getField("region").pos(), "eu");
        }
    }

    @Test
    void anOptionalFieldKeepsTheAppStitchingAndAnIncompatibleSchemaIsRefused(StackEndpoints stack, @TempDir Path tmp) throws Exception {
        String prefix = Kafka.uniquePrefix("evo");
        Workload w = new Workload(prefix);
        Map<String, Object> props = TestApp.props(stack.bootstrapServers(), stack.schemaRegistryUrl(), prefix, 2, tmp.resolve("state"));
        TestApp.createTopics(w.definitions, props);
        HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        String subject = w.topics.fetchLog() + "-value";
        Map<String, Object> producerProps = Map.of("bootstrap.servers", stack.bootstrapServers(), "acks", "all");
        Map<String, Object> client = Map.of("bootstrap.servers", stack.bootstrapServers());
        List<String> transitions = new ArrayList<>();
        try (SpliceRuntime app = new SpliceRuntime(w.definitions, new SpliceStreamsConfig(props))
                .onStateChange((now, before) -> transitions.add(before + "->" + now)).start();
             StitchedView.KafkaReader reader = new StitchedView.KafkaReader(client, registry, w.stitchedTopic())) {
            // Given logs written with the app's own FetchLog schema, and the subject at BACKWARD
            try (KafkaProducer<String, FetchLog> v1 = new KafkaProducer<>(producerProps, new StringSerializer(),
                    new SpliceAvroSerializer<>(registry))) {
                for (int i = 0; i < 5; i++) {
                    v1.send(new ProducerRecord<>(w.topics.fetchLog(), "c", log(w, "v1-" + i, i))).get();
                }
            }
            registry.setCompatibility(subject, "BACKWARD");
            await().atMost(Duration.ofMinutes(1)).until(() -> reader.poll().latest.size() == 5);

            // When a newer producer adds an optional field (a new schema version under the same subject)
            try (KafkaProducer<String, FetchLogV2> v2 = new KafkaProducer<>(producerProps, new StringSerializer(),
                    new SpliceAvroSerializer<>(registry))) {
                for (int i = 0; i < 5; i++) {
                    v2.send(new ProducerRecord<>(w.topics.fetchLog(), "c", new FetchLogV2(log(w, "v2-" + i, 10 + i), "2.1." + i))).get();
                }
            }
            assertNotEquals(registry.lookup(subject, FetchLog.getClassSchema()), registry.lookup(subject, V2), "a new version");

            // Then the running app stitches the new logs as well
            await().atMost(Duration.ofMinutes(1)).until(() -> reader.poll().latest.size() == 10);
            assertTrue(reader.view.latest.get("v2-3").contains("risk=13.0"), reader.view.latest.get("v2-3"));
            assertEquals(List.of(), reader.view.violations);

            // When a producer tries a schema that is not BACKWARD compatible
            SerializationException refused;
            try (KafkaProducer<String, FetchLogIncompatible> v3 = new KafkaProducer<>(producerProps, new StringSerializer(),
                    new SpliceAvroSerializer<>(registry))) {
                refused = assertThrows(SerializationException.class, () -> v3.send(new ProducerRecord<>(w.topics.fetchLog(), "c",
                        new FetchLogIncompatible(log(w, "v3", 20)))));
            }
            // Then the registry refuses it with HTTP 409 naming the subject, at the producer, and nothing was written
            SchemaRegistryException cause = refused instanceof SchemaRegistryException s ? s : (SchemaRegistryException) refused.getCause();
            assertEquals(409, cause.status(), refused.getMessage());
            assertTrue(refused.getMessage().contains("409") && refused.getMessage().contains(subject), refused.getMessage());
            assertEquals(KafkaStreams.State.RUNNING, app.streams().state());
            assertTrue(transitions.stream().noneMatch(t -> t.startsWith("RUNNING->")), transitions.toString());
            assertEquals(0L, endOffset(stack, w.topics.dlq()), "nothing was dead-lettered");
            System.out.printf("schema evolution: 5 v1 + 5 v2 (optional client_version) logs stitched by the running app; "
                    + "incompatible schema refused: %s%n", refused.getMessage());
        }
    }

    private static FetchLog log(Workload w, String row, int i) {
        return FetchLog.newBuilder().setJoin("payments").setVersion("v1").setTs(Workload.BASE_TS + i)
                .setKeys(Map.of("card_id", "c")).setContext(Map.of("request_id", row)).setValues(new HashMap<>(Map.of("risk", (double) i)))
                .setPartHashes(Map.of("risk_ext", w.hashes.get("risk_ext"))).build();
    }

    private static long endOffset(StackEndpoints stack, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", stack.bootstrapServers()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            return c.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** FetchLog's schema with one more field. */
    static Schema evolve(Schema.Field extra) {
        Schema base = FetchLog.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : base.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(extra);
        return Schema.createRecord(base.getName(), base.getDoc(), base.getNamespace(), false, fields);
    }

    /** A specific record over a runtime schema (what a producer with a newer generated class would send). */
    abstract static class Fields extends SpecificRecordBase {
        private final Schema schema;
        private final Object[] values;

        Fields(Schema schema, FetchLog base) {
            this.schema = schema;
            this.values = new Object[schema.getFields().size()];
            for (Schema.Field f : FetchLog.getClassSchema().getFields()) {
                values[schema.getField(f.name()).pos()] = base.get(f.pos());
            }
        }

        @Override
        public Schema getSchema() {
            return schema;
        }

        @Override
        public Object get(int field) {
            return values[field];
        }

        @Override
        public void put(int field, Object value) {
            values[field] = value;
        }
    }
}
