package io.splice.streams.internal;

import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.merge.JoinPlan;
import io.splice.core.merge.Emission;
import io.splice.core.merge.MergeRules;
import io.splice.core.merge.RowState;
import io.splice.core.merge.SourceKind;
import io.splice.core.merge.SourceRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The internal encodings (state store and repartition topics) give back exactly what was written, or fail loudly. */
class RowStateSerdeTest {
    /** The table of the join {@link #PAYMENTS} (3 features in 2 parts, one bootstrap part), at position 0. */
    static final JoinPlan PAYMENTS = JoinPlan.of(DefinitionsLoader.parse("""
            joins:
              - name: payments
                version: v1
                row_ids: [request_id]
                keys: [card_id]
                parts:
                  - name: card_txn
                    source: transactions
                    key: card_id
                    features:
                      - {name: txn_count_1h, type: long, agg: count, window: 1h}
                      - {name: txn_amount_24h, type: double, agg: sum, of: amount, window: 24h}
                  - name: risk_ext
                    external: true
                    features:
                      - {name: risk_score, type: double}
                bootstrap_parts:
                  - topic: splice.bootstrap.high
            """, "t.yaml", Topics.defaults()).joins().get(0));
    static final PlanTable TABLE = PlanTable.of(PAYMENTS);
    static final PlanTable.Dictionary TABLES = new PlanTable.Dictionary();

    static {
        TABLES.add(TABLE);
    }

    static RowState roundTrip(RowState s) {
        return RowStateSerde.read(RowStateSerde.write(s, TABLE, 0), TABLES);
    }

    /** What the stitcher holds after a log with all three features arrives for a new row: the bench's most common row. */
    static RowState loggedRow(JoinPlan plan, long i) {
        Map<String, Object> values = new HashMap<>();
        values.put("risk_score", (i % 1000) / 1000.0);
        values.put("txn_count_1h", i % 50);
        values.put("txn_amount_24h", (i % 5000) / 3.0);
        RowState s = new RowState();
        MergeRules.apply(plan, s, SourceKind.LOG, "splice.fetch-log", new SourceRecord(1_759_320_000_000L + i * 10,
                Map.of("card_id", "c" + (i % 100_000)), values, Map.copyOf(plan.partHashes())));
        return s;
    }

    @Test
    void everyScalarTypeAndSourceRoundTrips() {
        // Given a state with every value type, non-ASCII and long strings, three sources and a last emission
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("b", true);
        values.put("i", 7);
        values.put("l", Long.MIN_VALUE);
        values.put("f", 1.5f);
        values.put("d", -0.0);
        values.put("nan", Double.NaN);
        values.put("s", "façade ✓ 日本");
        values.put("long", "x".repeat(5000));
        values.put("null", null);
        String hash = "ab".repeat(32);
        SourceRecord log = new SourceRecord(1_759_320_000_000L, Map.of("card_id", "c1"), values, Map.of("risk_ext", hash));
        SourceRecord backfill = new SourceRecord(2L, Map.of(), Map.of("cnt", 3L), null);
        RowState s = new RowState();
        s.log(log);
        s.backfill(backfill);
        s.bootstrap("splice.bootstrap.high", new SourceRecord(0L, Map.of("card_id", "c1"), Map.of("cnt", 4L), Map.of()));
        s.restoreEmitted(1_759_320_000_001L, Map.of("card_id", "c9"), new HashMap<>(Map.of("cnt", 4L)),
                new HashMap<>(Map.of("cnt", "bootstrap:splice.bootstrap.high")), 3);

        // When it is written and read back
        RowState back = roundTrip(s);

        // Then everything is there, with its type
        assertEquals(values, back.log().values());
        assertEquals(Float.class, back.log().values().get("f").getClass());
        assertEquals(Integer.class, back.log().values().get("i").getClass());
        assertEquals(log, back.log());
        assertEquals(backfill, back.backfill());
        assertNull(back.backfill().partHashes());
        assertEquals(s.bootstraps(), back.bootstraps());
        assertEquals(3, back.revision());
        assertEquals(Map.of("cnt", 4L), back.lastValues());
        assertEquals(Map.of("cnt", "bootstrap:splice.bootstrap.high"), back.lastSources());
        assertEquals(1_759_320_000_001L, back.lastTs());
        assertEquals(Map.of("card_id", "c9"), back.lastKeys());
    }

    @Test
    void anEvictionMarkerKeepsItsTime() {
        RowState s = new RowState();
        s.log(new SourceRecord(1L, Map.of(), Map.of(), Map.of()));
        s.evict(42L);
        RowState back = roundTrip(s);
        assertEquals(true, back.evicted());
        assertEquals(42L, back.evictedAt());
        assertNull(back.log());
    }

