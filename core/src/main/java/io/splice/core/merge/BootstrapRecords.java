package io.splice.core.merge;

import java.util.HashMap;
import java.util.Map;

/**
 * How a record of a compacted input becomes a source record (DESIGN §4, rule 1): a plain table's hashes, and a
 * stitched record (another join's output) read as a bootstrap record.
 */
public final class BootstrapRecords {
    private BootstrapRecords() {
    }

    /** No hashes at all is a plain table, valid for every part (rule 1); an empty map says no more than null does. */
    public static Map<String, String> hashesOrPlain(Map<String, String> partHashes) {
        return partHashes == null || partHashes.isEmpty() ? null : partHashes;
    }

    /** A stitched record's values as a bootstrap record holds them: features whose source is missing are absent. */
    public static Map<String, Object> stitchedValues(Map<String, ?> values, Map<String, String> sources) {
        Map<String, Object> out = new HashMap<>(values);
        sources.forEach((feature, label) -> {
            if (SourceLabel.MISSING.equals(label)) {
                out.remove(feature);
            }
        });
        return out;
    }
}
