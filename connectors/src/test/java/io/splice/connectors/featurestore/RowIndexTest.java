package io.splice.connectors.featurestore;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The row index's rules, against a store kept in a map (what the compacted topic keeps: the latest per key). */
class RowIndexTest {
    private static final TopicPartition P0 = new TopicPartition("splice.stitched.payments.v2", 0);

    /** A compacted topic in memory; {@code failing} refuses writes. */
    static final class MapStore implements RowIndex.Store {
        final Map<TopicPartition, Map<String, RowIndex.Entry>> kept = new HashMap<>();
        final List<RowIndex.Update> written = new ArrayList<>();
        boolean failing;

        @Override
        public Map<TopicPartition, Map<String, RowIndex.Entry>> restore(Collection<TopicPartition> partitions) {
            Map<TopicPartition, Map<String, RowIndex.Entry>> out = new HashMap<>();
            partitions.forEach(tp -> out.put(tp, new HashMap<>(kept.getOrDefault(tp, Map.of()))));
            return out;
        }

        @Override
        public boolean write(List<RowIndex.Update> updates) {
            if (failing) {
                return false;
            }
            forget(updates);
            return true;
        }

        @Override
        public void forget(List<RowIndex.Update> updates) {
            for (RowIndex.Update u : updates) {
                written.add(u);
                Map<String, RowIndex.Entry> m = kept.computeIfAbsent(u.tp(), k -> new HashMap<>());
                if (u.entry() == null) {
                    m.remove(u.rowKey());
                } else {
                    m.put(u.rowKey(), u.entry());
                }
            }
        }

        @Override
        public void close() {
        }
    }

    @Test
    void keepsTheNewestRowPerIdentifierAndTheGreatestTsOfARow() {
        RowIndex index = new RowIndex(null);
        index.open(List.of(P0));
        index.put(P0, 0, "r1", "c1", 100, "h1");
        index.put(P0, 1, "r2", "c1", 200, "h2");   // newer row of c1: r1 can no longer be what c1 holds
        index.put(P0, 2, "r3", "c1", 150, "h3");   // older than r2: never what c1 holds
        assertNull(index.get(P0, "r1"));
        assertNull(index.get(P0, "r3"));
        index.put(P0, 3, "r2", "c1", 120, "h2b");  // an older revision of r2 does not replace the one the record keeps
        assertEquals(new RowIndex.Entry("c1", 200, "h2", 3), index.get(P0, "r2"));
        assertEquals(new RowIndex.Entry("c1", 200, "h2", 3), index.delete(P0, 4, "r2"));
        assertNull(index.get(P0, "r2"));
        // a row that moves to another identifier reports where it was
        index.put(P0, 5, "r4", "c4", 100, "h4");
        assertEquals(new RowIndex.Entry("c4", 100, "h4", 5), index.put(P0, 6, "r4", "c5", 100, "h4b"));
        assertEquals("c5", index.get(P0, "r4").identifier());
    }

    @Test
    void changesReachTheStoreOnlyBelowTheCommittableOffsetAndAFailedWriteHoldsTheCommitBack() {
        MapStore store = new MapStore();
        RowIndex index = new RowIndex(store);
        index.open(List.of(P0));
        index.put(P0, 0, "r1", "c1", 100, "h1");
        index.put(P0, 1, "r2", "c2", 100, "h2");
        index.delete(P0, 2, "r1");

        // Offsets 0 and 1 are done, 2 is in flight: only the changes of 0 and 1 are written
        assertEquals(List.of(), index.drain(Map.of(P0, 2L)));
        assertEquals(List.of(0L, 1L), store.written.stream().map(RowIndex.Update::offset).toList());

        // A failing store: the partition is reported (its offset must not be committed) and the change stays queued
        store.failing = true;
        assertEquals(List.of(P0), index.drain(Map.of(P0, 3L)));
        assertTrue(store.kept.get(P0).containsKey("r1"));
        store.failing = false;
        assertEquals(List.of(), index.drain(Map.of(P0, 3L)));
        assertFalse(store.kept.get(P0).containsKey("r1"));
    }

    @Test
    void aRestoredIndexKnowsItsRowsAndWhatWasAppliedBeforeTheRestart() {
        MapStore store = new MapStore();
        // What a crash can leave: two rows of c1 (the newer written, the older not yet forgotten)
        store.kept.put(P0, new HashMap<>(Map.of("r1", new RowIndex.Entry("c1", 100, "h1", 3),
                "r2", new RowIndex.Entry("c1", 200, "h2", 7))));
        RowIndex index = new RowIndex(store);
        index.open(List.of(P0));

        assertNull(index.get(P0, "r1"));
        assertFalse(store.kept.get(P0).containsKey("r1"));   // forgotten in the store too
        assertEquals("c1", index.get(P0, "r2").identifier());
        // a redelivered record at or below the row's last change was applied already; later ones were not
        assertTrue(index.applied(P0, "r2", 7));
        assertTrue(index.applied(P0, "r2", 5));
        assertFalse(index.applied(P0, "r2", 8));
        assertFalse(index.applied(P0, "r9", 1));
    }

    @Test
    void theRecordHashComparesNumbersByValue() {
        String sent = RecordMapper.contentHash(Map.of("card_id", "c1", "EventTime", "2025-10-01T10:00:00.000Z", "ratio", "0.50", "n", "3"));
        assertEquals(sent, RecordMapper.contentHash(Map.of("n", "3.0", "ratio", "0.5", "EventTime", "2025-10-01T10:00:00.000Z", "card_id", "c1")));
        assertFalse(sent.equals(RecordMapper.contentHash(Map.of("card_id", "c1", "EventTime", "2025-10-01T10:00:00.000Z", "ratio", "0.5", "n", "4"))));
        assertEquals(RecordMapper.contentHash(Map.of("x", "1e999999999")), RecordMapper.contentHash(Map.of("x", "1E+999999999")));
    }
}
