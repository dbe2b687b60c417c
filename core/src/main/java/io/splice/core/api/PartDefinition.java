package io.splice.core.api;

import java.util.List;

/** A group of features computed together (a group-by), or an external part that is never backfilled. */
public record PartDefinition(String name, String source, String key, boolean external, List<FeatureDefinition> features) {
    public List<String> featureNames() {
        return features.stream().map(FeatureDefinition::name).toList();
    }

    /** The longest window of the part's features, or null when one of them is unbounded. */
    public java.time.Duration longestWindow() {
        java.time.Duration max = java.time.Duration.ZERO;
        for (FeatureDefinition f : features) {
            if (f.window() == null) {
                return null;
            }
            if (f.window().duration().compareTo(max) > 0) {
                max = f.window().duration();
            }
        }
        return max;
    }
}
