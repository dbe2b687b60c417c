package io.splice.avro.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Plain-JSON forms of the Splice records: Avro field names, JSON scalars ({@code 3}, {@code 0.25}, {@code "x"},
 * {@code null}), not Avro's JSON encoding. Integral JSON numbers become {@code Integer} (or {@code Long} past the
 * int range) and others {@code Double}; the merge promotes them to the declared types.
 */
public final class RecordJson {
    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private RecordJson() {
    }

    /** A JSON input that does not match the record; the message names the field. */
    public static final class JsonRecordException extends IllegalArgumentException {
        public JsonRecordException(String message) {
            super(message);
        }
    }

    public static FetchLog fetchLog(JsonNode n) {
        requireObject(n, "FetchLog");
        return FetchLog.newBuilder()
                .setJoin(text(n, "join", true))
                .setVersion(text(n, "version", true))
                .setTs(longField(n, "ts"))
                .setKeys(stringMap(n, "keys", false))
                .setContext(stringMap(n, "context", false))
                .setValues(scalarMap(n, "values"))
                .setPartHashes(stringMap(n, "part_hashes", false))
                .build();
    }

    public static FeatureRow featureRow(JsonNode n, String defaultRowKey) {
        requireObject(n, "FeatureRow");
        String rowKey = n.hasNonNull("row_key") ? text(n, "row_key", true) : defaultRowKey;
        if (rowKey == null) {
            throw new JsonRecordException("FeatureRow: field 'row_key' is missing");
        }
        return FeatureRow.newBuilder()
                .setRowKey(rowKey)
                .setTs(longField(n, "ts"))
                .setKeys(stringMap(n, "keys", false))
                .setValues(scalarMap(n, "values"))
                .setPartHashes(n.hasNonNull("part_hashes") ? stringMap(n, "part_hashes", false) : null)
                .build();
    }

    public static StitchedRecord stitchedRecord(JsonNode n, String defaultRowKey) {
        requireObject(n, "StitchedRecord");
        String rowKey = n.hasNonNull("row_key") ? text(n, "row_key", true) : defaultRowKey;
        return StitchedRecord.newBuilder()
                .setJoin(text(n, "join", true))
                .setVersion(text(n, "version", true))
                .setRowKey(rowKey)
                .setTs(longField(n, "ts"))
                .setKeys(stringMap(n, "keys", false))
                .setValues(scalarMap(n, "values"))
                .setSources(stringMap(n, "sources", false))
                .setPartHashes(stringMap(n, "part_hashes", false))
                .setRevision(n.hasNonNull("revision") ? longField(n, "revision") : 0L)
                .setStitchedAt(n.hasNonNull("stitched_at") ? longField(n, "stitched_at") : 0L)
                .build();
    }

    /** Whether a JSON object looks like a {@link StitchedRecord} rather than a {@link FeatureRow}. */
    public static boolean isStitched(JsonNode n) {
        return n != null && n.isObject() && n.has("sources") && n.has("join");
    }

    public static ObjectNode toJson(FetchLog r) {
        ObjectNode o = F.objectNode();
        o.put("join", r.getJoin());
        o.put("version", r.getVersion());
        o.put("ts", r.getTs());
        o.set("keys", stringsToJson(r.getKeys()));
        o.set("context", stringsToJson(r.getContext()));
        o.set("values", scalarsToJson(r.getValues()));
        o.set("part_hashes", stringsToJson(r.getPartHashes()));
        return o;
    }

    public static ObjectNode toJson(FeatureRow r) {
        ObjectNode o = F.objectNode();
        o.put("row_key", r.getRowKey());
        o.put("ts", r.getTs());
        o.set("keys", stringsToJson(r.getKeys()));
        o.set("values", scalarsToJson(r.getValues()));
        o.set("part_hashes", r.getPartHashes() == null ? F.nullNode() : stringsToJson(r.getPartHashes()));
        return o;
    }

