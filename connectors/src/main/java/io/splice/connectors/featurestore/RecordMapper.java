package io.splice.connectors.featurestore;

import io.splice.avro.StitchedRecord;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import io.splice.core.merge.BadRecordException;
import io.splice.core.merge.ValueTypes;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.FeatureValue;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** StitchedRecord to Feature Store record: identifier, event time, then every non-null feature as a string. */
final class RecordMapper {
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");
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

    /** A record as feature name to value (lists as their string form), as sent or as GetRecord returns it. */
    static Map<String, String> asMap(List<FeatureValue> record) {
        Map<String, String> out = new TreeMap<>();
        for (FeatureValue fv : record) {
            out.put(fv.featureName(), fv.valueAsString() != null ? fv.valueAsString()
                    : fv.hasValueAsStringList() ? fv.valueAsStringList().toString() : "");
        }
        return out;
    }

    /**
     * A hash of a whole record (identifier, event time, every feature), to tell whether the online record is still the
     * one the sink wrote for a row. Numbers are compared by value ({@code 1.0} = {@code 1}) in case the store
     * normalises them.
     */
    static String contentHash(Map<String, String> record) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            new TreeMap<>(record).forEach((k, v) -> {
                String value = v;
                if (v != null && NUMBER.matcher(v).matches()) {
                    try {
                        BigDecimal d = new BigDecimal(v).stripTrailingZeros(); // one form per value; toString keeps 1e99 short
                        value = d.signum() == 0 ? "0" : d.toString();
                    } catch (NumberFormatException | ArithmeticException e) {
                        value = v; // exponent out of range: compared as text
                    }
                }
                md.update(k.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(String.valueOf(value).getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            });
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether a row is its record identifier's only row: the join's one row id is the record identifier. */
    static boolean oneRowPerIdentifier(JoinDefinition join) {
        return join.rowIds().size() == 1 && join.rowIds().get(0).equals(join.recordIdentifier());
    }
}
