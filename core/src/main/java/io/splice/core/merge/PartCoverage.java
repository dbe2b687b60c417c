package io.splice.core.merge;

import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.PartDefinition;

import java.util.List;
import java.util.Map;

/**
 * Rule 2 (DESIGN §5), in its two readings: over a row's source records, as the merge decides it, and over a stitched
 * record's {@code sources}, as the backfill's {@code --only-uncovered} reads it back from the offline table. One home,
 * so that what the topology covers and what the backfill skips cannot drift apart.
 */
public final class PartCoverage {
    private PartCoverage() {
    }

    /** The part is covered when the features present (even as null) in the higher sources' values hold all of it. */
    public static boolean covered(PartDefinition part, List<Map<String, Object>> higherSourceValues) {
        for (FeatureDefinition f : part.features()) {
            boolean present = false;
            for (Map<String, Object> values : higherSourceValues) {
                if (values.containsKey(f.name())) {
                    present = true;
                    break;
                }
            }
            if (!present) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a stitched record shows the part covered: every feature's source is a bootstrap part or the log. A
     * deleted row covers nothing, and a record stitched under another definition of the part ({@code partHashes}
     * naming another hash; null: unknown, not checked) says nothing about the current one.
     */
    public static boolean coveredIn(PartDefinition part, String currentHash, Map<String, String> sources,
                                    Map<String, String> partHashes, boolean deleted) {
        return coveredIn(part.name(), part.featureNames().toArray(String[]::new), currentHash, sources, partHashes, deleted);
    }

    /** As above, with the part as its name and features (plain values that a Spark closure can carry). */
    public static boolean coveredIn(String partName, String[] features, String currentHash, Map<String, String> sources,
                                    Map<String, String> partHashes, boolean deleted) {
        if (deleted || sources == null) {
            return false;
        }
        if (partHashes != null && !MergeRules.validFor(partHashes, currentHash, partName, false)) {
            return false;
        }
        for (String f : features) {
            if (!SourceLabel.covers(sources.get(f))) {
                return false;
            }
        }
        return true;
    }
}
