package io.splice.local.featurestore;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A feature group of the local endpoint: its name, record identifier and event time feature names, optional
 * feature definitions (name to {@code Integral}, {@code Fractional} or {@code String}; empty: any feature is
 * accepted as a string) and an optional online TTL.
 */
public record FeatureGroupSpec(String name, String recordIdentifierFeatureName, String eventTimeFeatureName,
                               Map<String, String> featureDefinitions, Duration ttl) {

    public FeatureGroupSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(recordIdentifierFeatureName, "recordIdentifierFeatureName");
        Objects.requireNonNull(eventTimeFeatureName, "eventTimeFeatureName");
        featureDefinitions = featureDefinitions == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(featureDefinitions));
        for (Map.Entry<String, String> e : featureDefinitions.entrySet()) {
            if (!e.getValue().equals("Integral") && !e.getValue().equals("Fractional") && !e.getValue().equals("String")) {
                throw new IllegalArgumentException("feature " + e.getKey() + ": type must be Integral, Fractional or String");
            }
        }
    }

    /** A group that accepts any feature (as a string). */
    public static FeatureGroupSpec of(String name, String recordIdentifierFeatureName, String eventTimeFeatureName) {
        return new FeatureGroupSpec(name, recordIdentifierFeatureName, eventTimeFeatureName, Map.of(), null);
    }

    public FeatureGroupSpec withFeature(String feature, String type) {
        Map<String, String> m = new LinkedHashMap<>(featureDefinitions);
        m.put(feature, type);
        return new FeatureGroupSpec(name, recordIdentifierFeatureName, eventTimeFeatureName, m, ttl);
    }

    public FeatureGroupSpec withTtl(Duration ttl) {
        return new FeatureGroupSpec(name, recordIdentifierFeatureName, eventTimeFeatureName, featureDefinitions, ttl);
    }

    /** The type of {@code feature}, or null when the group has no definitions (anything goes) or does not define it. */
    String typeOf(String feature) {
        if (feature.equals(eventTimeFeatureName) && !featureDefinitions.containsKey(feature)) {
            return "String";
        }
        return featureDefinitions.get(feature);
    }
}
