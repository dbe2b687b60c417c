package io.splice.core.api;

import java.util.Locale;

/** How a backfilled feature aggregates its source events inside its window. */
public enum Aggregation {
    COUNT, SUM, AVG, MIN, MAX, LAST, COUNT_DISTINCT;

    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the aggregation reads a column ({@code of}); {@code count} counts events. */
    public boolean needsColumn() {
        return this != COUNT;
    }

    public static Aggregation parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }
}
