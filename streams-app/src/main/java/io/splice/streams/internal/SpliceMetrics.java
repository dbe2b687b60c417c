package io.splice.streams.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import io.splice.core.merge.Consistency;
import io.splice.core.merge.SourceKind;
import io.splice.core.merge.SourceLabel;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
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

    /**
     * The meters of one join, resolved once: the hot path (every record, every emitted value) then costs a field
     * read, not a tag-string key and a map lookup (that showed at 6% of the stream thread in bench/stitch).
     */
    private final class JoinMeters {
        final Counter inLog, inBackfill, inBootstrap, stitchedOut, revisions, tombstones, unchanged, evicted;
        final Counter fromLog, fromBackfill, fromBootstrap, missing;
        final Timer merge, eviction;
        final String join;

        JoinMeters(String join) {
            this.join = join;
            inLog = inCounter(join, SourceKind.LOG.tag());
            inBackfill = inCounter(join, SourceKind.BACKFILL.tag());
            inBootstrap = inCounter(join, SourceKind.BOOTSTRAP.tag());
            stitchedOut = counter("splice.stitched.out", "Stitched records emitted", "join", join);
            revisions = counter("splice.revisions", "Emissions that revise an already emitted row", "join", join);
            tombstones = counter("splice.tombstones.out", "Rows deleted (tombstones emitted)", "join", join);
            unchanged = counter("splice.merges.unchanged", "Merges suppressed because values, sources, ts and keys did not change", "join", join);
            evicted = counter("splice.rows.evicted", "Rows evicted by state_retention_days", "join", join);
            fromLog = values(join, SourceLabel.Kind.LOG.tag());
            fromBackfill = values(join, SourceLabel.Kind.BACKFILL.tag());
            fromBootstrap = values(join, SourceLabel.Kind.BOOTSTRAP.tag());
            missing = values(join, SourceLabel.Kind.MISSING.tag());
            // count, sum and max only (no histogram buckets): a per-record timer stays one series per join
            merge = Timer.builder("splice.merge.duration")
                    .description("Time to stitch one input record: state read, merge rules, state write, emission")
                    .tag("join", join).register(registry);
            eviction = Timer.builder("splice.eviction.duration")
                    .description("Time of one retention (eviction) punctuation step of the join's store")
                    .tag("join", join).register(registry);
        }

        Counter in(SourceKind source) {
            return switch (source) {
                case LOG -> inLog;
                case BACKFILL -> inBackfill;
                case BOOTSTRAP -> inBootstrap;
            };
        }

        void emitted(Map<String, String> sources) {
            int log = 0, backfill = 0, bootstrap = 0, miss = 0;
            for (String s : sources.values()) {
                switch (SourceLabel.kindOf(s)) {
                    case LOG -> log++;
                    case BACKFILL -> backfill++;
                    case BOOTSTRAP -> bootstrap++;
                    case MISSING -> miss++;
                }
            }
            add(fromLog, log);
            add(fromBackfill, backfill);
            add(fromBootstrap, bootstrap);
            add(missing, miss);
        }

        private static void add(Counter c, int n) {
            if (n > 0) {
                c.increment(n);
            }
        }
    }

    private final Map<String, JoinMeters> joins = new ConcurrentHashMap<>();

    private JoinMeters join(String join) {
        JoinMeters m = joins.get(join);
        return m != null ? m : joins.computeIfAbsent(join, JoinMeters::new);
    }

    private Counter inCounter(String join, String source) {
        return counter("splice.records.in", "Input records accepted per join and source", "join", join, "source", source);
    }

    private Counter values(String join, String source) {
        return counter("splice.values.emitted", "Emitted feature values by source (coverage)", "join", join, "source", source);
    }

    /** A record read from a source topic. */
    public void recordIn(String join, SourceKind source) {
        join(join).in(source).increment();
    }

    public void unknownJoin(String join, String version) {
        counter("splice.logs.unknown.join", "Logs of a join or version no definition names (skipped)",
                "join", join + "." + version).increment();
    }

    public void dlq(String reason, String topic) {
        counter("splice.dlq", "Records sent to the dead-letter topic", "reason", reason, "topic", topic).increment();
    }

    public void stitched(String join, long revision, Map<String, String> sources) {
        JoinMeters m = join(join);
        m.stitchedOut.increment();
        if (revision > 1) {
            m.revisions.increment();
        }
        m.emitted(sources);
    }

    public void tombstone(String join) {
        join(join).tombstones.increment();
    }

    public void evicted(String join, int rows) {
        join(join).evicted.increment(rows);
    }

    /** One input record of {@code join} took {@code nanos} to stitch (on the stream thread). */
    public void mergeTime(String join, long nanos) {
        join(join).merge.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One retention step (punctuation) of {@code join} took {@code nanos}. */
    public void evictionTime(String join, long nanos) {
        join(join).eviction.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A record read from a partition other than its row key's, re-routed to its row's task (DESIGN §6). */
    public void misplaced(String topic) {
        counter("splice.records.misplaced", "Records found in a partition other than their row key's and re-routed",
                "topic", topic).increment();
    }

    /** A stream thread failed (it was replaced, or the app shut down). */
    public void streamThreadFailed() {
        counter("splice.stream.thread.failures", "Stream threads that failed (replaced, or the app shut down)").increment();
    }

    /** Rows and bytes of a join's state store on this instance, read from {@code source} at each scrape. */
    public <T> void storeSize(String join, T source, ToDoubleFunction<T> rows, ToDoubleFunction<T> bytes) {
        Gauge.builder("splice.store.rows", source, rows)
                .description("Rows in the join's state store on this instance (RocksDB's estimate)")
                .tag("join", join).register(registry);
        Gauge.builder("splice.store.bytes", source, bytes)
                .description("Bytes of the join's state store on this instance (SST files and memtables)")
                .baseUnit("bytes").tag("join", join).register(registry);
    }

    /** Changelog records this instance still has to replay before its restoring tasks run. */
    public <T> void restoreRemaining(T source, ToDoubleFunction<T> records) {
        Gauge.builder("splice.restore.remaining.records", source, records)
                .description("Changelog records this instance still has to restore (0 when every task is running)")
                .register(registry);
    }

    /**
     * Online/offline consistency of {@code join}: each feature the log and a valid backfill both hold, compared
     * ({@code splice_consistency_compared_total}) and mismatched ({@code splice_consistency_mismatched_total}).
     */
    public void consistency(String join, List<Consistency.Comparison> comparisons) {
        for (Consistency.Comparison c : comparisons) {
            counter("splice.consistency.compared", "Feature values the log and a valid backfill both hold, compared",
                    "join", join, "feature", c.feature()).increment();
            Counter mismatched = counter("splice.consistency.mismatched",
                    "Compared feature values where the log and the backfill disagree (splice.consistency.tolerance)",
                    "join", join, "feature", c.feature());
            if (c.mismatch()) {
                mismatched.increment();
            }
        }
    }

    public void unchanged(String join) {
        join(join).unchanged.increment();
    }
}
