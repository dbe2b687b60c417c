package io.splice.core.definitions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splice.core.api.Definitions;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.PartDefinition;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The semantic hash of a part: SHA-256 (first 16 hex characters) of the canonical JSON of what the part means —
 * name, source, key, external, and per feature name, type, agg, of, window and where. Keys are sorted, features
 * sorted by name and windows normalised to seconds, so YAML formatting, field order and "60m" vs "1h" do not
 * change the hash, while any change of meaning (a window, a filter) does.
 */
public final class SemanticHasher {
    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private SemanticHasher() {
    }

    public static String hash(PartDefinition part) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonicalJson(part).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The canonical form that is hashed; exposed so users can see what a hash covers. */
    public static String canonicalJson(PartDefinition part) {
        ObjectNode o = F.objectNode();
        o.put("name", part.name());
        if (part.external()) {
            o.put("external", true);
        } else {
            o.put("source", part.source());
            o.put("key", part.key());
        }
        ArrayNode features = o.putArray("features");
        List<FeatureDefinition> sorted = part.features().stream().sorted(Comparator.comparing(FeatureDefinition::name)).toList();
        for (FeatureDefinition f : sorted) {
            ObjectNode fo = features.addObject();
            fo.put("name", f.name());
            fo.put("type", f.type().yamlName());
            if (f.agg() != null) {
                fo.put("agg", f.agg().yamlName());
            }
            if (f.of() != null) {
                fo.put("of", f.of());
            }
            if (f.window() != null) {
                fo.put("window_seconds", f.window().duration().toSeconds());
            }
            if (f.where() != null) {
                fo.put("where", f.where().trim());
            }
        }
        try {
            Object tree = CANONICAL.treeToValue(o, Object.class);
            return CANONICAL.writeValueAsString(tree);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Part name to hash, in definition order. */
    public static Map<String, String> hashes(JoinDefinition join) {
        Map<String, String> out = new LinkedHashMap<>();
        join.parts().forEach(p -> out.put(p.name(), hash(p)));
        return out;
    }

    /** {@code {"payments.v2": {"card_txn": "<hash>", ...}}}, as {@code splice definitions hash} prints it. */
    public static Map<String, Map<String, String>> hashes(Definitions defs) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        defs.joins().forEach(j -> out.put(j.id(), hashes(j)));
        return out;
    }
}
