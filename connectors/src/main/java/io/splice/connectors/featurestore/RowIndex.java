package io.splice.connectors.featurestore;

import org.apache.kafka.common.TopicPartition;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the online sink knows of the rows it wrote, so that a tombstone (which has no value) finds its row's record
 * identifier and the revision that record may hold.
 *
 * <p>Per stitched partition and record identifier it keeps one row: the newest (greatest {@code ts}, the later one on
 * a tie), because only that row can be what the online record holds for rows of this partition (the store keeps
 * the newest EventTime). An older row of the same identifier is forgotten: deleting it never touches the record.
 * An entry holds the identifier, the greatest {@code ts} the row was written with (the EventTime the record has if
 * it holds the row), a hash of that revision's record, and the offset of the last stitched record that changed it.
 *
 * <p>The state changes as records are prepared, in topic order; each change is queued with its offset and
 * {@link #drain drained} to the {@link Store} (a compacted topic) only once every record below that offset is done, and
 * before that offset is committed. After a restart the store therefore holds the state as of the committed offset,
 * or later if the worker died between writing it and committing: an entry whose offset is not below a redelivered
 * record's says that record was already applied ({@link #applied}).
 */
final class RowIndex {
    /** A row's state; {@code hash} is {@link RecordMapper#contentHash} of the record written at {@code ts}. */
    record Entry(String identifier, long ts, String hash, long offset) {
    }

    /** A change to write: the row's new entry, or null when the row is forgotten. */
    record Update(TopicPartition tp, String rowKey, Entry entry, long offset) {
    }

    /** Where entries survive a restart; null in memory-only mode. */
    interface Store extends AutoCloseable {
        /** The entries of {@code partitions}, by partition and row key. */
        Map<TopicPartition, Map<String, Entry>> restore(Collection<TopicPartition> partitions);

        /** Writes {@code updates} in order; true once all are durable. */
        boolean write(List<Update> updates);

        /** Forgets rows at once (rows found superseded on restore). */
        void forget(List<Update> updates);

        @Override
        void close();
    }

    private static final class Partition {
        final Map<String, Entry> rows = new HashMap<>();
        final Map<String, String> newest = new HashMap<>(); // identifier -> row key
        final ArrayDeque<Update> pending = new ArrayDeque<>();
    }

    private final Map<TopicPartition, Partition> partitions = new HashMap<>();
    private final Store store;

    RowIndex(Store store) {
        this.store = store;
    }

    boolean durable() {
        return store != null;
    }

    /** Loads the rows of newly assigned partitions from the store (memory-only: starts empty). */
    void open(Collection<TopicPartition> assigned) {
        Map<TopicPartition, Map<String, Entry>> loaded = store == null ? Map.of() : store.restore(assigned);
        List<Update> superseded = new ArrayList<>();
        for (TopicPartition tp : assigned) {
            Partition p = new Partition();
            partitions.put(tp, p);
            loaded.getOrDefault(tp, Map.of()).forEach((row, e) -> {
                String other = p.newest.get(e.identifier());
                Entry o = other == null ? null : p.rows.get(other);
                if (o == null || newer(e, o)) {
                    if (o != null) {
                        p.rows.remove(other);
                        superseded.add(new Update(tp, other, null, o.offset()));
                    }
                    p.rows.put(row, e);
                    p.newest.put(e.identifier(), row);
                } else {
                    superseded.add(new Update(tp, row, null, e.offset()));
                }
            });
        }
        if (store != null && !superseded.isEmpty()) {
            store.forget(superseded); // left behind by a crash between writing a row and forgetting the one it replaced
        }
    }

    private static boolean newer(Entry a, Entry b) {
        return a.ts() > b.ts() || a.ts() == b.ts() && a.offset() > b.offset();
    }

    void close(TopicPartition tp) {
        partitions.remove(tp);
    }

    Entry get(TopicPartition tp, String rowKey) {
        Partition p = partitions.get(tp);
        return p == null ? null : p.rows.get(rowKey);
    }

    /** Whether the record at {@code offset} of this row was applied before a restart (see the class comment). */
    boolean applied(TopicPartition tp, String rowKey, long offset) {
        Entry e = get(tp, rowKey);
        return e != null && e.offset() >= offset;
    }

    /**
     * Records that row {@code rowKey} was written for {@code identifier} at {@code ts} ({@code hash}: the record).
     * Returns the row's former entry if the row belonged to another identifier (whose record may still hold it),
     * else null.
     */
    Entry put(TopicPartition tp, long offset, String rowKey, String identifier, long ts, String hash) {
        Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
        Entry old = p.rows.get(rowKey);
        Entry moved = null;
        if (old != null && !old.identifier().equals(identifier)) {
            forget(tp, p, rowKey, old, offset);
            moved = old;
            old = null;
        }
        Entry e;
        if (old != null) {
            // the record keeps the newest EventTime: an older revision of the row does not replace the one held
            e = ts >= old.ts() ? new Entry(identifier, ts, hash, offset) : new Entry(identifier, old.ts(), old.hash(), offset);
        } else {
            String other = p.newest.get(identifier);
            Entry o = other == null ? null : p.rows.get(other);
            if (o != null && o.ts() > ts) {
                return moved; // an older row than the identifier's newest: never what its record holds
            }
            if (o != null) {
                forget(tp, p, other, o, offset);
            }
            e = new Entry(identifier, ts, hash, offset);
        }
        p.rows.put(rowKey, e);
        p.newest.put(identifier, rowKey);
        p.pending.add(new Update(tp, rowKey, e, offset));
        return moved;
    }

    /** Records that row {@code rowKey} is deleted; returns its entry (what its record may hold), null if unknown. */
    Entry delete(TopicPartition tp, long offset, String rowKey) {
        Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
        Entry old = p.rows.get(rowKey);
        if (old != null) {
            forget(tp, p, rowKey, old, offset);
        }
        return old;
    }

    private static void forget(TopicPartition tp, Partition p, String rowKey, Entry e, long offset) {
        p.rows.remove(rowKey);
        p.newest.remove(e.identifier(), rowKey);
        p.pending.add(new Update(tp, rowKey, null, offset));
    }

    /**
     * Writes the queued changes below each partition's committable offset to the store. Returns the partitions whose
     * changes could not be written: their offsets must not be committed (the changes stay queued and are retried).
     */
    List<TopicPartition> drain(Map<TopicPartition, Long> committable) {
        List<Update> out = new ArrayList<>();
        committable.forEach((tp, next) -> {
            Partition p = partitions.get(tp);
            if (p != null) {
                for (Update u : p.pending) {
                    if (u.offset() >= next) {
                        break;
                    }
                    out.add(u);
                }
            }
        });
        if (out.isEmpty()) {
            return List.of();
        }
        if (store != null && !store.write(out)) {
            return out.stream().map(Update::tp).distinct().toList();
        }
        committable.forEach((tp, next) -> {
            Partition p = partitions.get(tp);
            while (p != null && !p.pending.isEmpty() && p.pending.peekFirst().offset() < next) {
                p.pending.pollFirst();
            }
        });
        return List.of();
    }

    int size() {
        return partitions.values().stream().mapToInt(p -> p.rows.size()).sum();
    }

    void close() {
        if (store != null) {
            store.close();
        }
    }
}
