package io.splice.local.featurestore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A local SageMaker Feature Store: the data plane of {@code sagemaker-featurestore-runtime} (REST-JSON) and the
 * feature group operations of the {@code sagemaker} control plane (AWS JSON 1.1), on one loopback port, so the
 * unchanged AWS SDK clients talk to it through {@code endpointOverride(endpoint())}. Signatures are not checked.
 *
 * <ul>
 *   <li>{@code PUT /FeatureGroup/{name}} PutRecord: {@code {"Record":[{"FeatureName","ValueAsString"}],
 *       "TargetStores":[...], "TtlDuration":{"Unit","Value"}}}</li>
 *   <li>{@code GET /FeatureGroup/{name}?RecordIdentifierValueAsString=&FeatureName=&ExpirationTimeResponse=}
 *       GetRecord: {@code {"Record":[...], "ExpiresAt"}}, or {@code {}} when there is no such (live) record</li>
 *   <li>{@code POST /BatchGetRecord} BatchGetRecord</li>
 *   <li>{@code DELETE /FeatureGroup/{name}?RecordIdentifierValueAsString=&EventTime=&TargetStores=&DeletionMode=}
 *       DeleteRecord (SoftDelete by default; HardDelete of a newer record is a ValidationError)</li>
 *   <li>{@code POST /} with {@code X-Amz-Target: SageMaker.DescribeFeatureGroup}, {@code .CreateFeatureGroup},
 *       {@code .DeleteFeatureGroup}, {@code .ListFeatureGroups}</li>
 * </ul>
 *
 * <p>Semantics as AWS documents them: per record identifier the online store keeps the record with the newest
 * {@code EventTime} (an older one is accepted but does not overwrite; an equal one does); records expire at
 * {@code EventTime + TtlDuration} (per request, else the group's); errors carry {@code x-amzn-ErrorType}
 * ({@code ValidationError}, {@code ResourceNotFound}; injected: {@code ThrottlingException} 400,
 * {@code ServiceUnavailable} 503, {@code InternalFailure} 500).
 *
 * <p>Feature groups are registered with {@link #createFeatureGroup}, through the SDK's CreateFeatureGroup, or, when
 * {@link Builder#autoCreateFeatureGroups(String)} is on, on the first PutRecord to an unknown name: the record
 * identifier is then the record's first feature and the event time feature the configured name, with no feature
 * definitions (every feature accepted as a string). Records live in memory; with {@link Builder#persistTo(Path)}
 * they are loaded from that JSON file at start and written back by {@link #save()} and {@link #close()}.
 */
public final class FeatureStoreEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FeatureStoreEndpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REST_JSON = "application/json";
    private static final String AWS_JSON = "application/x-amz-json-1.1";
    private static final String ACCOUNT = "000000000000";

    static {
        // the JDK server otherwise leaves Nagle on: a response written in two segments (headers, body) then waits for
        // the client's delayed ACK (~40 ms). Read once by the JDK when its first HttpServer is created.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        // the JDK server closes a connection that goes idle while 200 others are idle: a client with more connections
        // (featurestore.max.in.flight 256) then loses some mid-request and retries them, after a backoff.
        if (System.getProperty("sun.net.httpserver.maxIdleConnections") == null) {
            System.setProperty("sun.net.httpserver.maxIdleConnections", "4096");
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Clock clock;
    private final Path persistFile;
    private final String autoCreateEventTimeFeature;
    private final String region;
    private final Faults faults = new Faults();
    private final Map<String, Group> groups = new ConcurrentHashMap<>();
    private final List<Write> writes = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong sequence = new AtomicLong();
    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
    private final AtomicLong injected = new AtomicLong();
    private volatile boolean recordWrites = true;
    private volatile boolean closed;

    private static final class Group {
        final FeatureGroupSpec spec;
        final Instant created;
        final Map<String, Stored> records = new HashMap<>();

        Group(FeatureGroupSpec spec, Instant created) {
            this.spec = spec;
            this.created = created;
        }
    }

    /** The online record of an identifier; a soft-deleted one keeps the deletion's EventTime and no values. */
    private record Stored(Map<String, JsonNode> values, Instant eventTime, Instant expiresAt, boolean deleted) {
    }

    private static final class ApiError extends RuntimeException {
        final int status;
        final String type;

        ApiError(int status, String type, String message) {
            super(message, null, false, false);
            this.status = status;
            this.type = type;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of the endpoint; {@link #start()} binds 127.0.0.1 (or {@link #host}) on a free port. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private Path persistTo;
        private String autoCreateEventTime;
        private String region = "us-east-1";
        private String host = "127.0.0.1";
        private int port;

        /** The clock of TTL expiry. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Load records and groups from this JSON file at start (when it exists) and write them back on close. */
        public Builder persistTo(Path file) {
            this.persistTo = file;
            return this;
        }

        /** Create unknown feature groups on their first PutRecord, with this event time feature name. */
        public Builder autoCreateFeatureGroups(String eventTimeFeatureName) {
            this.autoCreateEventTime = eventTimeFeatureName;
            return this;
        }

        /** The region in ARNs (default us-east-1). */
        public Builder region(String region) {
            this.region = region;
            return this;
        }

        /** The address to bind instead of 127.0.0.1 (0.0.0.0 in a container, so that other containers reach it). */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** A fixed port instead of a free one (0). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public FeatureStoreEndpoint start() {
            return new FeatureStoreEndpoint(this);
        }
    }

    /** An endpoint with default settings on a free port. */
    public static FeatureStoreEndpoint start() {
        return builder().start();
    }

    private FeatureStoreEndpoint(Builder b) {
        this.clock = b.clock;
        this.persistFile = b.persistTo;
        this.autoCreateEventTimeFeature = b.autoCreateEventTime;
        this.region = b.region;
        if (persistFile != null && Files.exists(persistFile)) {
            load(persistFile);
        }
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "featurestore-endpoint-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(b.host), b.port), 512);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException("Cannot bind the Feature Store endpoint on " + b.host, e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
        log.info("Feature Store endpoint on {}", endpoint());
    }

    /** {@code http://127.0.0.1:<port>}: the endpoint override of both SDK clients. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Fault injection settings (data plane only). */
    public Faults faults() {
        return faults;
    }

    /** Registers (or replaces) a feature group. */
    public FeatureStoreEndpoint createFeatureGroup(FeatureGroupSpec spec) {
        groups.put(spec.name(), new Group(spec, clock.instant()));
        return this;
    }

    public Optional<FeatureGroupSpec> featureGroup(String name) {
        Group g = groups.get(name);
        return Optional.ofNullable(g == null ? null : g.spec);
    }

    /** The live online record of {@code identifier} (feature to value), as GetRecord would return it. */
    public Optional<Map<String, String>> record(String featureGroup, String identifier) {
        Group g = groups.get(featureGroup);
        if (g == null) {
            return Optional.empty();
        }
        synchronized (g) {
            Stored s = live(g.records.get(identifier));
            if (s == null) {
                return Optional.empty();
            }
            Map<String, String> out = new LinkedHashMap<>();
            s.values().forEach((k, v) -> out.put(k, v.isTextual() ? v.textValue() : v.toString()));
            return Optional.of(out);
        }
    }

    /** Identifiers with a live online record. */
    public Set<String> identifiers(String featureGroup) {
        Group g = groups.get(featureGroup);
        if (g == null) {
            return Set.of();
        }
        synchronized (g) {
            Set<String> out = new HashSet<>();
            g.records.forEach((k, v) -> {
                if (live(v) != null) {
                    out.add(k);
                }
            });
            return out;
        }
    }

    /** Every accepted write, in acceptance order (see {@link #recordWrites(boolean)}). */
    public List<Write> writes() {
        synchronized (writes) {
            return List.copyOf(writes);
        }
    }

    /** Whether to keep the write log (on by default; benchmarks turn it off). */
    public FeatureStoreEndpoint recordWrites(boolean on) {
        this.recordWrites = on;
        return this;
    }

    /** Calls received per operation (PutRecord, GetRecord, ...), including refused ones. */
    public long calls(String operation) {
        AtomicLong c = calls.get(operation);
        return c == null ? 0 : c.get();
    }

    /** Calls refused by fault injection. */
    public long injectedFaults() {
        return injected.get();
    }

    private Stored live(Stored s) {
        if (s == null || s.deleted()) {
            return null;
        }
        if (s.expiresAt() != null && !clock.instant().isBefore(s.expiresAt())) {
            return null;
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------------ HTTP

    private void handle(HttpExchange ex) {
        String requestId = UUID.randomUUID().toString();
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
            boolean control = target != null;
            try {
                JsonNode response = control ? controlPlane(target, body) : dataPlane(ex, body);
                send(ex, 200, control ? AWS_JSON : REST_JSON, requestId, null, response);
            } catch (ApiError e) {
                ObjectNode err = JSON.createObjectNode();
                if (control) {
                    err.put("__type", e.type);
                }
                err.put("message", e.getMessage());
                send(ex, e.status, control ? AWS_JSON : REST_JSON, requestId, e.type, err);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Feature Store endpoint: request failed", e);
        }
    }

    private static void send(HttpExchange ex, int status, String contentType, String requestId, String errorType,
                             JsonNode body) throws IOException {
        byte[] bytes = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.getResponseHeaders().set("x-amzn-RequestId", requestId);
        if (errorType != null) {
            ex.getResponseHeaders().set("x-amzn-ErrorType", errorType);
        }
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private void count(String op) {
        calls.computeIfAbsent(op, k -> new AtomicLong()).incrementAndGet();
    }

    private JsonNode dataPlane(HttpExchange ex, byte[] body) {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        Map<String, List<String>> query = query(ex.getRequestURI().getRawQuery());
        String op;
        String groupName = null;
        if (path.startsWith("/FeatureGroup/")) {
            groupName = URLDecoder.decode(path.substring("/FeatureGroup/".length()), StandardCharsets.UTF_8);
            op = switch (method) {
                case "PUT" -> "PutRecord";
                case "GET" -> "GetRecord";
                case "DELETE" -> "DeleteRecord";
                default -> throw new ApiError(405, "UnknownOperationException", "Method " + method + " not allowed");
            };
        } else if (path.equals("/BatchGetRecord") && method.equals("POST")) {
            op = "BatchGetRecord";
        } else {
            throw new ApiError(404, "UnknownOperationException", "No operation at " + method + " " + path);
        }
        count(op);
        long latency = faults.latencyMicros();
        if (latency > 0) {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(latency)); // injected service latency
        }
        Object[] fault = faults.next();
        if (fault != null) {
            injected.incrementAndGet();
            throw new ApiError((Integer) fault[0], (String) fault[1], (String) fault[2]);
        }
        JsonNode req = body.length == 0 ? JSON.createObjectNode() : parse(body);
        return switch (op) {
            case "PutRecord" -> putRecord(groupName, req);
            case "GetRecord" -> getRecord(groupName, query);
            case "DeleteRecord" -> deleteRecord(groupName, query);
            default -> batchGetRecord(req);
        };
    }

    private static JsonNode parse(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new ApiError(400, "SerializationException", "Malformed JSON body: " + e.getMessage());
        }
    }

    private static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    private static String first(Map<String, List<String>> q, String name) {
        List<String> v = q.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private Group group(String name) {
        Group g = groups.get(name);
        if (g == null) {
            throw new ApiError(404, "ResourceNotFound", "Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name " + name);
        }
        return g;
    }

    // ------------------------------------------------------------------------------------------------ data plane

    private JsonNode putRecord(String name, JsonNode req) {
        JsonNode record = req.get("Record");
        if (record == null || !record.isArray() || record.isEmpty()) {
            throw new ApiError(400, "ValidationError", "1 validation error detected: Value null at 'record' failed to "
                    + "satisfy constraint: Member must not be null and must have at least 1 feature");
        }
        Group g = groups.get(name);
        if (g == null && autoCreateEventTimeFeature != null) {
            String id = record.get(0).path("FeatureName").asText();
            g = groups.computeIfAbsent(name, k -> new Group(FeatureGroupSpec.of(k, id, autoCreateEventTimeFeature), clock.instant()));
        }
        if (g == null) {
            group(name);
        }
        FeatureGroupSpec spec = g.spec;
        Map<String, JsonNode> values = new LinkedHashMap<>();
        for (JsonNode fv : record) {
            String feature = fv.path("FeatureName").asText(null);
            if (feature == null || feature.isEmpty()) {
                throw new ApiError(400, "ValidationError", "A FeatureValue has no FeatureName");
            }
            JsonNode value = fv.has("ValueAsString") ? fv.get("ValueAsString") : fv.get("ValueAsStringList");
            if (value == null || value.isNull()) {
                throw new ApiError(400, "ValidationError", "Feature " + feature + " has neither ValueAsString nor ValueAsStringList");
            }
            if (values.put(feature, value) != null) {
                throw new ApiError(400, "ValidationError", "Feature " + feature + " appears more than once in the record");
            }
            validateType(spec, feature, value);
        }
        JsonNode idNode = values.get(spec.recordIdentifierFeatureName());
        if (idNode == null || idNode.asText().isEmpty()) {
            throw new ApiError(400, "ValidationError", "The record identifier feature " + spec.recordIdentifierFeatureName()
                    + " is missing from the record");
        }
        JsonNode etNode = values.get(spec.eventTimeFeatureName());
        if (etNode == null) {
            throw new ApiError(400, "ValidationError", "The event time feature " + spec.eventTimeFeatureName()
                    + " is missing from the record");
        }
        Instant eventTime = eventTime(spec, etNode.asText());
        Set<String> stores = targetStores(req.get("TargetStores"));
        Duration ttl = req.has("TtlDuration") ? ttl(req.get("TtlDuration")) : spec.ttl();
        String id = idNode.asText();
        Map<String, String> flat = new LinkedHashMap<>();
        values.forEach((k, v) -> flat.put(k, v.isTextual() ? v.textValue() : v.toString()));
        synchronized (g) {
            boolean applied = false;
            if (stores.contains("OnlineStore")) {
                Stored old = g.records.get(id);
                if (old == null || !eventTime.isBefore(old.eventTime())) {
                    g.records.put(id, new Stored(values, eventTime, ttl == null ? null : eventTime.plus(ttl), false));
                    applied = true;
                }
            }
            logWrite(Write.Operation.PUT, name, id, eventTime, applied, flat);
        }
        return null;
    }

    private void logWrite(Write.Operation op, String group, String id, Instant eventTime, boolean applied,
                          Map<String, String> record) {
        if (recordWrites) {
            writes.add(new Write(sequence.incrementAndGet(), op, group, id, eventTime, applied, record));
        }
    }

    private static void validateType(FeatureGroupSpec spec, String feature, JsonNode value) {
        if (spec.featureDefinitions().isEmpty()) {
            return;
        }
        String type = spec.typeOf(feature);
        if (type == null) {
            throw new ApiError(400, "ValidationError", "Feature " + feature + " is not defined in feature group " + spec.name());
        }
        if (!value.isTextual()) {
            return; // collection values are not type-checked
        }
        String s = value.textValue();
        try {
            switch (type) {
                case "Integral" -> Long.parseLong(s);
                case "Fractional" -> {
                    double d = Double.parseDouble(s);
                    if (!Double.isFinite(d)) {
                        throw new NumberFormatException("not finite");
                    }
                }
                default -> {
                }
            }
        } catch (NumberFormatException e) {
            throw new ApiError(400, "ValidationError", "Feature " + feature + " is of type " + type
                    + " but the value '" + s + "' is not");
        }
    }

    private static Instant eventTime(FeatureGroupSpec spec, String s) {
        if ("Fractional".equals(spec.featureDefinitions().get(spec.eventTimeFeatureName()))) {
            try {
                double secs = Double.parseDouble(s);
                return Instant.ofEpochMilli(Math.round(secs * 1000));
            } catch (NumberFormatException e) {
                throw new ApiError(400, "ValidationError", "EventTime '" + s + "' is not a Fractional number of seconds");
            }
        }
        if (!s.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z")) {
            throw new ApiError(400, "ValidationError", "EventTime '" + s
                    + "' must be ISO-8601 in UTC: yyyy-MM-dd'T'HH:mm:ssZ or yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw new ApiError(400, "ValidationError", "EventTime '" + s + "' is not a valid time");
        }
    }

    private static Set<String> targetStores(JsonNode n) {
        if (n == null || n.isNull()) {
            return Set.of("OnlineStore", "OfflineStore");
        }
        Set<String> out = new HashSet<>();
        n.forEach(x -> out.add(x.asText()));
        return checkStores(out);
    }

    private static Set<String> checkStores(Set<String> stores) {
        for (String s : stores) {
            if (!s.equals("OnlineStore") && !s.equals("OfflineStore")) {
                throw new ApiError(400, "ValidationError", "TargetStores value '" + s + "' is not OnlineStore or OfflineStore");
            }
        }
        return stores;
    }

    private static Duration ttl(JsonNode n) {
        String unit = n.path("Unit").asText("");
        long value = n.path("Value").asLong(0);
        if (value < 1) {
            throw new ApiError(400, "ValidationError", "TtlDuration.Value must be at least 1");
        }
        return switch (unit) {
            case "Seconds" -> Duration.ofSeconds(value);
            case "Minutes" -> Duration.ofMinutes(value);
            case "Hours" -> Duration.ofHours(value);
            case "Days" -> Duration.ofDays(value);
            case "Weeks" -> Duration.ofDays(7 * value);
            default -> throw new ApiError(400, "ValidationError", "TtlDuration.Unit '" + unit + "' is not one of "
                    + "Seconds, Minutes, Hours, Days, Weeks");
        };
    }

    private JsonNode getRecord(String name, Map<String, List<String>> q) {
        Group g = group(name);
        String id = first(q, "RecordIdentifierValueAsString");
        if (id == null) {
            throw new ApiError(400, "ValidationError", "RecordIdentifierValueAsString is required");
        }
        List<String> features = q.get("FeatureName");
        boolean withExpiry = "Enabled".equals(first(q, "ExpirationTimeResponse"));
        ObjectNode out = JSON.createObjectNode();
        synchronized (g) {
            Stored s = live(g.records.get(id));
            if (s != null) {
                out.set("Record", values(s, features));
                if (withExpiry && s.expiresAt() != null) {
                    out.put("ExpiresAt", s.expiresAt().toString());
                }
            }
        }
        return out;
    }

    private static ArrayNode values(Stored s, List<String> features) {
        ArrayNode arr = JSON.createArrayNode();
        s.values().forEach((k, v) -> {
            if (features == null || features.isEmpty() || features.contains(k)) {
                ObjectNode fv = arr.addObject();
                fv.put("FeatureName", k);
                fv.set(v.isArray() ? "ValueAsStringList" : "ValueAsString", v);
            }
        });
        return arr;
    }

    private JsonNode deleteRecord(String name, Map<String, List<String>> q) {
        Group g = group(name);
        String id = first(q, "RecordIdentifierValueAsString");
        String et = first(q, "EventTime");
        if (id == null || et == null) {
            throw new ApiError(400, "ValidationError", "RecordIdentifierValueAsString and EventTime are required");
        }
        Instant eventTime = eventTime(g.spec, et);
        List<String> ts = q.get("TargetStores");
        Set<String> stores = ts == null ? Set.of("OnlineStore", "OfflineStore") : checkStores(new HashSet<>(ts));
        String mode = first(q, "DeletionMode") == null ? "SoftDelete" : first(q, "DeletionMode");
        if (!mode.equals("SoftDelete") && !mode.equals("HardDelete")) {
            throw new ApiError(400, "ValidationError", "DeletionMode '" + mode + "' is not SoftDelete or HardDelete");
        }
        synchronized (g) {
            boolean applied = false;
            if (stores.contains("OnlineStore")) {
                Stored old = g.records.get(id);
                boolean older = old != null && eventTime.isBefore(old.eventTime());
                if (older && mode.equals("HardDelete")) {
                    throw new ApiError(400, "ValidationError", "EventTime " + et + " of the delete is older than the "
                            + "existing record's EventTime " + old.eventTime() + ": the record was not deleted");
                }
                if (!older && old != null) {
                    if (mode.equals("HardDelete")) {
                        g.records.remove(id);
                    } else {
                        g.records.put(id, new Stored(Map.of(), eventTime, null, true));
                    }
                    applied = true;
                }
            }
            logWrite(Write.Operation.DELETE, name, id, eventTime, applied, Map.of());
        }
        return null;
    }

    private JsonNode batchGetRecord(JsonNode req) {
        JsonNode ids = req.get("Identifiers");
        if (ids == null || !ids.isArray() || ids.isEmpty()) {
            throw new ApiError(400, "ValidationError", "Identifiers must have at least 1 member");
        }
        boolean withExpiry = "Enabled".equals(req.path("ExpirationTimeResponse").asText());
        ObjectNode out = JSON.createObjectNode();
        ArrayNode records = out.putArray("Records");
        ArrayNode errors = out.putArray("Errors");
        out.putArray("UnprocessedIdentifiers");
        for (JsonNode ident : ids) {
            String name = ident.path("FeatureGroupName").asText();
            List<String> features = new ArrayList<>();
            ident.path("FeatureNames").forEach(f -> features.add(f.asText()));
            Group g = groups.get(name);
            for (JsonNode idn : ident.path("RecordIdentifiersValueAsString")) {
                String id = idn.asText();
                if (g == null) {
                    ObjectNode e = errors.addObject();
                    e.put("FeatureGroupName", name);
                    e.put("RecordIdentifierValueAsString", id);
                    e.put("ErrorCode", "ResourceNotFound");
                    e.put("ErrorMessage", "Amazon SageMaker can't find a FeatureGroup with name " + name);
                    continue;
                }
                synchronized (g) {
                    Stored s = live(g.records.get(id));
                    if (s != null) {
                        ObjectNode r = records.addObject();
                        r.put("FeatureGroupName", name);
                        r.put("RecordIdentifierValueAsString", id);
                        r.set("Record", values(s, features));
                        if (withExpiry && s.expiresAt() != null) {
                            r.put("ExpiresAt", s.expiresAt().toString());
                        }
                    }
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ control plane

    private JsonNode controlPlane(String target, byte[] body) {
        String op = target.startsWith("SageMaker.") ? target.substring("SageMaker.".length()) : target;
        count(op);
        JsonNode req = body.length == 0 ? JSON.createObjectNode() : parse(body);
        return switch (op) {
            case "DescribeFeatureGroup" -> describe(group(req.path("FeatureGroupName").asText()));
            case "CreateFeatureGroup" -> createFromRequest(req);
            case "DeleteFeatureGroup" -> {
                String name = req.path("FeatureGroupName").asText();
                group(name);
                groups.remove(name);
                yield null;
            }
            case "ListFeatureGroups" -> list();
            default -> throw new ApiError(400, "UnknownOperationException", "Operation " + target
                    + " is not supported by the local Feature Store endpoint");
        };
    }

    private String arn(String name) {
        return "arn:aws:sagemaker:" + region + ":" + ACCOUNT + ":feature-group/" + name.toLowerCase();
    }

    private JsonNode describe(Group g) {
        FeatureGroupSpec s = g.spec;
        ObjectNode out = JSON.createObjectNode();
        out.put("FeatureGroupArn", arn(s.name()));
        out.put("FeatureGroupName", s.name());
        out.put("RecordIdentifierFeatureName", s.recordIdentifierFeatureName());
        out.put("EventTimeFeatureName", s.eventTimeFeatureName());
        ArrayNode defs = out.putArray("FeatureDefinitions");
        Map<String, String> all = new LinkedHashMap<>(s.featureDefinitions());
        all.putIfAbsent(s.recordIdentifierFeatureName(), "String");
        all.putIfAbsent(s.eventTimeFeatureName(), "String");
        all.forEach((k, v) -> defs.addObject().put("FeatureName", k).put("FeatureType", v));
        out.put("CreationTime", g.created.toEpochMilli() / 1000.0);
        ObjectNode online = out.putObject("OnlineStoreConfig");
        online.put("EnableOnlineStore", true);
        if (s.ttl() != null) {
            online.putObject("TtlDuration").put("Unit", "Seconds").put("Value", s.ttl().toSeconds());
        }
        out.put("FeatureGroupStatus", "Created");
        out.put("NextToken", "");
        return out;
    }

    private JsonNode createFromRequest(JsonNode req) {
        String name = req.path("FeatureGroupName").asText("");
        if (name.isEmpty()) {
            throw new ApiError(400, "ValidationException", "FeatureGroupName is required");
        }
        if (groups.containsKey(name)) {
            throw new ApiError(400, "ResourceInUse", "Resource Already Exists: FeatureGroup with name " + name + " already exists");
        }
        Map<String, String> defs = new LinkedHashMap<>();
        req.path("FeatureDefinitions").forEach(d -> defs.put(d.path("FeatureName").asText(), d.path("FeatureType").asText("String")));
        JsonNode ttlNode = req.path("OnlineStoreConfig").get("TtlDuration");
        FeatureGroupSpec spec;
        try {
            spec = new FeatureGroupSpec(name, req.path("RecordIdentifierFeatureName").asText(),
                    req.path("EventTimeFeatureName").asText(), defs, ttlNode == null ? null : ttl(ttlNode));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ApiError(400, "ValidationException", String.valueOf(e.getMessage()));
        }
        if (!defs.isEmpty() && (!defs.containsKey(spec.recordIdentifierFeatureName()) || !defs.containsKey(spec.eventTimeFeatureName()))) {
            throw new ApiError(400, "ValidationException", "RecordIdentifierFeatureName and EventTimeFeatureName must be "
                    + "among the FeatureDefinitions");
        }
        createFeatureGroup(spec);
        ObjectNode out = JSON.createObjectNode();
        out.put("FeatureGroupArn", arn(name));
        return out;
    }

    private JsonNode list() {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode arr = out.putArray("FeatureGroupSummaries");
        groups.values().stream().sorted((a, b) -> a.spec.name().compareTo(b.spec.name())).forEach(g -> arr.addObject()
                .put("FeatureGroupName", g.spec.name())
                .put("FeatureGroupArn", arn(g.spec.name()))
                .put("CreationTime", g.created.toEpochMilli() / 1000.0)
                .put("FeatureGroupStatus", "Created"));
        return out;
    }

    // ------------------------------------------------------------------------------------------------ persistence

    /** Writes groups and online records to the {@link Builder#persistTo(Path)} file (atomically); no-op without one. */
    public synchronized void save() {
        if (persistFile == null) {
            return;
        }
        ObjectNode root = JSON.createObjectNode();
        ArrayNode gs = root.putArray("featureGroups");
        for (Group g : groups.values()) {
            ObjectNode gn = gs.addObject();
            FeatureGroupSpec s = g.spec;
            gn.put("name", s.name()).put("recordIdentifierFeatureName", s.recordIdentifierFeatureName())
                    .put("eventTimeFeatureName", s.eventTimeFeatureName()).put("created", g.created.toString());
            if (s.ttl() != null) {
                gn.put("ttlSeconds", s.ttl().toSeconds());
            }
            ObjectNode defs = gn.putObject("featureDefinitions");
            s.featureDefinitions().forEach(defs::put);
            ObjectNode recs = gn.putObject("records");
            synchronized (g) {
                g.records.forEach((id, st) -> {
                    ObjectNode r = recs.putObject(id);
                    r.put("eventTime", st.eventTime().toString());
                    if (st.expiresAt() != null) {
                        r.put("expiresAt", st.expiresAt().toString());
                    }
                    r.put("deleted", st.deleted());
                    ObjectNode vals = r.putObject("values");
                    st.values().forEach(vals::set);
                });
            }
        }
        try {
            Path parent = persistFile.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, persistFile.getFileName().toString(), ".tmp");
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
            Files.move(tmp, persistFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + persistFile, e);
        }
    }

    private void load(Path file) {
        try {
            JsonNode root = JSON.readTree(file.toFile());
            for (JsonNode gn : root.path("featureGroups")) {
                Map<String, String> defs = new LinkedHashMap<>();
                gn.path("featureDefinitions").fields().forEachRemaining(e -> defs.put(e.getKey(), e.getValue().asText()));
                FeatureGroupSpec spec = new FeatureGroupSpec(gn.path("name").asText(),
                        gn.path("recordIdentifierFeatureName").asText(), gn.path("eventTimeFeatureName").asText(), defs,
                        gn.has("ttlSeconds") ? Duration.ofSeconds(gn.get("ttlSeconds").asLong()) : null);
                Group g = new Group(spec, Instant.parse(gn.path("created").asText(clock.instant().toString())));
                gn.path("records").fields().forEachRemaining(e -> {
                    JsonNode r = e.getValue();
                    Map<String, JsonNode> vals = new LinkedHashMap<>();
                    r.path("values").fields().forEachRemaining(v -> vals.put(v.getKey(), v.getValue()));
                    g.records.put(e.getKey(), new Stored(vals, Instant.parse(r.path("eventTime").asText()),
                            r.hasNonNull("expiresAt") ? Instant.parse(r.get("expiresAt").asText()) : null,
                            r.path("deleted").asBoolean(false)));
                });
                groups.put(spec.name(), g);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop(0);
        executor.shutdownNow();
        save();
        log.info("Feature Store endpoint on port {} stopped", port());
    }
}
