package io.splice.local;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

@DisplayName("SpliceStackExtension")
@ExtendWith(SpliceStackExtension.class)
class SpliceStackExtensionTest {

    private static StackEndpoints outer;
    private static StackEndpoints nested;

    @AfterAll
    static void oneStackPerJvm() {
        // then the outer and the nested test class got the very same stack
        assertNotNull(outer);
        assertSame(outer, nested);
    }

    @Test
    @DisplayName("resolves a Kafka broker and a schema registry that answer")
    void resolvesEndpoints(StackEndpoints stack) throws Exception {
        // given the injected endpoints
        outer = stack;

        // when a client talks to them
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            // then the broker answers
            assertFalse(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).isEmpty());
        }
        // and the registry answers
        int id = EmbeddedSchemaRegistryTest.register(stack.schemaRegistryUrl(), "ext-value", EmbeddedSchemaRegistryTest.AVRO_SCHEMA);
        assertEquals(200, EmbeddedSchemaRegistryTest.get(stack.schemaRegistryUrl() + "/schemas/ids/" + id).statusCode());
    }

    @Nested
    @DisplayName("in another test class")
    class Shared {
        @Test
        @DisplayName("gives the same endpoints: one stack per JVM")
        void sameStack(StackEndpoints stack) {
            // given / when
            nested = stack;
            // then (see oneStackPerJvm)
            assertNotNull(stack);
        }
    }
}
