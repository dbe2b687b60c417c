package io.splice.core.merge;

import java.util.Map;

/** The merge result for one row: every feature of the join with its value and the source it came from. */
public record MergedRow(long ts, Map<String, String> keys, Map<String, Object> values, Map<String, String> sources) {
    public static final String LOG = "log";
    public static final String BACKFILL = "backfill";
    public static final String MISSING = "missing";

    /** Rule 7 compares only what a consumer trains on: values and sources. */
    public boolean sameOutput(Map<String, Object> otherValues, Map<String, String> otherSources) {
        return values.equals(otherValues) && sources.equals(otherSources);
    }
}
