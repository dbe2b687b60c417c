package io.splice.core.merge;

import java.util.Map;

/** The merge result for one row: every feature of the join with its value and the source it came from. */
public record MergedRow(long ts, Map<String, String> keys, Map<String, Object> values, Map<String, String> sources) {

    /**
     * Rule 7: a revision is emitted when anything a consumer reads differs: values, sources, {@code ts} (the
     * online EventTime, the offline {@code ds}) or {@code keys} (the online record identifier).
     */
    public boolean sameOutput(MergedRow other) {
        return other != null && ts == other.ts && keys.equals(other.keys) && values.equals(other.values)
                && sources.equals(other.sources);
    }
}
