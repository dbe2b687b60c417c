package io.splice.streams.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splice.avro.StitchedRecord;
import io.splice.avro.json.RecordJson;
import io.splice.core.merge.BadRecordException;
import io.splice.core.merge.Consistency;
import io.splice.core.merge.Emission;
import io.splice.core.merge.JoinPlan;
import io.splice.core.merge.MergeRules;
import io.splice.core.merge.MergedRow;
import io.splice.core.merge.RowState;
import io.splice.core.merge.SourceKind;
import io.splice.core.merge.SourceRecord;
import io.splice.core.offline.TombstoneHeaders;
import io.splice.core.api.DeadLetterHeaders;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keeps one state per row of a join (all its sources), runs the merge rules of {@code core} on every input and
 * forwards a new revision only when values or sources changed, or a tombstone when the row is gone. With
 * {@code state_retention_days}, a stream-time punctuator evicts old rows; a later record for one is dead-lettered
 * ({@code row-evicted}) rather than restarting the row with fewer sources.
 */
final class RowStitcher implements Processor<String, Routed, String, StitchOutput> {
    /** Retention runs in small steps of stream time, each bounded in work (see {@link #evictionStep}). */
    static final Duration EVICTION_INTERVAL = Duration.ofMinutes(1);
    static final int EVICTION_SCAN_BUDGET = 10_000;

    private final JoinPlan plan;
    private final String storeName;
    private final SpliceMetrics metrics;
    private final int maxRowBytes;
    private final double consistencyTolerance;
    private ProcessorContext<String, StitchOutput> context;
    /** Row states as bytes: the stitcher encodes them itself so that it can check a row's size before it is written. */
    private KeyValueStore<String, byte[]> store;
    /** The key the next retention step starts from; null: the store's start. In memory only: a restart rescans. */
    private String evictionCursor;
    /** The names of this plan, which states are written against (format 5), and every table the store's states name. */
    private PlanTable table;
    private PlanTable.Dictionary tables;
    /** Position of {@link #table} in {@link #tables}; -1 until the first write under this plan adds it. */
    private int tableId;

    RowStitcher(JoinPlan plan, String storeName, SpliceMetrics metrics, int maxRowBytes, double consistencyTolerance) {
        this.plan = plan;
        this.storeName = storeName;
        this.metrics = metrics;
        this.maxRowBytes = maxRowBytes;
        this.consistencyTolerance = consistencyTolerance;
    }

    @Override
    public void init(ProcessorContext<String, StitchOutput> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
        // Read here, after restoration (and again when a task is revived): the store, not this object, is the truth.
        this.table = PlanTable.of(plan);
        loadTables();
        Integer days = plan.join().stateRetentionDays();
        if (days != null) {
            long retention = Duration.ofDays(days).toMillis();
            context.schedule(EVICTION_INTERVAL, PunctuationType.STREAM_TIME, streamTime -> {
                long start = System.nanoTime();
                evictionStep(streamTime, retention);
                metrics.evictionTime(plan.id(), System.nanoTime() - start);
            });
        }
    }

    @Override
    public void process(Record<String, Routed> record) {
        long start = System.nanoTime();
        try {
            stitch(record);
        } finally {
            metrics.mergeTime(plan.id(), System.nanoTime() - start);
        }
    }

