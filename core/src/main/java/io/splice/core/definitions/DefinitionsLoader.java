package io.splice.core.definitions;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.splice.core.api.Aggregation;
import io.splice.core.api.BootstrapPart;
import io.splice.core.api.Definitions;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.FeatureType;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.OfflineSpec;
import io.splice.core.api.OnlineSpec;
import io.splice.core.api.PartDefinition;
import io.splice.core.api.Topics;
import io.splice.core.api.Window;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code joins.yaml} (DESIGN §3) and validates it in one pass, collecting every problem with its path so a
 * user fixes the file in one round. Each mistake is reported once: a field that is wrong is not reported again by
 * the checks that depend on it.
 */
public final class DefinitionsLoader {
    /** A key written twice in one mapping is an error naming its line, not a silent "last one wins". */
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");
    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");

    private static final Set<String> ROOT_FIELDS = Set.of("joins");
    private static final Set<String> JOIN_FIELDS = Set.of("name", "version", "row_ids", "keys", "bootstrap_from_log",
            "parts", "bootstrap_parts", "online", "offline", "state_retention_days");
    private static final Set<String> PART_FIELDS = Set.of("name", "source", "key", "external", "features");
    private static final Set<String> FEATURE_FIELDS = Set.of("name", "type", "agg", "of", "window", "where");
    private static final Set<String> BOOTSTRAP_FIELDS = Set.of("topic", "start_date", "end_date");
    private static final Set<String> ONLINE_FIELDS = Set.of("feature_group", "record_identifier");
    private static final Set<String> OFFLINE_FIELDS = Set.of("s3_prefix");

    private final Topics topics;
    private final List<Problem> problems = new ArrayList<>();

    private DefinitionsLoader(Topics topics) {
        this.topics = topics;
    }

    public static Definitions load(Path file) {
        return load(file, Topics.defaults());
    }

