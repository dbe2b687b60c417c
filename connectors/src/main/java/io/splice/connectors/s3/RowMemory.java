package io.splice.connectors.s3;

import io.splice.connectors.s3.OfflineSchema.Ended;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the sink remembers of the rows of one topic partition, to file a tombstone that carries no
 * {@link io.splice.core.offline.TombstoneHeaders} with the row it deletes: per row key, the {@code ts} and revision
 * of its latest live revision, for up to {@code capacity} row keys (least recently written forgotten first).
 *
 * <p>Updates of the segment being built are kept apart and count only once the segment is in S3
 * ({@link #commit()}); a failed segment is rewound and replayed from its first offset, so its updates are dropped
 * ({@link #discard()}) and the replay sees what the first try saw. The memory is the partition's: it starts empty
 * when a task opens the partition and is dropped when the partition is closed.
 */
final class RowMemory {
    /** A pending "the row was deleted" (no live revision to end any more). */
    private static final Ended GONE = new Ended(Long.MIN_VALUE, Long.MIN_VALUE);

    private final int capacity;
    private final LinkedHashMap<String, Ended> committed;
    private final Map<String, Ended> pending = new HashMap<>();

    RowMemory(int capacity) {
        this.capacity = capacity;
        this.committed = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Ended> eldest) {
                return size() > RowMemory.this.capacity;
            }
        };
    }

    /** The latest live revision of {@code rowKey} before now; null if unknown or deleted. */
    Ended lookup(String rowKey) {
        if (capacity <= 0) {
            return null;
        }
        Ended p = pending.get(rowKey);
        if (p != null) {
            return p == GONE ? null : p;
        }
        return committed.get(rowKey);
    }

    /** A live revision of {@code rowKey} was written. */
    void revision(String rowKey, long ts, long revision) {
        if (capacity > 0) {
            pending.put(rowKey, new Ended(ts, revision));
        }
    }

    /** A tombstone of {@code rowKey} was written. */
    void deleted(String rowKey) {
        if (capacity > 0) {
            pending.put(rowKey, GONE);
        }
    }

    /** The segment is in S3: its updates count. */
    void commit() {
        for (Map.Entry<String, Ended> e : pending.entrySet()) {
            if (e.getValue() == GONE) {
                committed.remove(e.getKey());
            } else {
                committed.put(e.getKey(), e.getValue());
            }
        }
        pending.clear();
    }

    /** The segment was dropped (to be replayed): forget its updates. */
    void discard() {
        pending.clear();
    }

    int size() {
        return committed.size();
    }
}
