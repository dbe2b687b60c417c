package io.splice.avro.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Client for any registry speaking the Confluent REST API (Confluent, Apicurio {@code /apis/ccompat/v6},
 * Karapace, Redpanda). Ids and schemas are cached: a schema is fetched once per id and registered once per subject.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final String authorization;
    private final HttpClient http;
    private final Duration timeout;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

    public HttpSchemaRegistryClient(String baseUrl) {
        this(baseUrl, null, Duration.ofSeconds(10));
    }

    /** @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null. */
    public HttpSchemaRegistryClient(String baseUrl, String basicAuthUserInfo, Duration timeout) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.authorization = basicAuthUserInfo == null || basicAuthUserInfo.isBlank() ? null
                : "Basic " + Base64.getEncoder().encodeToString(basicAuthUserInfo.getBytes(StandardCharsets.UTF_8));
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public String baseUrl() {
        return baseUrl;
    }

    @Override
    public int register(String subject, Schema schema) {
        return idsBySubjectAndSchema.computeIfAbsent(subject + '\u0000' + schema.toString(), k -> {
            JsonNode body = registerRacing(subject, schema);
            int id = body.path("id").asInt(-1);
            if (id < 0) {
                throw new SchemaRegistryException("Schema registry at " + baseUrl + " returned no id registering subject '"
                        + subject + "': " + body, 200);
            }
            schemasById.putIfAbsent(id, schema);
            return id;
        });
    }

    /**
     * POST the schema under the subject. Several first registrations of a new subject at once (stream threads or
     * instances starting together) make Apicurio answer the losers 409 "already exists" or 500 (a unique-index
     * race in its storage), or keep one waiting past the timeout; when the schema is then found under the subject,
     * that is the answer. The winner's version may not be visible yet when a loser looks: a 409 "already exists", a
     * 500 or a timeout is retried with a growing pause (five attempts in all). A 409 for an incompatible schema stays
     * an error.
     */
    private JsonNode registerRacing(String subject, Schema schema) {
        for (int attempt = 1; ; attempt++) {
            try {
                return call("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema),
                        "registering a schema under subject '" + subject + "'");
            } catch (SchemaRegistryException e) {
                boolean exists = e.status() == 409 && String.valueOf(e.getMessage()).contains("already exists");
                boolean race = e.status() == 409 || e.status() >= 500 || e.getCause() instanceof HttpTimeoutException;
                if (!race) {
                    throw e;
                }
                Optional<JsonNode> there = registeredAlready(subject, schema);
                if (there.isPresent()) {
                    return there.get();
                }
                if ((e.status() == 409 && !exists) || attempt >= 5) {
                    throw e;
                }
                try {
                    Thread.sleep(50L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private Optional<JsonNode> registeredAlready(String subject, Schema schema) {
        try {
            return Optional.of(call("POST", "/subjects/" + encode(subject), schemaBody(schema),
                    "looking up a schema under subject '" + subject + "'"));
        } catch (SchemaRegistryException notThere) {
            return Optional.empty();
        }
    }

    @Override
    public int lookup(String subject, Schema schema) {
        return idsBySubjectAndSchema.computeIfAbsent(subject + '\u0000' + schema.toString(), k -> {
            JsonNode body = call("POST", "/subjects/" + encode(subject), schemaBody(schema),
                    "looking up a schema under subject '" + subject + "'");
            int id = body.path("id").asInt(-1);
            schemasById.putIfAbsent(id, schema);
            return id;
        });
    }

    @Override
    public Schema getById(int id) {
        return schemasById.computeIfAbsent(id, k -> {
            JsonNode body = call("GET", "/schemas/ids/" + id, null, "fetching schema id " + id);
            String type = body.path("schemaType").asText("AVRO");
            if (!"AVRO".equalsIgnoreCase(type)) {
                throw new SchemaRegistryException("Schema id " + id + " is a " + type + " schema, not Avro", 200);
            }
            try {
                return new Schema.Parser().parse(body.path("schema").asText());
            } catch (RuntimeException e) {
                throw new SchemaRegistryException("Schema id " + id + " from " + baseUrl + " is not a valid Avro schema: "
                        + e.getMessage(), 200, e);
            }
        });
    }

    /**
     * Sets the compatibility level of a subject ({@code BACKWARD}, {@code FULL}, {@code NONE}, ...) with
     * {@code PUT /config/{subject}}; registries differ in their global default, so Splice sets it per topic.
     */
    public void setCompatibility(String subject, String level) {
        ObjectNode body = JSON.createObjectNode();
        body.put("compatibility", level);
        call("PUT", "/config/" + encode(subject), body.toString(), "setting compatibility " + level + " on subject '" + subject + "'");
    }

    private static String schemaBody(Schema schema) {
        ObjectNode node = JSON.createObjectNode();
        node.put("schema", schema.toString());
        node.put("schemaType", "AVRO");
        return node.toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode call(String method, String path, String body, String what) {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            req.header("Authorization", authorization);
        }
        if (body != null) {
            req.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            req.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> resp;
        try {
            resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SchemaRegistryException("Schema registry at " + baseUrl + " is unreachable while " + what + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), -1, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("Interrupted while " + what, -1, e);
        }
        if (resp.statusCode() / 100 != 2) {
            String detail = resp.body();
            try {
                JsonNode err = JSON.readTree(detail);
                if (err.hasNonNull("message")) {
                    detail = err.path("error_code").asText("") + " " + err.get("message").asText();
                }
            } catch (IOException | RuntimeException ignored) {
                // not JSON: keep the raw body
            }
            throw new SchemaRegistryException("Schema registry at " + baseUrl + " answered HTTP " + resp.statusCode()
                    + " while " + what + ": " + detail.trim(), resp.statusCode());
        }
        try {
            return JSON.readTree(resp.body());
        } catch (IOException e) {
            throw new SchemaRegistryException("Schema registry at " + baseUrl + " returned invalid JSON while " + what,
                    resp.statusCode(), e);
        }
    }
}
