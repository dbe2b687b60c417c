package io.splice.connectors.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.splice.avro.serde.InMemorySchemaRegistryClient;
import io.splice.avro.serde.SchemaRegistryException;
import org.apache.avro.Schema;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Confluent-API schema registry on loopback serving {@code GET /schemas/ids/{id}} from the tests' in-memory
 * registry, which can be switched to answer 503, to drop connections (down), or to answer normally.
 */
public final class RegistryStub implements AutoCloseable {
    public enum Mode { UP, UNAVAILABLE, DOWN }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final InMemorySchemaRegistryClient schemas = InMemorySchemaRegistryClient.forScope(TestData.REGISTRY_SCOPE);
    private volatile Mode mode = Mode.UP;
    public final AtomicInteger calls = new AtomicInteger();

    public RegistryStub() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/", this::handle);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public RegistryStub mode(Mode m) {
        this.mode = m;
        return this;
    }

    private void handle(HttpExchange ex) throws IOException {
        calls.incrementAndGet();
        try (ex) {
            switch (mode) {
                case DOWN -> {
                    return; // closed without an answer: the client sees an I/O error, as with a registry that is down
                }
                case UNAVAILABLE -> {
                    send(ex, 503, "{\"error_code\":50301,\"message\":\"Service Unavailable\"}");
                    return;
                }
                default -> {
                }
            }
            String path = ex.getRequestURI().getPath();
            if (!ex.getRequestMethod().equals("GET") || !path.startsWith("/schemas/ids/")) {
                send(ex, 404, "{\"error_code\":404,\"message\":\"not served by the stub\"}");
                return;
            }
            Schema s;
            try {
                s = schemas.getById(Integer.parseInt(path.substring("/schemas/ids/".length())));
            } catch (SchemaRegistryException | NumberFormatException e) {
                send(ex, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
                return;
            }
            ObjectNode body = JSON.createObjectNode();
            body.put("schema", s.toString());
            send(ex, 200, body.toString());
        }
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