    public static Definitions load(Path file, Topics topics) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new DefinitionsException(file.toString(), List.of(new Problem("(file)", "cannot read: " + e.getMessage())));
        }
        return parse(text, file.toString(), topics);
    }

    public static Definitions parse(String yaml, String sourceName, Topics topics) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "(file)"
                    : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new DefinitionsException(sourceName, List.of(new Problem(where, "not valid YAML: " + e.getOriginalMessage())));
        }
        DefinitionsLoader loader = new DefinitionsLoader(topics);
        Definitions defs = loader.root(root);
        if (!loader.problems.isEmpty()) {
            throw new DefinitionsException(sourceName, loader.problems);
        }
        return new Definitions(defs.joins(), yaml);
    }

    private void problem(String path, String message) {
        problems.add(new Problem(path, message));
    }

    private Definitions root(JsonNode root) {
        if (root == null || root.isMissingNode() || root.isNull()) {
            problem("joins", "the file is empty; expected a top-level 'joins' list");
            return new Definitions(List.of());
        }
        if (!root.isObject()) {
            problem("(root)", "expected a mapping with a 'joins' list");
            return new Definitions(List.of());
        }
        unknownFields(root, "", ROOT_FIELDS);
        JsonNode joins = root.get("joins");
        List<JoinDefinition> out = new ArrayList<>();
        if (joins == null || !joins.isArray() || joins.isEmpty()) {
            problem("joins", "expected a non-empty list of joins");
            return new Definitions(out);
        }
        Map<String, String> seen = new HashMap<>();
        for (int i = 0; i < joins.size(); i++) {
            String path = "joins[" + i + "]";
            JoinDefinition j = join(joins.get(i), path);
            if (j != null && j.name() != null && j.version() != null) {
                String prev = seen.putIfAbsent(j.id(), path);
                if (prev != null) {
                    problem(path, "duplicate join " + j.id() + " (also at " + prev + ")");
                }
            }
            out.add(j);
        }
        return new Definitions(out);
    }

    private JoinDefinition join(JsonNode n, String path) {
        if (!n.isObject()) {
            problem(path, "expected a mapping");
            return null;
        }
        unknownFields(n, path, JOIN_FIELDS);
        String name = identifier(n, path, "name");
        String version = identifier(n, path, "version");
        List<String> rowIds = stringList(n, path, "row_ids", true);
        List<String> keys = stringList(n, path, "keys", true);
        boolean fromLog = bool(n, path, "bootstrap_from_log", false);
        Integer retention = null;
        if (n.has("state_retention_days")) {
            JsonNode r = n.get("state_retention_days");
            if (!r.canConvertToInt() || !r.isIntegralNumber() || r.intValue() <= 0) {
                problem(path + ".state_retention_days", "expected a positive whole number of days, got " + r);
            } else {
                retention = r.intValue();
            }
        }

        List<PartDefinition> parts = new ArrayList<>();
        JsonNode partsNode = n.get("parts");
        if (partsNode == null || !partsNode.isArray() || partsNode.isEmpty()) {
            problem(path + ".parts", "expected a non-empty list of parts");
        } else {
            Map<String, String> partNames = new HashMap<>();
            Map<String, String> featureNames = new HashMap<>();
            for (int i = 0; i < partsNode.size(); i++) {
                String pp = path + ".parts[" + i + "]";
                PartDefinition p = part(partsNode.get(i), pp, keys, featureNames);
                if (p == null) {
                    continue;
                }
                if (p.name() != null) {
                    String prev = partNames.putIfAbsent(p.name(), pp);
                    if (prev != null) {
                        problem(pp + ".name", "duplicate part name '" + p.name() + "' (also at " + prev + ")");
                    }
                }
                parts.add(p);
            }
        }

        List<BootstrapPart> bootstraps = new ArrayList<>();
        JsonNode bps = n.get("bootstrap_parts");
        if (bps != null && !bps.isNull()) {
            if (!bps.isArray()) {
                problem(path + ".bootstrap_parts", "expected a list");
            } else {
                String ownOutput = name != null && version != null ? topics.stitched(name, version) : null;
                Set<String> seenTopics = new HashSet<>();
                for (int i = 0; i < bps.size(); i++) {
                    String bp = path + ".bootstrap_parts[" + i + "]";
                    BootstrapPart b = bootstrap(bps.get(i), bp, ownOutput, seenTopics);
                    if (b != null) {
                        bootstraps.add(b);
                    }
                }
            }
        }

        OnlineSpec online = null;
        JsonNode on = n.get("online");
        if (on != null && !on.isNull()) {
            if (!on.isObject()) {
                problem(path + ".online", "expected a mapping with feature_group and record_identifier");
            } else {
                unknownFields(on, path + ".online", ONLINE_FIELDS);
                String fg = optionalString(on, path + ".online", "feature_group");
                String rid = optionalString(on, path + ".online", "record_identifier");
                if (rid != null && keys != null && !keys.contains(rid)) {
                    problem(path + ".online.record_identifier", "'" + rid + "' is not one of the join's keys " + keys);
                }
                online = new OnlineSpec(fg, rid);
            }
        }
        OfflineSpec offline = null;
        JsonNode off = n.get("offline");
        if (off != null && !off.isNull()) {
            if (!off.isObject()) {
                problem(path + ".offline", "expected a mapping with s3_prefix");
            } else {
                unknownFields(off, path + ".offline", OFFLINE_FIELDS);
                offline = new OfflineSpec(optionalString(off, path + ".offline", "s3_prefix"));
            }
        }
        return new JoinDefinition(name, version, rowIds == null ? List.of() : rowIds, keys == null ? List.of() : keys,
                fromLog, List.copyOf(parts), List.copyOf(bootstraps), online, offline, retention);
    }

    private PartDefinition part(JsonNode n, String path, List<String> joinKeys, Map<String, String> featureNames) {
        if (!n.isObject()) {
            problem(path, "expected a mapping");
            return null;
        }
        unknownFields(n, path, PART_FIELDS);
        String name = identifier(n, path, "name");
        boolean external = bool(n, path, "external", false);
        String source = null;
        String key = null;
        if (external) {
            for (String f : List.of("source", "key")) {
                if (n.has(f)) {
                    problem(path + "." + f, "an external part is never backfilled, so it takes no " + f);
                }
            }
        } else {
            source = requiredString(n, path, "source");
            key = requiredString(n, path, "key");
            if (key != null && joinKeys != null && !joinKeys.contains(key)) {
                problem(path + ".key", "'" + key + "' is not one of the join's keys " + joinKeys);
            }
        }
        List<FeatureDefinition> features = new ArrayList<>();
        JsonNode fs = n.get("features");
        if (fs == null || !fs.isArray() || fs.isEmpty()) {
            problem(path + ".features", "expected a non-empty list of features");
        } else {
            for (int i = 0; i < fs.size(); i++) {
                String fp = path + ".features[" + i + "]";
                FeatureDefinition f = feature(fs.get(i), fp, external);
                if (f == null) {
                    continue;
                }
                if (f.name() != null) {
                    String prev = featureNames.putIfAbsent(f.name(), fp);
                    if (prev != null) {
                        problem(fp + ".name", "duplicate feature name '" + f.name() + "' (also at " + prev + ")");
                    }
                }
                features.add(f);
            }
        }
        return new PartDefinition(name, source, key, external, List.copyOf(features));
    }

    private FeatureDefinition feature(JsonNode n, String path, boolean external) {
        if (!n.isObject()) {
            problem(path, "expected a mapping like {name: x, type: long, agg: count, window: 1h}");
            return null;
        }
        unknownFields(n, path, FEATURE_FIELDS);
        String name = identifier(n, path, "name");
        FeatureType type = null;
        String typeText = requiredString(n, path, "type");
        if (typeText != null) {
            try {
                type = FeatureType.parse(typeText);
            } catch (IllegalArgumentException e) {
                problem(path + ".type", "unknown type '" + typeText + "'; expected one of " + names(FeatureType.values()));
            }
        }
        if (external) {
            for (String f : List.of("agg", "of", "window", "where")) {
                if (n.has(f)) {
                    problem(path + "." + f, "a feature of an external part is never computed, so it takes no " + f);
                }
            }
            return new FeatureDefinition(name, type, null, null, null, null);
        }
        Aggregation agg = null;
        String aggText = requiredString(n, path, "agg");
        if (aggText != null) {
            try {
                agg = Aggregation.parse(aggText);
            } catch (IllegalArgumentException e) {
                problem(path + ".agg", "unknown aggregation '" + aggText + "'; expected one of " + names(Aggregation.values()));
            }
        }
        String of = optionalString(n, path, "of");
        if (agg != null && agg.needsColumn() && of == null && !n.has("of")) {
            problem(path + ".of", "'" + agg.yamlName() + "' needs the column it aggregates ('of')");
        }
        if (agg != null && type != null) {
            String mismatch = switch (agg) {
                case COUNT, COUNT_DISTINCT -> type == FeatureType.INT || type == FeatureType.LONG ? null : "an int or long";
                case AVG -> type == FeatureType.FLOAT || type == FeatureType.DOUBLE ? null : "a float or double";
                case SUM -> type.isNumeric() ? null : "a numeric type";
                default -> null;
            };
            if (mismatch != null) {
                problem(path + ".type", "'" + agg.yamlName() + "' gives " + mismatch + ", not " + type.yamlName());
            }
        }
        Window window = null;
        if (n.has("window") && !n.get("window").isNull()) {
            JsonNode w = n.get("window");
            window = w.isValueNode() ? Window.parseOrNull(w.asText()) : null;
            if (window == null) {
                problem(path + ".window", "bad window '" + w.asText(w.toString())
                        + "'; expected a positive number followed by m, h or d (e.g. 30m, 1h, 7d)");
            }
        }
        String where = optionalString(n, path, "where");
        return new FeatureDefinition(name, type, agg, of, window, where);
    }

    private BootstrapPart bootstrap(JsonNode n, String path, String ownOutput, Set<String> seenTopics) {
        if (!n.isObject()) {
            problem(path, "expected a mapping with a topic");
            return null;
        }
        unknownFields(n, path, BOOTSTRAP_FIELDS);
        String topic = requiredString(n, path, "topic");
        if (topic != null) {
            if (!TOPIC.matcher(topic).matches()) {
                problem(path + ".topic", "'" + topic + "' is not a valid Kafka topic name");
            } else if (topic.equals(ownOutput)) {
                problem(path + ".topic", "'" + topic + "' is the join's own output topic; a join cannot bootstrap from itself");
            } else if (!seenTopics.add(topic)) {
                problem(path + ".topic", "'" + topic + "' is listed twice");
            }
        }
        LocalDate start = date(n, path, "start_date");
        LocalDate end = date(n, path, "end_date");
        if (start != null && end != null && end.isBefore(start)) {
            problem(path + ".end_date", "end_date " + end + " is before start_date " + start);
        }
        return new BootstrapPart(topic, start, end);
    }

    private LocalDate date(JsonNode n, String path, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        try {
            return LocalDate.parse(v.asText());
        } catch (DateTimeParseException e) {
            problem(path + "." + field, "expected a date like 2025-10-01, got '" + v.asText() + "'");
            return null;
        }
    }

    private void unknownFields(JsonNode n, String path, Set<String> allowed) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                problem(path.isEmpty() ? f : path + "." + f, "unknown field '" + f + "'; expected one of "
                        + allowed.stream().sorted().toList());
            }
        }
    }

    private String identifier(JsonNode n, String path, String field) {
        String v = requiredString(n, path, field);
        if (v != null && !IDENTIFIER.matcher(v).matches()) {
            problem(path + "." + field, "'" + v + "' must start with a letter and hold only letters, digits and _");
            return null;
        }
        return v;
    }

    private String requiredString(JsonNode n, String path, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull() || (v.isValueNode() && v.asText().isBlank())) {
            problem(path + "." + field, "missing required field '" + field + "'");
            return null;
        }
        if (!v.isValueNode()) {
            problem(path + "." + field, "expected a string, got a " + v.getNodeType().name().toLowerCase());
            return null;
        }
        return v.asText().trim();
    }

    private String optionalString(JsonNode n, String path, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode() || v.asText().isBlank()) {
            problem(path + "." + field, "expected a non-empty string");
            return null;
        }
        return v.asText().trim();
    }

    private boolean bool(JsonNode n, String path, String field, boolean dflt) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            problem(path + "." + field, "expected true or false, got " + v);
            return dflt;
        }
        return v.booleanValue();
    }

    private List<String> stringList(JsonNode n, String path, String field, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                problem(path + "." + field, "missing required field '" + field + "' (a list of field names)");
            }
            return null;
        }
        if (!v.isArray() || v.isEmpty()) {
            problem(path + "." + field, "expected a non-empty list of field names");
            return null;
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual() || e.asText().isBlank()) {
                problem(path + "." + field + "[" + i + "]", "expected a field name");
            } else if (!out.add(e.asText())) {
                problem(path + "." + field + "[" + i + "]", "'" + e.asText() + "' is listed twice");
            }
        }
        return List.copyOf(out);
    }

    private static List<String> names(Enum<?>[] values) {
        return Arrays.stream(values).map(v -> v.name().toLowerCase()).toList();
    }
}
