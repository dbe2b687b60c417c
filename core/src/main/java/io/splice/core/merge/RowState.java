package io.splice.core.merge;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything Splice keeps for one row of one join: the latest record of each source (rule 9), and what was last
 * emitted, so that only changes are emitted (rule 7) and revisions keep counting across a deletion.
 */
public final class RowState {
    private SourceRecord log;
    private SourceRecord backfill;
    private final Map<String, SourceRecord> bootstraps = new LinkedHashMap<>();
    private long lastTs;
    private Map<String, String> lastKeys;
    private Map<String, Object> lastValues;
    private Map<String, String> lastSources;
    private long revision;
    private boolean evicted;
    private long evictedAt;

    public SourceRecord log() {
        return log;
    }

    public void log(SourceRecord r) {
        this.log = r;
    }

    public SourceRecord backfill() {
        return backfill;
    }

    public void backfill(SourceRecord r) {
        this.backfill = r;
    }

    /** Bootstrap records by topic. */
    public Map<String, SourceRecord> bootstraps() {
        return bootstraps;
    }

    public void bootstrap(String topic, SourceRecord r) {
        if (r == null) {
            bootstraps.remove(topic);
        } else {
            bootstraps.put(topic, r);
        }
    }

    /** Values of the last emitted revision; null when nothing is live (never emitted, or deleted). */
    public Map<String, Object> lastValues() {
        return lastValues;
    }

    public Map<String, String> lastSources() {
        return lastSources;
    }

    /** {@code ts} of the last emitted revision (meaningful only while {@link #live()}). */
    public long lastTs() {
        return lastTs;
    }

    /** {@code keys} of the last emitted revision; null when nothing is live. */
    public Map<String, String> lastKeys() {
        return lastKeys;
    }

    public long revision() {
        return revision;
    }

    public boolean live() {
        return lastValues != null;
    }

    /** Restores an emitted state (used by state-store serdes); null values: nothing is live. */
    public void restoreEmitted(long ts, Map<String, String> keys, Map<String, Object> values, Map<String, String> sources,
                               long revision) {
        this.lastTs = ts;
        this.lastKeys = values == null ? null : keys;
        this.lastValues = values;
        this.lastSources = values == null ? null : sources;
        this.revision = revision;
    }

    /** The last emission as a row, for comparing with a new merge (rule 7); null when nothing is live. */
    MergedRow lastEmitted() {
        return live() ? new MergedRow(lastTs, lastKeys, lastValues, lastSources) : null;
    }

    /** The row time: from the log, else the backfill; -1 when neither exists. */
    public long rowTs() {
        return log != null ? log.ts() : backfill != null ? backfill.ts() : -1L;
    }

    /** True when no source record is held at all (the state can be dropped once nothing is live). */
    public boolean empty() {
        return log == null && backfill == null && bootstraps.isEmpty();
    }

    /** Whether the row was evicted by state retention: later records for it are refused, not merged anew. */
    public boolean evicted() {
        return evicted;
    }

    /** Stream time at which the row was evicted (meaningful only when {@link #evicted()}): its marker expires after it. */
    public long evictedAt() {
        return evictedAt;
    }

    /**
     * Drops the row's sources and emitted values (state retention, DESIGN §6), keeping its revision so the row is
     * remembered as evicted. The stitched output is left as it is: no tombstone.
     */
    public void evict(long streamTime) {
        log = null;
        backfill = null;
        bootstraps.clear();
        deleted();
        evicted = true;
        evictedAt = streamTime;
    }

    /** Restores the eviction mark (used by state-store serdes). */
    public void restoreEvicted(boolean evicted, long evictedAt) {
        this.evicted = evicted;
        this.evictedAt = evictedAt;
    }

    void emitted(MergedRow row) {
        revision++;
        lastTs = row.ts();
        lastKeys = row.keys();
        lastValues = row.values();
        lastSources = row.sources();
    }

    void deleted() {
        lastTs = 0L;
        lastKeys = null;
        lastValues = null;
        lastSources = null;
    }
}
