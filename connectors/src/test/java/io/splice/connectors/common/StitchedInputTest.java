package io.splice.connectors.common;

import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.connectors.testing.RegistryStub;
import io.splice.connectors.testing.TestData;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.merge.BadRecordException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Map;

import static io.splice.connectors.testing.TestData.DAY1;
import static io.splice.connectors.testing.TestData.TOPIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a sink record decodes to, and which failures are the record's fault (dead letter) or the registry's (retry). */
class StitchedInputTest {

    private static StitchedInput input(String registryUrl) {
        Topics topics = new Topics("splice");
        return new StitchedInput(DefinitionsLoader.parse(TestData.DEFINITIONS, "test", topics), topics,
                SpliceSerdeConfig.client(Map.of(SpliceSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl)));
    }

    private static SinkRecord good() {
        return TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r1", TestData.payment("r1", "c1", DAY1, 1, 1, 1.0));
    }

    @Test
    void aRegistryOutageIsRetriableNotABadRecord() {
        try (RegistryStub registry = new RegistryStub()) {
            StitchedInput in = input(registry.url());

            // A registry answering 503, then one dropping connections: the record is not at fault
            registry.mode(RegistryStub.Mode.UNAVAILABLE);
            RetriableException unavailable = assertThrows(RetriableException.class, () -> in.decode(good()));
            assertTrue(unavailable.getMessage().contains("503"), unavailable.getMessage());
            registry.mode(RegistryStub.Mode.DOWN);
            assertThrows(RetriableException.class, () -> in.decode(good()));

            // Once it answers again the same record decodes
            registry.mode(RegistryStub.Mode.UP);
            assertEquals("c1", in.decode(good()).value().getKeys().get("card_id"));
        }
    }

    @Test
    void anUnknownSchemaIdOrBadBytesAreStillUndecodable() {
        try (RegistryStub registry = new RegistryStub()) {
            StitchedInput in = input(registry.url());
            byte[] unknownId = ByteBuffer.allocate(9).put((byte) 0).putInt(987_654).put(new byte[4]).array();
            BadRecordException e404 = assertThrows(BadRecordException.class,
                    () -> in.decode(TestData.rawRecord(TOPIC, 0, 1, DAY1, "r1", unknownId)));
            assertEquals(BadRecordException.UNDECODABLE, e404.reason());
            BadRecordException notAvro = assertThrows(BadRecordException.class,
                    () -> in.decode(TestData.rawRecord(TOPIC, 0, 2, DAY1, "r1", TestData.utf8("not avro"))));
            assertEquals(BadRecordException.UNDECODABLE, notAvro.reason());
        }
    }
}
