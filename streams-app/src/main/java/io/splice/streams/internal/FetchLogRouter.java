package io.splice.streams.internal;

import io.splice.avro.FetchLog;
import io.splice.core.merge.BadRecordException;
import io.splice.core.merge.JoinPlan;
import io.splice.core.merge.SourceKind;
import io.splice.core.merge.SourceRecord;
import io.splice.core.merge.ValueTypes;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Record;

import java.util.Map;

/**
 * Decodes fetch logs, routes each to the join and version it names, and re-keys it to its row key (DESIGN §4).
 * Logs of joins no definition names are counted and skipped: a shared log topic is normal.
 */
final class FetchLogRouter extends RouterBase {
    private final Map<String, JoinPlan> plansById;
    private final Deserializer<FetchLog> deserializer;
    private final int maxValueBytes;
    private final boolean keyedByRowKey;

    /**
     * @param keyedByRowKey the logs are not repartitioned ({@code splice.fetch-log.keyed-by-row-key}): a log whose key
     *                      is not its row key would be stitched in the wrong partition, so it is a bad record
     */
    FetchLogRouter(Map<String, JoinPlan> plansById, Deserializer<FetchLog> deserializer, int maxValueBytes,
                   boolean keyedByRowKey, SpliceMetrics metrics) {
        super(metrics);
        this.plansById = plansById;
        this.deserializer = deserializer;
        this.maxValueBytes = maxValueBytes;
        this.keyedByRowKey = keyedByRowKey;
    }

    @Override
    protected void route(Record<byte[], byte[]> record) {
        String key = InputGuards.utf8Key(record.key());
        if (record.value() == null || record.value().length == 0) {
            throw new BadRecordException(BadRecordException.EMPTY_VALUE, "empty value on log topic " + sourceTopic()
                    + " (logs are not compacted: a tombstone means nothing here)");
        }
        InputGuards.size(record.value(), maxValueBytes);
        String topic = sourceTopic();
        FetchLog log = deserializer.deserialize(topic, record.value());
        JoinPlan plan = plansById.get(log.getJoin() + "." + log.getVersion());
        if (plan == null) {
            metrics.unknownJoin(log.getJoin(), log.getVersion());
            return;
        }
        InputGuards.timestamp(log.getTs(), "log");
        String rowKey = plan.rowKey(log.getContext(), log.getKeys());
        if (keyedByRowKey && key == null) {
            throw new BadRecordException(BadRecordException.MISSING_KEY, "log on " + topic + " has no key but "
                    + "splice.fetch-log.keyed-by-row-key is set: its key must be the row key '" + InputGuards.abbreviate(rowKey) + "'");
        }
        if (keyedByRowKey && !rowKey.equals(key)) {
            throw new BadRecordException(BadRecordException.BAD_KEY, "log on " + topic + " is keyed '" + InputGuards.abbreviate(key)
                    + "' but its row key is '" + InputGuards.abbreviate(rowKey) + "' and splice.fetch-log.keyed-by-row-key is set");
        }
        // Every value of a log is type-checked: the online server logs the current definition, so a wrong type is a
        // producer bug to surface (tables and older joins' outputs are checked only where valid: FeatureRowRouter).
        Map<String, Object> values = ValueTypes.promoteAll(plan, log.getValues(), true);
        SourceRecord src = new SourceRecord(log.getTs(), Map.copyOf(log.getKeys()), values, Map.copyOf(log.getPartHashes()));
        metrics.recordIn(plan.id(), SourceKind.LOG);
        context.forward(record.withKey(rowKey).withValue(Routed.of(plan.id(), SourceKind.LOG, topic, key, src)));
    }
}