    @Test
    void theStringCacheNeverConfusesTwoStrings() {
        // Given many distinct short strings, so that cache slots are shared and overwritten
        Map<String, String> keys = new LinkedHashMap<>();
        for (int i = 0; i < 20_000; i++) {
            keys.put("k" + i, "v" + (i * 7919));
        }
        RowState s = new RowState();
        s.log(new SourceRecord(1L, keys, Map.of(), null));
        byte[] bytes = RowStateSerde.write(s, TABLE, 0);
        // When read twice (the second read hits the cache), then both reads are exact
        assertEquals(keys, RowStateSerde.read(bytes, TABLES).log().keys());
        assertEquals(keys, RowStateSerde.read(bytes, TABLES).log().keys());
    }

    @Test
    void routedRecordsRoundTripAndTruncatedBytesAreAnError() {
        RoutedSerde serde = new RoutedSerde();
        Routed r = Routed.of("payments.v1", SourceKind.BOOTSTRAP, "splice.bootstrap.high", "card-7",
                new SourceRecord(5L, Map.of("card_id", "c1"), Map.of("risk", 0.25), Map.of("risk_ext", "h")));
        byte[] bytes = serde.serializer().serialize("t", r);
        assertEquals(r, serde.deserializer().deserialize("t", bytes));
        Routed noKey = Routed.of("payments.v1", SourceKind.LOG, "splice.fetch-log", null, r.record());
        assertEquals(noKey, serde.deserializer().deserialize("t", serde.serializer().serialize("t", noKey)));

        byte[] cut = Arrays.copyOf(bytes, bytes.length - 3);
        assertThrows(SerializationException.class, () -> serde.deserializer().deserialize("t", cut));
        byte[] state = RowStateSerde.write(new RowState(), TABLE, 0);
        state[0] = 99;
        SerializationException e = assertThrows(SerializationException.class, () -> RowStateSerde.read(state, TABLES));
        assertEquals(true, e.getMessage().contains("unknown row-state version 99"));
    }

    @Test
    void aLoggedRowOfThreeFeaturesTakesUnder60Bytes() {
        // Given the most common row of a 3-feature join: one log with every feature, emitted once
        RowState s = loggedRow(PAYMENTS, 123_457);
        assertEquals(1, s.revision());

        // When written (format 4 took 290 bytes for it: every name, part hash and source label as text)
        byte[] bytes = RowStateSerde.write(s, TABLE, 0);

        // Then names, the hashes and the last values are references, and everything reads back
        assertTrue(bytes.length <= 60, bytes.length + " bytes");
        RowState back = RowStateSerde.read(bytes, TABLES);
        assertEquals(s.log(), back.log());
        assertEquals(s.lastValues(), back.lastValues());
        assertEquals(s.lastSources(), back.lastSources());
        assertEquals(s.lastTs(), back.lastTs());
        assertEquals(s.lastKeys(), back.lastKeys());
        assertEquals(List.copyOf(PAYMENTS.featureNames()), List.copyOf(back.lastValues().keySet()), "in the plan's order");
        assertEquals(Emission.UNCHANGED, MergeRules.apply(PAYMENTS, back, SourceKind.LOG, "splice.fetch-log", s.log()),
                "the same log again changes nothing: the state read back is the state written");
    }

    @Test
    void namesTheTableLacksAndHashesItDoesNotHoldAreWrittenAsText() {
        // Given a state full of what the plan does not name: another feature, key and bootstrap topic, an old part hash,
        // the hashes of another join's part, a source label of a topic the plan dropped, backfill keys of its own
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("txn_count_1h", 3L);
        values.put("dropped_feature", "x");
        RowState s = new RowState();
        s.log(new SourceRecord(100L, Map.of("card_id", "c1", "merchant_id", "m1"), values,
                Map.of("card_txn", "old-hash", "other_part", "h2", "risk_ext", TABLE.hashes.get(1))));
        s.backfill(new SourceRecord(40L, Map.of("card_id", "c2"), Map.of("txn_amount_24h", 2.5), Map.of("card_txn", TABLE.hashes.get(0))));
        s.bootstrap("splice.bootstrap.gone", new SourceRecord(7_000_000_000L, Map.of("card_id", "c1"), Map.of("risk_score", 0.5), null));
        Map<String, Object> last = new LinkedHashMap<>();
        last.put("txn_count_1h", 4L);
        last.put("risk_score", 0.5);
        Map<String, String> sources = new LinkedHashMap<>();
        sources.put("txn_count_1h", "log");
        sources.put("risk_score", "bootstrap:splice.bootstrap.gone");
        s.restoreEmitted(99L, Map.of("card_id", "c3"), last, sources, 300);

        // When it goes through format 5, then all of it is there
        RowState back = roundTrip(s);
        assertEquals(s.log(), back.log());
        assertEquals(s.backfill(), back.backfill());
        assertEquals(s.bootstraps(), back.bootstraps());
        assertEquals(last, back.lastValues());
        assertEquals(sources, back.lastSources());
        assertEquals(99L, back.lastTs());
        assertEquals(Map.of("card_id", "c3"), back.lastKeys());
        assertEquals(300, back.revision());
    }

