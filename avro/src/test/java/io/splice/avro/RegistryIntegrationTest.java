package io.splice.avro;

import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.avro.serde.SchemaRegistryException;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The serde against the real Apicurio registry (Confluent API) started by {@code local}. */
@ExtendWith(SpliceStackExtension.class)
class RegistryIntegrationTest {

    @Test
    void allThreeRecordsRoundTripThroughTheRealRegistry(StackEndpoints stack) {
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        String topic = "rt-" + UUID.randomUUID();
        List<SpecificRecord> records = List.of(
                SerdeTest.fetchLog(),
                FeatureRow.newBuilder().setRowKey("r1").setTs(1L).setKeys(Map.of("card_id", "c1"))
                        .setValues(Map.of("cnt", 3L)).setPartHashes(Map.of("card_txn", "h")).build(),
                StitchedRecord.newBuilder().setJoin("p").setVersion("v1").setRowKey("r1").setTs(1L).setKeys(Map.of())
                        .setValues(Map.of("cnt", 3L)).setSources(Map.of("cnt", "log")).setPartHashes(Map.of())
                        .setRevision(1L).setStitchedAt(2L).build());
        for (SpecificRecord r : records) {
            String t = topic + "-" + r.getSchema().getName();
            byte[] bytes = new SpliceAvroSerializer<>(client).serialize(t, r);
            // a second client with empty caches fetches the schema by id from the server
            HttpSchemaRegistryClient fresh = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
            @SuppressWarnings("unchecked")
            Class<? extends SpecificRecord> type = (Class<? extends SpecificRecord>) r.getClass();
            assertEquals(r, SpliceAvroDeserializer.<SpecificRecord>of(fresh, type).deserialize(t, bytes));
            assertEquals(client.lookup(t + "-value", r.getSchema()), fresh.lookup(t + "-value", r.getSchema()));
        }
    }

    @Test
    void unknownIdsAndIncompatibleSchemasAreClearErrors(StackEndpoints stack) {
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        SchemaRegistryException unknown = assertThrows(SchemaRegistryException.class, () -> client.getById(987654));
        assertEquals(404, unknown.status());
        assertTrue(unknown.getMessage().contains("987654"), unknown.getMessage());

        String subject = "compat-" + UUID.randomUUID() + "-value";
        Schema v1 = SchemaBuilder.record("R").fields().requiredString("a").endRecord();
        Schema incompatible = SchemaBuilder.record("R").fields().requiredLong("a").endRecord();
        client.register(subject, v1);
        client.setCompatibility(subject, "BACKWARD");
        // BACKWARD: an optional new field is fine, a changed type is refused
        Schema evolved = SchemaBuilder.record("R").fields().requiredString("a").optionalString("b").endRecord();
        assertTrue(client.register(subject, evolved) > 0);
        SchemaRegistryException refused = assertThrows(SchemaRegistryException.class, () -> client.register(subject, incompatible));
        assertEquals(409, refused.status(), refused.getMessage());
        assertTrue(refused.getMessage().contains(subject), refused.getMessage());
    }
}
