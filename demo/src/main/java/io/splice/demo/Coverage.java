package io.splice.demo;

import io.splice.core.merge.SourceLabel;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where the values of stitched rows came from: per UTC day of the row time and per feature, how many values were
 * taken from a bootstrap part, the log, the backfill, or are missing. Built from the latest revision of every row.
 */
public final class Coverage {
    /** The source kinds, in priority order (DESIGN §5), then missing: core's {@link SourceLabel.Kind} tags. */
    public static final List<String> KINDS = Arrays.stream(SourceLabel.Kind.values()).map(SourceLabel.Kind::tag).toList();

    private final LinkedHashSet<String> features = new LinkedHashSet<>();
    private final TreeMap<LocalDate, Map<String, Long>> byDay = new TreeMap<>();
    private final TreeMap<LocalDate, Long> rowsByDay = new TreeMap<>();
    private final Map<String, Map<String, Long>> byFeature = new LinkedHashMap<>();
    private final Map<String, Long> bootstrapTopics = new TreeMap<>();
    private final Set<String> recordIdentifiers = new LinkedHashSet<>();
    private long rows;

    /** A coverage whose features come from the rows' {@code sources}. */
    public Coverage() {
    }

    /** A coverage with these features first, in this order (a definition's order). */
    public Coverage(Collection<String> features) {
        for (String f : features) {
            this.features.add(f);
            byFeature.put(f, emptyKinds());
        }
    }

    /** bootstrap, log, backfill, missing: all 0, in that order. */
    public static Map<String, Long> emptyKinds() {
        Map<String, Long> m = new LinkedHashMap<>();
        KINDS.forEach(k -> m.put(k, 0L));
        return m;
    }

    /** The kind of a source value ({@link SourceLabel#kindOf}); a kind's own tag (a summary's column) is itself. */
    public static String kind(String source) {
        return KINDS.contains(source) ? source : SourceLabel.kindOf(source).tag();
    }

    /** Adds one row (its latest revision): its time, its sources, and its record identifier (may be null). */
    public void add(long ts, Map<String, String> sources, String recordIdentifier) {
        LocalDate day = LocalDate.ofInstant(Instant.ofEpochMilli(ts), ZoneOffset.UTC);
        rows++;
        rowsByDay.merge(day, 1L, Long::sum);
        if (recordIdentifier != null) {
            recordIdentifiers.add(recordIdentifier);
        }
        Map<String, Long> d = byDay.computeIfAbsent(day, k -> emptyKinds());
        for (String f : sources.keySet()) {
            if (features.add(f)) {
                byFeature.put(f, emptyKinds());
            }
        }
        for (String f : features) {
            String src = sources.get(f);
            String k = kind(src);
            d.merge(k, 1L, Long::sum);
            byFeature.get(f).merge(k, 1L, Long::sum);
            String topic = SourceLabel.bootstrapTopic(src);
            if (topic != null) {
                bootstrapTopics.merge(topic, 1L, Long::sum);
            }
        }
    }

    public long rows() {
        return rows;
    }

    public List<String> features() {
        return new ArrayList<>(features);
    }

    /** Values by kind over all rows and features. */
    public Map<String, Long> totals() {
        Map<String, Long> t = emptyKinds();
        byDay.values().forEach(m -> m.forEach((k, v) -> t.merge(k, v, Long::sum)));
        return t;
    }

    public long values() {
        return totals().values().stream().mapToLong(Long::longValue).sum();
    }

    /** Values by kind per day (days in order). */
    public TreeMap<LocalDate, Map<String, Long>> byDay() {
        return byDay;
    }

    public TreeMap<LocalDate, Long> rowsByDay() {
        return rowsByDay;
    }

    /** Values by kind per feature (definition order, then first seen). */
    public Map<String, Map<String, Long>> byFeature() {
        return byFeature;
    }

    /** Values taken from each bootstrap topic. */
    public Map<String, Long> bootstrapTopics() {
        return bootstrapTopics;
    }

    /** Distinct record identifiers (online records) among the rows. */
    public int recordIdentifiers() {
        return recordIdentifiers.size();
    }

    /** Share of {@code kind} among the values of {@code feature} (0 when there are none). */
    public double share(String feature, String kind) {
        Map<String, Long> m = byFeature.get(feature);
        if (m == null) {
            return 0;
        }
        long total = m.values().stream().mapToLong(Long::longValue).sum();
        return total == 0 ? 0 : m.getOrDefault(kind, 0L) / (double) total;
    }
}
