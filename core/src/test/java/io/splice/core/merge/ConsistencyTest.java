package io.splice.core.merge;

import io.splice.core.merge.Consistency.Comparison;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.splice.core.merge.MergeRulesTest.hashes;
import static io.splice.core.merge.MergeRulesTest.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsistencyTest {
    final JoinPlan plan = MergeRulesTest.plan(MergeRulesTest.join());
    final String card = plan.partHashes().get("card_txn");
    final String risk = plan.partHashes().get("risk_ext");

    SourceRecord log(Map<String, Object> v) {
        return new SourceRecord(MergeRulesTest.TS, Map.of("card_id", "c1"), v, hashes("card_txn", card, "risk_ext", risk));
    }

    SourceRecord backfill(Map<String, Object> v, Map<String, String> h) {
        return new SourceRecord(MergeRulesTest.TS, Map.of("card_id", "c1"), v, h);
    }

    @Test
    void comparesEveryFeatureBothHoldOfNonExternalPartsTheBackfillIsValidFor() {
        List<Comparison> c = Consistency.compare(plan, log(values("cnt", 3L, "amt", 10.0, "risk", 0.5)),
                backfill(values("cnt", 4L, "amt", 10.0, "risk", 0.9), hashes("card_txn", card)), 0);
        // risk is external: never compared; cnt differs by 1, amt agrees
        assertEquals(List.of("cnt", "amt"), c.stream().map(Comparison::feature).toList());
        assertTrue(c.get(0).mismatch());
        assertEquals(1.0, c.get(0).absDiff());
        assertFalse(c.get(1).mismatch());
        assertEquals(0.0, c.get(1).absDiff());
    }

    @Test
    void aStaleBackfillOrAMissingFeatureIsNotCompared() {
        assertTrue(Consistency.compare(plan, log(values("cnt", 3L, "amt", 10.0)),
                backfill(values("cnt", 4L, "amt", 10.0), hashes("card_txn", "stale")), 0).isEmpty());
        assertEquals(List.of("amt"), Consistency.compare(plan, log(values("amt", 10.0)),
                backfill(values("cnt", 4L, "amt", 11.0), null), 0).stream().map(Comparison::feature).toList(),
                "a plain table counts for every part; the log did not carry cnt");
        assertTrue(Consistency.compare(plan, null, backfill(values("cnt", 4L), null), 0).isEmpty());
    }

    @Test
    void nullsAgreeOnlyWithNulls() {
        assertTrue(Consistency.agrees(null, null, 0));
        assertFalse(Consistency.agrees(null, 1.0, 0.5));
        assertFalse(Consistency.agrees("a", null, 0.5));
        Comparison c = Consistency.comparison("p", "f", null, 2.0, 0.1);
        assertTrue(c.mismatch());
        assertNull(c.absDiff());
    }

    @Test
    void numbersAgreeWithinTheRelativeToleranceOfTheLargerMagnitude() {
        assertTrue(Consistency.agrees(100.0, 100.9, 0.01));
        assertFalse(Consistency.agrees(100.0, 101.1, 0.01));
        assertTrue(Consistency.agrees(-100.0, -100.9, 0.01));
        assertFalse(Consistency.agrees(0.0, 1e-12, 0), "tolerance 0 is exact");
        assertTrue(Consistency.agrees(3L, 3, 0), "long and int of one value agree");
        assertTrue(Consistency.agrees(0.1 + 0.2, 0.3, Consistency.DEFAULT_TOLERANCE), "summation noise is not skew");
        assertTrue(Consistency.agrees(Double.NaN, Double.NaN, 0));
        assertFalse(Consistency.agrees(Double.NaN, 1.0, 0.5));
        assertTrue(Consistency.agrees("x", "x", 0));
        assertFalse(Consistency.agrees(true, false, 0.5));
    }

    @Test
    void aToleranceOutsideZeroToOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Consistency.checkTolerance(-0.1));
        assertThrows(IllegalArgumentException.class, () -> Consistency.checkTolerance(1.5));
        assertThrows(IllegalArgumentException.class, () -> Consistency.checkTolerance(Double.NaN));
        assertEquals(0.05, Consistency.checkTolerance(0.05));
    }
}