    public static ObjectNode toJson(StitchedRecord r) {
        ObjectNode o = F.objectNode();
        o.put("join", r.getJoin());
        o.put("version", r.getVersion());
        o.put("row_key", r.getRowKey());
        o.put("ts", r.getTs());
        o.set("keys", stringsToJson(r.getKeys()));
        o.set("values", scalarsToJson(r.getValues()));
        o.set("sources", stringsToJson(r.getSources()));
        o.set("part_hashes", stringsToJson(r.getPartHashes()));
        o.put("revision", r.getRevision());
        o.put("stitched_at", r.getStitchedAt());
        return o;
    }

    /** A scalar as a JSON node: booleans, numbers and strings as themselves, null as null. */
    public static JsonNode scalar(Object v) {
        if (v == null) {
            return F.nullNode();
        } else if (v instanceof Boolean b) {
            return F.booleanNode(b);
        } else if (v instanceof Integer i) {
            return F.numberNode(i);
        } else if (v instanceof Long l) {
            return F.numberNode(l);
        } else if (v instanceof Float f) {
            return F.numberNode(f.floatValue()); // written as the float's shortest decimal (0.1, not 0.10000000149011612)
        } else if (v instanceof Double d) {
            return F.numberNode(d);
        }
        return F.textNode(v.toString());
    }

    /** A JSON scalar as a Java value: Boolean, Long, Double, String or null; arrays and objects are refused. */
    public static Object scalarValue(JsonNode v, String where) {
        if (v == null || v.isNull()) {
            return null;
        } else if (v.isBoolean()) {
            return v.booleanValue();
        } else if (v.isIntegralNumber()) {
            if (!v.canConvertToLong()) {
                throw new JsonRecordException(where + ": integer " + v + " does not fit in a long");
            }
            // JSON has one integer type: an int when it fits (so int features accept it), else a long.
            return v.canConvertToInt() ? (Object) v.intValue() : (Object) v.longValue();
        } else if (v.isNumber()) {
            return v.doubleValue();
        } else if (v.isTextual()) {
            return v.textValue();
        }
        throw new JsonRecordException(where + ": expected a scalar (boolean, number, string or null), got " + v.getNodeType());
    }

    private static ObjectNode stringsToJson(Map<String, String> m) {
        ObjectNode o = F.objectNode();
        if (m != null) {
            m.forEach(o::put);
        }
        return o;
    }

    private static ObjectNode scalarsToJson(Map<String, Object> m) {
        ObjectNode o = F.objectNode();
        if (m != null) {
            m.forEach((k, v) -> o.set(k, scalar(v)));
        }
        return o;
    }

    private static void requireObject(JsonNode n, String what) {
        if (n == null || !n.isObject()) {
            throw new JsonRecordException(what + ": expected a JSON object, got " + (n == null ? "nothing" : n.getNodeType()));
        }
    }

    private static String text(JsonNode n, String field, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new JsonRecordException("field '" + field + "' is missing");
            }
            return null;
        }
        if (!v.isValueNode()) {
            throw new JsonRecordException("field '" + field + "' must be a string, got " + v.getNodeType());
        }
        return v.asText();
    }

    private static long longField(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new JsonRecordException("field '" + field + "' is missing");
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new JsonRecordException("field '" + field + "' must be an integer (epoch ms), got " + v);
        }
        return v.longValue();
    }

    private static Map<String, String> stringMap(JsonNode n, String field, boolean required) {
        JsonNode v = n.get(field);
        Map<String, String> out = new LinkedHashMap<>();
        if (v == null || v.isNull()) {
            if (required) {
                throw new JsonRecordException("field '" + field + "' is missing");
            }
            return out;
        }
        if (!v.isObject()) {
            throw new JsonRecordException("field '" + field + "' must be an object of strings, got " + v.getNodeType());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull() || !e.getValue().isValueNode()) {
                throw new JsonRecordException(field + "." + e.getKey() + ": expected a string, got " + e.getValue().getNodeType());
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static Map<String, Object> scalarMap(JsonNode n, String field) {
        JsonNode v = n.get(field);
        Map<String, Object> out = new LinkedHashMap<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isObject()) {
            throw new JsonRecordException("field '" + field + "' must be an object, got " + v.getNodeType());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), scalarValue(e.getValue(), field + "." + e.getKey()));
        }
        return out;
    }
}
