package io.splice.streams.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The app's own meters (Micrometer; exported in Prometheus format by the runtime). Counters are cached by tag
 * values so that the hot path does one map lookup.
 */
public final class SpliceMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public SpliceMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public static SpliceMetrics noop() {
        return new SpliceMetrics(new SimpleMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    private Counter counter(String name, String description, String... tags) {
        String key = name + String.join("\u0000", tags);
        return counters.computeIfAbsent(key, k -> Counter.builder(name).description(description).tags(tags).register(registry));
    }

    /** A record read from a source topic (source = log, backfill, bootstrap). */
    public void recordIn(String join, String source) {
        counter("splice.records.in", "Input records accepted per join and source", "join", join, "source", source).increment();
    }

    public void unknownJoin(String join, String version) {
        counter("splice.logs.unknown.join", "Logs of a join or version no definition names (skipped)",
                "join", join + "." + version).increment();
    }

    public void dlq(String reason, String topic) {
        counter("splice.dlq", "Records sent to the dead-letter topic", "reason", reason, "topic", topic).increment();
    }

    public void stitched(String join, long revision, Map<String, String> sources) {
        counter("splice.stitched.out", "Stitched records emitted", "join", join).increment();
        if (revision > 1) {
            counter("splice.revisions", "Emissions that revise an already emitted row", "join", join).increment();
        }
        for (String s : sources.values()) {
            String kind = s.startsWith("bootstrap:") ? "bootstrap" : s;
            counter("splice.values.emitted", "Emitted feature values by source (coverage)", "join", join, "source", kind).increment();
        }
    }

    public void tombstone(String join) {
        counter("splice.tombstones.out", "Rows deleted (tombstones emitted)", "join", join).increment();
    }

    public void evicted(String join, int rows) {
        counter("splice.rows.evicted", "Rows evicted by state_retention_days", "join", join).increment(rows);
    }

    public void unchanged(String join) {
        counter("splice.merges.unchanged", "Merges suppressed because values and sources did not change", "join", join).increment();
    }
}
