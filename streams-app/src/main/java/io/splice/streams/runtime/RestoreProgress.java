package io.splice.streams.runtime;

import io.splice.streams.internal.SpliceMetrics;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What an operator sees while an instance restores state after a rebalance (a failover, a scale-out, a restart
 * without its state dir): {@code splice_restore_remaining_records} (changelog records still to replay on this
 * instance) and a log line as each store partition starts and ends. {@code /health/ready} stays 503 meanwhile.
 */
final class RestoreProgress implements StateRestoreListener {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreProgress.class);
    private final Map<TopicPartition, Long> remaining = new ConcurrentHashMap<>();

    RestoreProgress(SpliceMetrics metrics) {
        metrics.restoreRemaining(this, RestoreProgress::remaining);
    }

    double remaining() {
        return remaining.values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public void onRestoreStart(TopicPartition tp, String store, long startingOffset, long endingOffset) {
        remaining.put(tp, Math.max(0, endingOffset - startingOffset));
        LOG.info("restoring {} from {}: {} records", store, tp, endingOffset - startingOffset);
    }

    @Override
    public void onBatchRestored(TopicPartition tp, String store, long batchEndOffset, long numRestored) {
        remaining.computeIfPresent(tp, (k, v) -> Math.max(0, v - numRestored));
    }

    @Override
    public void onRestoreEnd(TopicPartition tp, String store, long totalRestored) {
        remaining.remove(tp);
        LOG.info("restored {} from {}: {} records", store, tp, totalRestored);
    }

    @Override
    public void onRestoreSuspended(TopicPartition tp, String store, long totalRestored) {
        remaining.remove(tp); // the task moved to another instance mid-restore
    }
}
