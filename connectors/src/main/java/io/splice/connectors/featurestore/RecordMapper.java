package io.splice.connectors.featurestore;

import io.splice.avro.StitchedRecord;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import io.splice.core.merge.BadRecordException;
import io.splice.core.merge.ValueTypes;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.FeatureValue;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** StitchedRecord to Feature Store record: identifier, event time, then every non-null feature as a string. */
final class RecordMapper {
    static final DateTimeFormatter EVENT_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private RecordMapper() {
    }

    static String eventTime(long epochMillis, boolean fractional) {
        if (fractional) {
            return BigDecimal.valueOf(epochMillis).movePointLeft(3).toPlainString();
        }
        return EVENT_TIME.format(Instant.ofEpochMilli(epochMillis));
    }

    /** The record identifier value of a revision: its value of the join's record identifier key. */
    static String identifier(JoinDefinition join, StitchedRecord v) {
        String key = join.recordIdentifier();
        Map<String, String> keys = v.getKeys();
        String id = keys == null ? null : keys.get(key);
        if (id == null || id.isEmpty()) {
            throw new BadRecordException(BadRecordException.MISSING_KEY, "record of " + join.id()
                    + " has no value for its record identifier key '" + key + "'");
        }
        return id;
    }

    static List<FeatureValue> record(JoinDefinition join, FeatureGroups.Group group, String identifier, StitchedRecord v) {
        List<FeatureValue> out = new ArrayList<>();
        out.add(FeatureValue.builder().featureName(group.recordIdentifierFeature()).valueAsString(identifier).build());
        out.add(FeatureValue.builder().featureName(group.eventTimeFeature())
                .valueAsString(eventTime(v.getTs(), group.eventTimeFractional())).build());
        Map<String, Object> values = v.getValues();
        for (FeatureDefinition fd : join.features()) {
            if (fd.name().equals(group.recordIdentifierFeature()) || fd.name().equals(group.eventTimeFeature())) {
                continue;
            }
            Object raw = values == null ? null : values.get(fd.name());
            Object typed = ValueTypes.promote(fd.name(), raw, fd.type());
            if (typed != null) {
                out.add(FeatureValue.builder().featureName(fd.name()).valueAsString(asString(typed)).build());
            }
        }
        return out;
    }

    static String asString(Object v) {
        if (v instanceof Double d) {
            return Double.isFinite(d) ? BigDecimal.valueOf(d).stripTrailingZeros().toPlainString() : d.toString();
        }
        if (v instanceof Float f) {
            return Float.isFinite(f) ? new BigDecimal(Float.toString(f)).stripTrailingZeros().toPlainString() : f.toString();
        }
        return v.toString();
    }

    /**
     * The record identifier of a deleted row, when the row key tells it: the record identifier is one of the
     * join's row ids (the row key is that value, or the JSON array of the row id values). Null otherwise.
     */
    static String identifierFromRowKey(JoinDefinition join, String rowKey) {
        List<String> rowIds = join.rowIds();
        int i = rowIds.indexOf(join.recordIdentifier());
        if (i < 0) {
            return null;
        }
        if (rowIds.size() == 1) {
            return rowKey;
        }
        List<String> parts = parseJsonStringArray(rowKey);
        return parts != null && parts.size() == rowIds.size() ? parts.get(i) : null;
    }

    private static List<String> parseJsonStringArray(String s) {
        try {
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(s);
            if (n == null || !n.isArray()) {
                return null;
            }
            List<String> out = new ArrayList<>();
            n.forEach(e -> out.add(e.isTextual() ? e.textValue() : e.toString()));
            return out;
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
