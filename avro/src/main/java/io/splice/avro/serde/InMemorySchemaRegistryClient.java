package io.splice.avro.serde;

import org.apache.avro.Schema;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A registry in memory with the same id semantics as a real one (one global id per distinct schema). Used by
 * {@code splice simulate} and unit tests, so their topics still carry the real wire format.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {
    private static final Map<String, InMemorySchemaRegistryClient> SCOPES = new ConcurrentHashMap<>();

    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, Map<String, Integer>> subjects = new HashMap<>();

    /** The shared instance for a {@code mock://scope} URL. */
    public static InMemorySchemaRegistryClient forScope(String scope) {
        return SCOPES.computeIfAbsent(scope, s -> new InMemorySchemaRegistryClient());
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        String text = schema.toString();
        int id = idsBySchema.computeIfAbsent(text, t -> {
            int next = schemasById.size() + 1;
            schemasById.put(next, schema);
            return next;
        });
        subjects.computeIfAbsent(subject, s -> new HashMap<>()).put(text, id);
        return id;
    }

    @Override
    public synchronized int lookup(String subject, Schema schema) {
        Integer id = subjects.getOrDefault(subject, Map.of()).get(schema.toString());
        if (id == null) {
            throw new SchemaRegistryException("Schema not found under subject '" + subject + "' (HTTP 404)", 404);
        }
        return id;
    }

    @Override
    public synchronized Schema getById(int id) {
        Schema schema = schemasById.get(id);
        if (schema == null) {
            throw new SchemaRegistryException("Schema id " + id + " not found (HTTP 404)", 404);
        }
        return schema;
    }
}
