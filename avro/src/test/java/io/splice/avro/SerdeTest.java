package io.splice.avro;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.splice.avro.json.RecordJson;
import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.avro.serde.InMemorySchemaRegistryClient;
import io.splice.avro.serde.SchemaRegistryException;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.avro.serde.WireFormat;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SerdeTest {
    static FetchLog fetchLog() {
        Map<String, Object> values = new HashMap<>();
        values.put("txn_count_1h", 3L);
        values.put("big", 5_000_000_000L);
        values.put("risk_score", 0.25);
        values.put("flag", true);
        values.put("note", "x");
        values.put("absent_value", null);
        return FetchLog.newBuilder().setJoin("payments").setVersion("v2").setTs(1759320000000L)
                .setKeys(Map.of("card_id", "c1")).setContext(Map.of("request_id", "r1"))
                .setValues(values).setPartHashes(Map.of("card_txn", "abc")).build();
    }

    @Test
    void jsonFormsWriteScalarsAsPlainValuesAndFloatsAsTheirShortestDecimal() {
        assertEquals("0.1", RecordJson.scalar(0.1f).toString(), "not the float widened to 0.10000000149011612");
        assertEquals("0.25", RecordJson.scalar(0.25).toString());
        assertEquals("3", RecordJson.scalar(3L).toString());
        assertEquals("\"x\"", RecordJson.scalar("x").toString());
        assertEquals("null", RecordJson.scalar(null).toString());
    }

    @Test
    void aLogWrittenWithoutJavaStringPropertiesDecodesEveryStringAsAJavaString() throws Exception {
        // A Python or Go producer registers the plain schema: no "avro.java.string" anywhere. The reader's fast path
        // for strings is keyed by the compiled reader schema, so keys, values, map keys and union strings must still
        // come out as java.lang.String (not Avro's Utf8) and the record equal to what was written.
        org.apache.avro.Schema plain = new org.apache.avro.Schema.Parser().parse(
                FetchLog.getClassSchema().toString().replace(",\"avro.java.string\":\"String\"", ""));
        assertTrue(!plain.toString().contains("avro.java.string"), "the writer schema carries no Java string property");
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        int id = registry.register("splice.fetch-log-value", plain);
        FetchLog log = fetchLog();
        org.apache.avro.generic.GenericRecord generic = new org.apache.avro.generic.GenericData.Record(plain);
        for (org.apache.avro.Schema.Field f : plain.getFields()) {
            generic.put(f.name(), log.get(f.name()));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(java.nio.ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new org.apache.avro.generic.GenericDatumWriter<org.apache.avro.generic.GenericRecord>(plain).write(generic, enc);
        enc.flush();

        FetchLog read = SpliceAvroDeserializer.of(registry, FetchLog.class).deserialize("splice.fetch-log", out.toByteArray());
        assertEquals(log, read);
        assertEquals(String.class, read.getJoin().getClass());
        read.getKeys().forEach((k, v) -> assertEquals(List.of(String.class, String.class), List.of(k.getClass(), v.getClass())));
        read.getContext().forEach((k, v) -> assertEquals(List.of(String.class, String.class), List.of(k.getClass(), v.getClass())));
        read.getPartHashes().forEach((k, v) -> assertEquals(List.of(String.class, String.class), List.of(k.getClass(), v.getClass())));
        read.getValues().keySet().forEach(k -> assertEquals(String.class, k.getClass(), "map key " + k));
        assertEquals(String.class, read.getValues().get("note").getClass(), "a string in the values union");
    }

    @Test
    void allThreeRecordsRoundTripInTheWireFormat() {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        FetchLog log = fetchLog();
        byte[] bytes = new SpliceAvroSerializer<FetchLog>(registry).serialize("splice.fetch-log", log);
        assertEquals(0, bytes[0], "magic byte");
        assertEquals(log, SpliceAvroDeserializer.of(registry, FetchLog.class).deserialize("splice.fetch-log", bytes));

        FeatureRow row = FeatureRow.newBuilder().setRowKey("r1").setTs(1L).setKeys(Map.of()).setValues(Map.of("a", 1.5))
                .setPartHashes(null).build();
        byte[] rb = new SpliceAvroSerializer<FeatureRow>(registry).serialize("splice.backfill.p.v1", row);
        assertEquals(row, SpliceAvroDeserializer.of(registry, FeatureRow.class).deserialize("splice.backfill.p.v1", rb));

        StitchedRecord st = StitchedRecord.newBuilder().setJoin("p").setVersion("v1").setRowKey("r1").setTs(1L)
                .setKeys(Map.of()).setValues(Map.of("a", 1)).setSources(Map.of("a", "log")).setPartHashes(Map.of("x", "y"))
                .setRevision(2L).setStitchedAt(5L).build();
        byte[] sb = new SpliceAvroSerializer<StitchedRecord>(registry).serialize("splice.stitched.p.v1", st);
        assertEquals(st, SpliceAvroDeserializer.of(registry, StitchedRecord.class).deserialize("splice.stitched.p.v1", sb));
    }

    @Test
    void aHandBuiltConfluentFrameDecodes() throws Exception {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        int id = registry.register("splice.fetch-log-value", FetchLog.getClassSchema());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(body, null);
        new SpecificDatumWriter<>(FetchLog.class).write(fetchLog(), enc);
        enc.flush();
        byte[] frame = new byte[5 + body.size()];
        frame[0] = 0;
        frame[1] = (byte) (id >>> 24);
        frame[2] = (byte) (id >>> 16);
        frame[3] = (byte) (id >>> 8);
        frame[4] = (byte) id;
        System.arraycopy(body.toByteArray(), 0, frame, 5, body.size());
        assertEquals(fetchLog(), SpliceAvroDeserializer.of(registry, FetchLog.class).deserialize("t", frame));
        assertArrayEquals(frame, WireFormat.frame(id, body.toByteArray()));
    }

    @Test
    void badFramesGiveClearErrors() {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        SpliceAvroDeserializer<FetchLog> d = SpliceAvroDeserializer.of(registry, FetchLog.class);
        SerializationException magic = assertThrows(SerializationException.class,
                () -> d.deserialize("t", "not avro".getBytes(StandardCharsets.UTF_8)));
        assertTrue(magic.getMessage().contains("magic byte"), magic.getMessage());

        SchemaRegistryException unknown = assertThrows(SchemaRegistryException.class,
                () -> d.deserialize("t", WireFormat.frame(4242, new byte[]{2})));
        assertTrue(unknown.getMessage().contains("4242"), unknown.getMessage());

        byte[] good = new SpliceAvroSerializer<FetchLog>(registry).serialize("t", fetchLog());
        SerializationException truncated = assertThrows(SerializationException.class,
                () -> d.deserialize("t", Arrays.copyOf(good, good.length - 3)));
        assertTrue(truncated.getMessage().contains("Malformed"), truncated.getMessage());

        FeatureRow row = FeatureRow.newBuilder().setRowKey("r").setTs(1).setKeys(Map.of()).setValues(Map.of()).build();
        byte[] other = new SpliceAvroSerializer<FeatureRow>(registry).serialize("t", row);
        SerializationException wrongType = assertThrows(SerializationException.class, () -> d.deserialize("t", other));
        assertTrue(wrongType.getMessage().contains("FeatureRow"), wrongType.getMessage());
        assertNull(d.deserialize("t", null));
    }

    @Test
    void registryErrorsNameTheSubjectAndStatus() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] body = "{\"error_code\":42201,\"message\":\"Invalid schema\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(422, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            HttpSchemaRegistryClient client = new HttpSchemaRegistryClient("http://127.0.0.1:" + server.getAddress().getPort());
            SchemaRegistryException e = assertThrows(SchemaRegistryException.class,
                    () -> new SpliceAvroSerializer<FetchLog>(client).serialize("splice.fetch-log", fetchLog()));
            assertEquals(422, e.status());
            assertTrue(e.getMessage().contains("splice.fetch-log-value") && e.getMessage().contains("422"), e.getMessage());
        } finally {
            server.stop(0);
        }
    }

    /**
     * Several first registrations of one subject at once (stream threads or instances starting together) make
     * Apicurio answer the losers 409 "already exists" or 500 (a unique-index race in its storage). A registry
     * scripted to answer so shows the client resolving each to the registered id, while a 409 for a schema that is
     * not there (incompatible) stays an error.
     */
    @Test
    void registrationRacesResolveToTheRegisteredIdAndIncompatibilityStaysAnError() throws Exception {
        Deque<Integer> registerAnswers = new ConcurrentLinkedDeque<>();
        boolean[] registered = {false};
        List<String> calls = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            boolean register = path.endsWith("/versions");
            calls.add(register ? "register" : "lookup");
            int status;
            String body;
            if (register) {
                Integer scripted = registerAnswers.poll();
                // 4091: Apicurio's 409 for an artifact another registration created a moment ago
                boolean exists = scripted != null && scripted == 4091;
                status = scripted == null ? 200 : exists ? 409 : scripted;
                body = status == 200 ? "{\"id\":7}" : "{\"error_code\":" + status + ",\"message\":\""
                        + (exists ? "An artifact with ID 'x-value' in group 'null' already exists." : "scripted") + "\"}";
            } else {
                status = registered[0] ? 200 : 404;
                body = registered[0] ? "{\"subject\":\"s\",\"id\":7,\"version\":1}" : "{\"error_code\":40403,\"message\":\"Schema not found\"}";
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        try {
            // the loser of a race: 409 "already exists", and the schema is there
            registered[0] = true;
            registerAnswers.add(409);
            assertEquals(7, new HttpSchemaRegistryClient(url).register("a-value", FetchLog.getClassSchema()));
            assertEquals(List.of("register", "lookup"), calls);
            // the storage race: 500 while the winner commits; the schema is not yet there, then the retry succeeds
            calls.clear();
            registered[0] = false;
            registerAnswers.add(500);
            assertEquals(7, new HttpSchemaRegistryClient(url).register("b-value", FetchLog.getClassSchema()));
            assertEquals(List.of("register", "lookup", "register"), calls);
            // the loser of a race looking before the winner's version is visible: 409 "already exists", not found,
            // then found at the next attempt
            calls.clear();
            registered[0] = false;
            registerAnswers.add(4091);
            registerAnswers.add(4091);
            assertEquals(7, new HttpSchemaRegistryClient(url).register("d-value", FetchLog.getClassSchema()));
            assertEquals(List.of("register", "lookup", "register", "lookup", "register"), calls);
            // an incompatible schema: 409 and nothing registered, an error naming the subject
            registerAnswers.add(409);
            SchemaRegistryException e = assertThrows(SchemaRegistryException.class,
                    () -> new HttpSchemaRegistryClient(url).register("c-value", FetchLog.getClassSchema()));
            assertEquals(409, e.status());
            assertTrue(e.getMessage().contains("'c-value'"), e.getMessage());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void unreachableRegistryIsAClearError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient("http://127.0.0.1:" + port);
        SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> client.getById(1));
        assertEquals(-1, e.status());
        assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
    }

    @Test
    void jsonMappingUsesPlainScalars() throws Exception {
        JsonNode json = RecordJson.toJson(fetchLog());
        assertEquals(3, json.get("values").get("txn_count_1h").asInt());
        assertTrue(json.get("values").get("absent_value").isNull());
        FetchLog back = RecordJson.fetchLog(RecordJson.MAPPER.readTree(json.toString()));
        assertEquals(3, back.getValues().get("txn_count_1h"), "a JSON integer that fits is an int");
        assertEquals(5_000_000_000L, back.getValues().get("big"));
        assertEquals(0.25, back.getValues().get("risk_score"));
        assertEquals(fetchLog().getContext(), back.getContext());
        assertThrows(RecordJson.JsonRecordException.class,
                () -> RecordJson.fetchLog(RecordJson.MAPPER.readTree("{\"join\":\"p\",\"version\":\"v\"}")));
    }
}