    @Test
    void aLastValueKeepsItsTypeAndBitsWhenItsSourceHoldsAnotherOne() {
        // Given last values named after the log, which holds values equal by == but not the same (type or bits)
        Map<String, Object> logValues = new LinkedHashMap<>();
        logValues.put("txn_count_1h", 1L);
        logValues.put("txn_amount_24h", 0.0);
        logValues.put("risk_score", Double.longBitsToDouble(0x7ff8000000000001L));
        RowState s = new RowState();
        s.log(new SourceRecord(5L, Map.of("card_id", "c1"), logValues, Map.copyOf(PAYMENTS.partHashes())));
        Map<String, Object> last = new LinkedHashMap<>();
        last.put("txn_count_1h", 1);
        last.put("txn_amount_24h", -0.0);
        last.put("risk_score", Double.NaN);
        Map<String, String> sources = new LinkedHashMap<>();
        PAYMENTS.featureNames().forEach(f -> sources.put(f, "log"));
        s.restoreEmitted(5L, Map.of("card_id", "c1"), last, sources, 2);

        RowState back = roundTrip(s);

        assertEquals(Integer.class, back.lastValues().get("txn_count_1h").getClass());
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) back.lastValues().get("txn_amount_24h")));
        assertEquals(Double.doubleToRawLongBits(Double.NaN), Double.doubleToRawLongBits((Double) back.lastValues().get("risk_score")));
        assertEquals(0x7ff8000000000001L, Double.doubleToRawLongBits((Double) back.log().values().get("risk_score")));
    }

    @Test
    void aStateIsReadWithTheTableItWasWrittenWithNotTheCurrentOne() {
        // Given a state written under the plan as it was (table 0), then the join changed: txn_amount_24h removed,
        // a feature added in front, card_txn's window changed (a new hash)
        RowState old = loggedRow(PAYMENTS, 7);
        byte[] bytes = RowStateSerde.write(old, TABLE, 0);
        PlanTable changed = PlanTable.of(List.of("merchant_risk", "txn_count_1h", "risk_score"), List.of("card_txn", "risk_ext"),
                List.of("new-hash", TABLE.hashes.get(1)), List.of("card_id"), TABLE.labels, TABLE.bootstrapTopics);
        PlanTable.Dictionary tables = new PlanTable.Dictionary();
        tables.add(TABLE);
        assertEquals(1, tables.add(changed));

        // When the store's dictionary (both tables) is written and read back, and the old state read with it
        PlanTable.Dictionary restored = PlanTable.Dictionary.read(tables.encode());
        RowState back = RowStateSerde.read(bytes, restored);

        // Then the state has its own names and hashes, not the new plan's
        assertEquals(2, restored.size());
        assertEquals(old.log(), back.log());
        assertEquals(old.lastValues(), back.lastValues());
        assertEquals(PAYMENTS.partHashes().get("card_txn"), back.log().partHashes().get("card_txn"));
        // and a state written under the new table reads back with its names
        RowState now = RowStateSerde.read(RowStateSerde.write(back, changed, 1), restored);
        assertEquals(old.log(), now.log());
        assertEquals(old.lastValues(), now.lastValues());
        assertEquals(old.lastSources(), now.lastSources());

        // A state naming a table the store does not hold is an error, never a guess
        byte[] unknown = RowStateSerde.write(old, TABLE, 2);
        SerializationException e = assertThrows(SerializationException.class, () -> RowStateSerde.read(unknown, restored));
        assertTrue(e.getMessage().contains("plan table 2"), e.getMessage());
        assertThrows(SerializationException.class, () -> PlanTable.Dictionary.read(bytes), "a row state is no dictionary");
    }

    @Test
    void deletedAndEvictedRowsRoundTrip() {
        RowState deleted = loggedRow(PAYMENTS, 1);
        deleted.log(null);
        assertEquals(Emission.TOMBSTONE, MergeRules.emission(PAYMENTS, deleted));
        deleted.bootstrap("splice.bootstrap.high", new SourceRecord(3L, Map.of("card_id", "c1"), Map.of("txn_count_1h", 4L), null));
        RowState back = roundTrip(deleted);
        assertEquals(false, back.live());
        assertEquals(1, back.revision());
        assertEquals(deleted.bootstraps(), back.bootstraps());
        assertNull(back.log());
    }
}
