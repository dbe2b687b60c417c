package io.splice.local;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("EmbeddedSchemaRegistry")
class EmbeddedSchemaRegistryTest {

    static final String AVRO_SCHEMA = "{\"type\":\"record\",\"name\":\"Thing\",\"namespace\":\"io.splice.test\","
            + "\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"n\",\"type\":\"long\"}]}";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private EmbeddedSchemaRegistry registry;

    @AfterEach
    void closeRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    @DisplayName("accepts an Avro schema under a subject and serves it back by id; close() ends the process")
    void registerAndFetch() throws Exception {
        // given a started registry
        Path jar = EmbeddedSchemaRegistry.locateJar();
        long t0 = System.nanoTime();
        registry = new EmbeddedSchemaRegistry(jar).start();
        System.out.printf("registry started in %d ms at %s%n", (System.nanoTime() - t0) / 1_000_000, registry.url());
        assertTrue(registry.url().matches("http://127\\.0\\.0\\.1:\\d+/apis/ccompat/v6"), registry.url());

        // when an Avro schema is registered under x-value
        int id = register(registry.url(), "x-value", AVRO_SCHEMA);

        // then it is served back by id
        HttpResponse<String> byId = get(registry.url() + "/schemas/ids/" + id);
        assertEquals(200, byId.statusCode());
        assertTrue(byId.body().contains("io.splice.test") && byId.body().contains("Thing"), byId.body());
        assertTrue(get(registry.url() + "/subjects").body().contains("x-value"));

        // and when it is closed, the process is gone and the port refuses connections
        String url = registry.url();
        registry.close();
        assertFalse(registry.isRunning());
        assertThrows(ConnectException.class, () -> get(url + "/subjects"));
    }

    @Test
    @DisplayName("the jar named by -Dsplice.registry.jar wins; a missing one is an error")
    void locateJarHonoursSystemProperty(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        String before = System.getProperty(EmbeddedSchemaRegistry.JAR_PROPERTY);
        try {
            // given a jar named explicitly
            Path jar = java.nio.file.Files.createFile(tmp.resolve("my-registry.jar"));
            System.setProperty(EmbeddedSchemaRegistry.JAR_PROPERTY, jar.toString());
            // when / then
            assertEquals(jar.toAbsolutePath(), EmbeddedSchemaRegistry.locateJar());

            // given a missing one
            System.setProperty(EmbeddedSchemaRegistry.JAR_PROPERTY, tmp.resolve("missing.jar").toString());
            // when / then
            assertThrows(IllegalStateException.class, EmbeddedSchemaRegistry::locateJar);
        } finally {
            if (before == null) {
                System.clearProperty(EmbeddedSchemaRegistry.JAR_PROPERTY);
            } else {
                System.setProperty(EmbeddedSchemaRegistry.JAR_PROPERTY, before);
            }
        }
    }

    static int register(String registryUrl, String subject, String avroSchema) throws IOException, InterruptedException {
        String body = "{\"schema\":" + jsonString(avroSchema) + "}";
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(registryUrl + "/subjects/" + subject + "/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        Matcher m = Pattern.compile("\"id\"\\s*:\\s*(\\d+)").matcher(response.body());
        assertTrue(m.find(), response.body());
        return Integer.parseInt(m.group(1));
    }

    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String jsonString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
