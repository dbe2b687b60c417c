package io.splice.core.api;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/** A compacted topic of precomputed values (highest priority first); optionally only for rows in [start, end] UTC days. */
public record BootstrapPart(String topic, LocalDate startDate, LocalDate endDate) {
    /** Rule 6: whether the part counts for a row at {@code tsMillis}. */
    public boolean appliesTo(long tsMillis) {
        if (startDate == null && endDate == null) {
            return true;
        }
        LocalDate day = Instant.ofEpochMilli(tsMillis).atZone(ZoneOffset.UTC).toLocalDate();
        return (startDate == null || !day.isBefore(startDate)) && (endDate == null || !day.isAfter(endDate));
    }
}
