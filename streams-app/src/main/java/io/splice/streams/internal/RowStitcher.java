package io.splice.streams.internal;

import io.splice.avro.StitchedRecord;
import io.splice.core.merge.Emission;
import io.splice.core.merge.JoinPlan;
import io.splice.core.merge.MergeRules;
import io.splice.core.merge.MergedRow;
import io.splice.core.merge.RowState;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;


/**
 * Keeps one state per row of a join (all its sources), runs the merge rules of {@code core} on every input and
 * forwards a new revision only when values or sources changed, or a tombstone when the row is gone.
 */
final class RowStitcher implements Processor<String, Routed, String, StitchedRecord> {
    private final JoinPlan plan;
    private final String storeName;
    private final SpliceMetrics metrics;
    private ProcessorContext<String, StitchedRecord> context;
    private KeyValueStore<String, RowState> store;

    RowStitcher(JoinPlan plan, String storeName, SpliceMetrics metrics) {
        this.plan = plan;
        this.storeName = storeName;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, StitchedRecord> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, Routed> record) {
        Routed in = record.value();
        String rowKey = record.key();
        RowState state = store.get(rowKey);
        if (state == null) {
            if (in.record() == null) {
                return; // a tombstone for a row we never saw changes nothing
            }
            state = new RowState();
        }
        Emission emission = MergeRules.apply(plan, state, in.kind(), in.topic(), in.record());
        if (state.empty() && !state.live() && state.revision() == 0) {
            store.delete(rowKey);
        } else {
            store.put(rowKey, state);
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
            context.forward(new Record<>(rowKey, out, record.timestamp()));
        } else if (emission instanceof Emission.Tombstone) {
            metrics.tombstone(plan.id());
            context.forward(new Record<String, StitchedRecord>(rowKey, null, record.timestamp()));
        } else {
            metrics.unchanged(plan.id());
        }
    }
}