    private void stitch(Record<String, Routed> record) {
        Routed in = record.value();
        String rowKey = record.key();
        byte[] stored = store.get(rowKey);
        RowState state;
        if (stored == null) {
            if (in.record() == null) {
                return; // a tombstone for a row we never saw changes nothing
            }
            state = new RowState();
        } else {
            state = decode(stored);
            if (state.evicted()) {
                deadLetter(record, BadRecordException.ROW_EVICTED, "row " + record.key() + " of " + plan.id()
                        + " was evicted by state_retention_days=" + plan.join().stateRetentionDays() + "; a "
                        + in.kind().name().toLowerCase() + " record from " + in.topic() + " arrived after that");
                return;
            }
        }
        long revisionBefore = state.revision();
        long tsBefore = state.lastTs(); // a tombstone names the revision it ends and that revision's ts
        SourceRecord heldBefore = held(state, in.kind());
        Emission emission = MergeRules.apply(plan, state, in.kind(), in.topic(), in.record());
        SourceRecord heldNow = held(state, in.kind());
        if (heldNow != null && !heldNow.equals(heldBefore)) {
            // a new served or computed value for the row: compare the pair once (a replayed equal record counts nothing)
            metrics.consistency(plan.id(), Consistency.compare(plan, state.log(), state.backfill(), consistencyTolerance));
        }
        if (state.empty() && !state.live() && state.revision() == 0) {
            store.delete(rowKey);
        } else {
            byte[] bytes = encode(state);
            // The state goes to the changelog and the row (about as large: its last values) to the stitched topic in one
            // record each; past the producer's max.request.size either would fail the task and stop the app. Refuse the
            // input that makes the row too large instead: the row keeps its last revision, the record goes to the DLQ.
            long size = bytes.length + 2L * utf8Bound(rowKey) + ROW_OVERHEAD;
            if (size > maxRowBytes && (size = bytes.length + 2L * utf8Length(rowKey) + ROW_OVERHEAD) > maxRowBytes) {
                deadLetter(record, BadRecordException.ROW_TOO_LARGE, "row " + InputGuards.abbreviate(rowKey) + " of " + plan.id()
                        + " would take " + size + " bytes with this " + in.kind().name().toLowerCase() + " record from "
                        + in.topic() + ", over the limit of " + maxRowBytes + " bytes (splice.max.row.bytes); "
                        + (revisionBefore == 0 ? "the row has no revision yet" : "the row stays at revision " + revisionBefore));
                return;
            }
            store.put(rowKey, bytes);
        }
        if (emission instanceof Emission.Upsert up) {
            MergedRow row = up.row();
            StitchedRecord out = StitchedRecord.newBuilder()
                    .setJoin(plan.join().name())
                    .setVersion(plan.join().version())
                    .setRowKey(rowKey)
                    .setTs(row.ts())
                    .setKeys(row.keys())
                    .setValues(row.values())
                    .setSources(row.sources())
                    .setPartHashes(plan.partHashes())
                    .setRevision(up.revision())
                    .setStitchedAt(context.currentSystemTimeMs())
                    .build();
            metrics.stitched(plan.id(), up.revision(), row.sources());
            context.forward(new Record<>(rowKey, new StitchOutput(out, null), record.timestamp()));
        } else if (emission instanceof Emission.Tombstone) {
            metrics.tombstone(plan.id());
            RecordHeaders headers = new RecordHeaders();
            headers.add(TombstoneHeaders.REVISION, TombstoneHeaders.encode(revisionBefore));
            headers.add(TombstoneHeaders.TS, TombstoneHeaders.encode(tsBefore));
            headers.add(TombstoneHeaders.STITCHED_AT, TombstoneHeaders.encode(context.currentSystemTimeMs()));
            context.forward(new Record<>(rowKey, new StitchOutput(null, null), record.timestamp(), headers));
        } else {
            metrics.unchanged(plan.id());
        }
    }

    private void loadTables() {
        tables = PlanTable.Dictionary.read(store.get(PlanTable.Dictionary.KEY));
        tableId = tables.indexOf(table);
    }

    /** A stored state; one naming a table this object has not loaded reloads the store's tables first. */
    private RowState decode(byte[] bytes) {
        if (RowStateSerde.tableId(bytes) >= tables.size()) {
            loadTables();
        }
        return RowStateSerde.read(bytes, tables);
    }

    /**
     * The state's bytes, written against this plan's table; the first write under a plan the store has not seen adds
     * its table to the store's dictionary, in the same transaction as that state.
     */
    private byte[] encode(RowState state) {
        if (tableId < 0) {
            tableId = tables.add(table);
            store.put(PlanTable.Dictionary.KEY, tables.encode());
        }
        return RowStateSerde.write(state, table, tableId);
    }

    /** The row's record of the log or the backfill (the two sources consistency compares); null for a bootstrap. */
    private static SourceRecord held(RowState state, SourceKind kind) {
        return switch (kind) {
            case LOG -> state.log();
            case BACKFILL -> state.backfill();
            default -> null;
        };
    }

