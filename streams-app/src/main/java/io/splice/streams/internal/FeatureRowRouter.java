package io.splice.streams.internal;

import io.splice.avro.FeatureRow;
import io.splice.avro.StitchedRecord;
import io.splice.core.merge.BadRecordException;
import io.splice.core.merge.JoinPlan;
import io.splice.core.merge.BootstrapRecords;
import io.splice.core.merge.SourceKind;
import io.splice.core.merge.SourceRecord;
import io.splice.core.merge.ValueTypes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Record;

import java.util.List;
import java.util.Map;

/**
 * Decodes a compacted topic keyed by row key (a join's backfill topic, or a bootstrap topic holding plain
 * {@link FeatureRow}s or another join's {@link StitchedRecord}s) and hands each record to every join that reads the
 * topic. A null value is a tombstone that removes the source's record for the row (rule 8).
 */
final class FeatureRowRouter extends RouterBase {
    /** One join that reads this topic, and as what. */
    record Reader(JoinPlan plan, SourceKind kind) {
    }

    private final String topic;
    private final List<Reader> readers;
    private final Deserializer<SpecificRecord> deserializer;
    private final int maxValueBytes;

    FeatureRowRouter(String topic, List<Reader> readers, Deserializer<SpecificRecord> deserializer, int maxValueBytes,
                     SpliceMetrics metrics) {
        super(metrics);
        this.topic = topic;
        this.readers = readers;
        this.deserializer = deserializer;
        this.maxValueBytes = maxValueBytes;
    }

    @Override
    protected void route(Record<byte[], byte[]> record) {
        String rowKey = InputGuards.utf8Key(record.key());
        if (rowKey == null || rowKey.isEmpty()) {
            throw new BadRecordException(BadRecordException.MISSING_KEY, "record on compacted topic " + topic
                    + " has no key; its key must be the row key");
        }
        if (record.value() == null) {
            for (Reader r : readers) {
                metrics.recordIn(r.plan().id(), r.kind());
                context.forward(record.withKey(rowKey).withValue(Routed.of(r.plan().id(), r.kind(), topic, rowKey, null)));
            }
            return;
        }
        if (record.value().length == 0) {
            throw new BadRecordException(BadRecordException.EMPTY_VALUE, "empty (0-byte) value on compacted topic " + topic
                    + "; a tombstone is a null value, not an empty one");
        }
        InputGuards.size(record.value(), maxValueBytes);
        SpecificRecord decoded = deserializer.deserialize(topic, record.value());
        InputGuards.sameRowKey(decoded instanceof StitchedRecord st ? st.getRowKey() : ((FeatureRow) decoded).getRowKey(),
                rowKey, topic);
        long ts;
        Map<String, String> keys;
        Map<String, Object> values;
        Map<String, String> hashes;
        if (decoded instanceof StitchedRecord s) {
            ts = s.getTs();
            keys = s.getKeys();
            hashes = BootstrapRecords.hashesOrPlain(s.getPartHashes());
            values = BootstrapRecords.stitchedValues(s.getValues(), s.getSources());
        } else {
            FeatureRow f = (FeatureRow) decoded;
            ts = f.getTs();
            keys = f.getKeys();
            values = f.getValues();
            hashes = BootstrapRecords.hashesOrPlain(f.getPartHashes());
        }
        InputGuards.timestamp(ts, "record");
        for (Reader r : readers) {
            Map<String, Object> promoted;
            try {
                promoted = ValueTypes.promoteValid(r.plan(), values, false, hashes);
            } catch (BadRecordException e) {
                deadLetter(record, e.reason(), "for join " + r.plan().id() + ": " + e.getMessage());
                continue;
            }
            SourceRecord src = new SourceRecord(ts, Map.copyOf(keys), promoted, hashes == null ? null : Map.copyOf(hashes));
            metrics.recordIn(r.plan().id(), r.kind());
            context.forward(record.withKey(rowKey).withValue(Routed.of(r.plan().id(), r.kind(), topic, rowKey, src)));
        }
    }
}
