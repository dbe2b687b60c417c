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
    private Map<String, Object> lastValues;
    private Map<String, String> lastSources;
    private long revision;
    private boolean evicted;

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

    public long revision() {
        return revision;
    }

    public boolean live() {
        return lastValues != null;
    }

    /** Restores an emitted state (used by state-store serdes). */
    public void restoreEmitted(Map<String, Object> values, Map<String, String> sources, long revision) {
        this.lastValues = values;
        this.lastSources = sources;
        this.revision = revision;
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

    /**
     * Drops the row's sources and emitted values (state retention, DESIGN §6), keeping its revision so the row is
     * remembered as evicted. The stitched output is left as it is: no tombstone.
     */
    public void evict() {
        log = null;
        backfill = null;
        bootstraps.clear();
        lastValues = null;
        lastSources = null;
        evicted = true;
    }

    /** Restores the eviction mark (used by state-store serdes). */
    public void restoreEvicted(boolean evicted) {
        this.evicted = evicted;
    }

    void emitted(MergedRow row) {
        revision++;
        lastValues = row.values();
        lastSources = row.sources();
    }

    void deleted() {
        lastValues = null;
        lastSources = null;
    }
}