    /** The original bytes are gone after re-keying, so the dead letter carries the source record as JSON. */
    private void deadLetter(Record<String, Routed> record, String reason, String message) {
        Routed in = record.value();
        Optional<RecordMetadata> meta = context.recordMetadata();
        // where the record was read: its own topic, or the repartition topic a re-keyed log came through; the source
        // partition and offset only when it is the record's own topic
        String error = DlqHeaders.error(reason, message, meta);
        Optional<RecordMetadata> own = meta.filter(m -> in.topic().equals(m.topic()));
        Headers headers = DlqHeaders.of(null, DeadLetterHeaders.of(error, in.topic(), own.map(RecordMetadata::partition).orElse(null),
                own.map(RecordMetadata::offset).orElse(null)));
        metrics.dlq(reason, in.topic());
        byte[] value = in.record() == null ? null : toJson(in.record()).toString().getBytes(StandardCharsets.UTF_8);
        // the key the record was read with (DESIGN §4: the DLQ keeps the original key), not the row key it was re-keyed to
        byte[] key = in.sourceKey() == null ? null : in.sourceKey().getBytes(StandardCharsets.UTF_8);
        DeadLetter dead = new DeadLetter(key, value, error);
        context.forward(new Record<>(in.sourceKey(), new StitchOutput(null, dead), record.timestamp(), headers));
    }

    /** Key, revision and timestamps of the stitched record, and the Avro framing, beyond the state and the key. */
    private static final int ROW_OVERHEAD = 1024;

    private static long utf8Bound(String s) {
        return 3L * s.length();
    }

    private static long utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static ObjectNode toJson(SourceRecord r) {
        ObjectNode o = RecordJson.MAPPER.createObjectNode();
        o.put("ts", r.ts());
        ObjectNode keys = o.putObject("keys");
        r.keys().forEach(keys::put);
        ObjectNode values = o.putObject("values");
        r.values().forEach((k, v) -> values.set(k, RecordJson.scalar(v)));
        if (r.partHashes() != null) {
            ObjectNode h = o.putObject("part_hashes");
            r.partHashes().forEach(h::put);
        }
        return o;
    }

    /**
     * One bounded step of retention (DESIGN §6): scans at most {@link #EVICTION_SCAN_BUDGET} entries from where the
     * last step stopped, evicts rows whose ts is before {@code streamTime - retention}, and drops eviction markers
     * older than a second retention period. A full pass over the store takes store size / budget punctuations,
     * instead of one pass that decodes the whole store on the stream thread and holds every victim in memory.
     */
    private void evictionStep(long streamTime, long retention) {
        long cutoff = streamTime - retention;
        List<KeyValue<String, RowState>> changed = new ArrayList<>();
        List<String> expired = new ArrayList<>();
        int scanned = 0;
        int evicted = 0;
        String next = null;
        try (KeyValueIterator<String, byte[]> it = evictionCursor == null ? store.all() : store.range(evictionCursor, null)) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                if (kv.key.equals(PlanTable.Dictionary.KEY)) {
                    continue; // the plan tables, not a row
                }
                if (scanned == EVICTION_SCAN_BUDGET) {
                    next = kv.key;
                    break;
                }
                scanned++;
                RowState s = decode(kv.value);
                if (s.evicted()) {
                    if (s.evictedAt() == RowStateSerde.EVICTED_AT_UNKNOWN) {
                        s.evict(streamTime); // a marker from before markers expired: its retention starts now
                        changed.add(KeyValue.pair(kv.key, s));
                    } else if (s.evictedAt() < cutoff) {
                        expired.add(kv.key);
                    }
                } else if (s.rowTs() >= 0 && s.rowTs() < cutoff) {
                    // Only rows, by their ts (rule 5: the log's, else the backfill's). Bootstrap records that wait for
                    // a row, and deleted rows (no ts), are not rows: they stay.
                    s.evict(streamTime); // an evicted state is smaller than the row it replaces: no size check needed
                    changed.add(KeyValue.pair(kv.key, s));
                    evicted++;
                }
            }
        }
        evictionCursor = next;
        for (KeyValue<String, RowState> kv : changed) {
            store.put(kv.key, encode(kv.value));
        }
        for (String key : expired) {
            store.delete(key);
        }
        metrics.evicted(plan.id(), evicted);
    }
}
