package io.splice.connectors.featurestore;

import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which offsets may be committed: per partition, everything below the lowest record still unacknowledged
 * (records of one partition complete out of order, as they have different record identifiers).
 */
final class OffsetTracker {
    private static final class Partition {
        final TreeMap<Long, Integer> pending = new TreeMap<>();
        long next = -1;
    }

    private final Map<TopicPartition, Partition> partitions = new HashMap<>();

    synchronized void submitted(TopicPartition tp, long offset) {
        Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
        p.pending.merge(offset, 1, Integer::sum);
        p.next = Math.max(p.next, offset + 1);
    }

    synchronized void done(TopicPartition tp, long offset) {
        Partition p = partitions.get(tp);
        if (p == null) {
            return;
        }
        p.pending.computeIfPresent(offset, (k, n) -> n > 1 ? n - 1 : null);
    }

    /** The offset to commit per partition (next offset to read), for partitions with any record submitted. */
    synchronized Map<TopicPartition, Long> committable() {
        Map<TopicPartition, Long> out = new HashMap<>();
        partitions.forEach((tp, p) -> {
            if (p.next >= 0) {
                out.put(tp, p.pending.isEmpty() ? p.next : p.pending.firstKey());
            }
        });
        return out;
    }

    synchronized int pending() {
        int n = 0;
        for (Partition p : partitions.values()) {
            n += p.pending.size();
        }
        return n;
    }

    synchronized int pending(TopicPartition tp) {
        Partition p = partitions.get(tp);
        return p == null ? 0 : p.pending.size();
    }

    synchronized void forget(TopicPartition tp) {
        partitions.remove(tp);
    }
}
