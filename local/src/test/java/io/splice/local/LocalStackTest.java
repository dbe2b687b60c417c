package io.splice.local;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("LocalStack")
class LocalStackTest {

    @Test
    @DisplayName("starts Kafka with its topics and the registry, and close() stops both")
    void startsAndStops() throws Exception {
        // given / when
        String registryUrl;
        Path kafkaDir;
        try (LocalStack stack = LocalStack.builder()
                .withKafka()
                .withTopics(TopicSpec.compacted("features", 2))
                .withSchemaRegistry()
                .start()) {
            registryUrl = stack.schemaRegistryUrl();
            kafkaDir = stack.kafka().orElseThrow().dataDirectory();

            // then both answer on loopback
            assertTrue(stack.bootstrapServers().startsWith("127.0.0.1:"));
            assertTrue(registryUrl.startsWith("http://127.0.0.1:"));
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
                assertTrue(admin.listTopics().names().get(30, TimeUnit.SECONDS).contains("features"));
            }
            assertEquals(200, EmbeddedSchemaRegistryTest.get(registryUrl + "/subjects").statusCode());
            assertEquals(2, stack.endpoints().size());
        }

        // then after close nothing is left
        assertThrows(ConnectException.class, () -> EmbeddedSchemaRegistryTest.get(registryUrl + "/subjects"));
        assertFalse(Files.exists(kafkaDir));
    }

    @Test
    @DisplayName("a component not chosen has no endpoint")
    void optionalComponents() {
        // given a stack with nothing in it
        try (LocalStack stack = LocalStack.builder().start()) {
            // then
            assertTrue(stack.kafka().isEmpty());
            assertThrows(IllegalStateException.class, stack::bootstrapServers);
            assertThrows(IllegalStateException.class, stack::schemaRegistryUrl);
        }
    }
}
