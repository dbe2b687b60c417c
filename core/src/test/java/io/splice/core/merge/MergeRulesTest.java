package io.splice.core.merge;

import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.testing.JoinYaml;
import io.splice.testing.Joins;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One nested class per numbered rule of DESIGN §5; every case fails if its rule is broken. */
class MergeRulesTest {
    /** payments/v2 with card_txn and risk_ext, bootstrapped by b.high, b.low and b.window (2025-10-01 to 2025-10-02). */
    static JoinYaml join() {
        return Joins.paymentsCardAndRisk("v2").bootstrap("b.high").bootstrap("b.low").bootstrap("b.window", "2025-10-01", "2025-10-02");
    }

    static JoinPlan plan(JoinYaml join) {
        return JoinPlan.of(DefinitionsLoader.parse(join.yaml(), "test", Topics.defaults()).joins().get(0));
    }

    static final long TS = Instant.parse("2025-10-01T12:00:00Z").toEpochMilli();

    JoinPlan plan;
    String card;
    String risk;
    RowState row;

    @BeforeEach
    void setUp() {
        plan = plan(join());
        card = plan.partHashes().get("card_txn");
        risk = plan.partHashes().get("risk_ext");
        row = new RowState();
    }

    static Map<String, Object> values(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static Map<String, String> hashes(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    SourceRecord rec(Map<String, Object> values, Map<String, String> hashes) {
        return new SourceRecord(TS, Map.of("card_id", "c1"), values, hashes);
    }

    SourceRecord log(Map<String, Object> values) {
        return rec(values, hashes("card_txn", card, "risk_ext", risk));
    }

    MergedRow upsert(Emission e) {
        return assertInstanceOf(Emission.Upsert.class, e).row();
    }

    @Nested
    class Rule1Validity {
        @Test
        void backfillWithStaleHashIsIgnoredForThatPart() {
            // Given a backfill computed by an older definition of card_txn
            MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.5)));
            // When it arrives
            Emission e = MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf",
                    rec(values("cnt", 7L, "amt", 9.0), hashes("card_txn", "stale")));
            // Then its values are not used, so nothing changes
            assertSame(Emission.UNCHANGED, e);
            MergedRow m = MergeRules.merge(plan, row);
            assertEquals(SourceLabel.MISSING, m.sources().get("cnt"));
            assertNull(m.values().get("cnt"));
        }

        @Test
        void plainBootstrapTableWithoutHashesCounts() {
            MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.low", rec(values("cnt", 5L), null));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.5))));
            assertEquals(5L, m.values().get("cnt"));
            assertEquals("bootstrap:b.low", m.sources().get("cnt"));
        }

        @Test
        void logValuesOfAPartWithAStaleHashAreIgnored() {
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log",
                    rec(values("cnt", 3L, "amt", 1.0, "risk", 0.1), hashes("card_txn", "old", "risk_ext", risk))));
            assertEquals(SourceLabel.MISSING, m.sources().get("cnt"));
            assertEquals("log", m.sources().get("risk"));
        }

        @Test
        void bootstrapWithHashesCountsOnlyForMatchingParts() {
            MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.high",
                    rec(values("cnt", 1L, "amt", 1.0, "risk", 0.9), hashes("card_txn", "other", "risk_ext", risk)));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf",
                    rec(values("cnt", 7L, "amt", 9.0), hashes("card_txn", card))));
            assertEquals(7L, m.values().get("cnt"));
            assertEquals("bootstrap:b.high", m.sources().get("risk"));
        }
    }

    @Nested
    class Rule2Coverage {
        @Test
        void severalSourcesJointlyCoverAPartSoTheBackfillIsNotUsed() {
            MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.high", rec(values("cnt", 11L), null));
            MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf", rec(values("cnt", 7L, "amt", 9.0), hashes("card_txn", card)));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("amt", null, "risk", 0.5))));
            // card_txn is covered by b.high (cnt) + log (amt, as null): the null is trusted
            assertEquals("bootstrap:b.high", m.sources().get("cnt"));
            assertNull(m.values().get("amt"));
            assertEquals("log", m.sources().get("amt"));
        }

        @Test
        void aPartiallyCoveredPartIsFilledByTheBackfill() {
            MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.high", rec(values("cnt", 11L), null));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf",
                    rec(values("cnt", 7L, "amt", 9.0), hashes("card_txn", card))));
            assertEquals(11L, m.values().get("cnt"));
            assertEquals("bootstrap:b.high", m.sources().get("cnt"));
            assertEquals(9.0, m.values().get("amt"));
            assertEquals("backfill", m.sources().get("amt"));
        }
    }

    @Nested
    class Rule3Values {
        @Test
        void higherBootstrapWinsAndNullFallsThroughToTheNextSource() {
            MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.high", rec(values("cnt", null, "amt", 1.5), null));
            MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.low", rec(values("cnt", 22L, "amt", 2.5), null));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("cnt", 3L, "amt", 3.5, "risk", 0.1))));
            assertEquals(22L, m.values().get("cnt"));
            assertEquals("bootstrap:b.low", m.sources().get("cnt"));
            assertEquals(1.5, m.values().get("amt"));
        }

        @Test
        void aCoveredNullIsNotFilledFromTheBackfill() {
            MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf", rec(values("cnt", 7L, "amt", 9.0), hashes("card_txn", card)));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("cnt", null, "amt", 2.0, "risk", 0.1))));
            assertNull(m.values().get("cnt"));
            assertEquals("log", m.sources().get("cnt"));
        }

        @Test
        void anExternalPartIsNeverBackfilled() {
            MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("cnt", 1L, "amt", 1.0)));
            assertSame(Emission.UNCHANGED, MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf",
                    rec(values("risk", 0.7), null)));
            MergedRow m = MergeRules.merge(plan, row);
            assertNull(m.values().get("risk"));
            assertEquals(SourceLabel.MISSING, m.sources().get("risk"));
        }

        @Test
        void logIsIgnoredAsASourceWithoutBootstrapFromLog() {
            JoinPlan noLog = plan(join().bootstrapFromLog(false));
            MergeRules.apply(noLog, row, SourceKind.BACKFILL, "bf", rec(values("cnt", 7L, "amt", 9.0), hashes("card_txn", card)));
            assertSame(Emission.UNCHANGED, MergeRules.apply(noLog, row, SourceKind.LOG, "log", log(values("cnt", 3L, "amt", 1.0, "risk", 0.1))));
            MergedRow m = MergeRules.merge(noLog, row);
            assertEquals(7L, m.values().get("cnt"));
            assertEquals("backfill", m.sources().get("cnt"));
            assertEquals(SourceLabel.MISSING, m.sources().get("risk"));
        }
    }

    @Nested
    class Rule4Sources {
        @Test
        void allNullNamesTheHighestSourceHoldingTheFeature() {
            MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.low", rec(values("risk", null), null));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", null))));
            assertEquals("bootstrap:b.low", m.sources().get("risk"));
        }

        @Test
        void featureNobodyHeldIsMissing() {
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.2))));
            assertEquals(SourceLabel.MISSING, m.sources().get("cnt"));
            assertTrue(m.values().containsKey("cnt"));
        }

        @Test
        void backfillHoldingANullIsNamed() {
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf",
                    rec(values("cnt", null, "amt", 1.0), hashes("card_txn", card))));
            assertEquals("backfill", m.sources().get("cnt"));
        }
    }

    @Nested
    class Rule5Rows {
        @Test
        void bootstrapAloneCreatesNoRowAndWaits() {
            assertSame(Emission.UNCHANGED, MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.high", rec(values("cnt", 1L), null)));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.5))));
            assertEquals(1L, m.values().get("cnt"));
        }

        @Test
        void tsAndKeysComeFromTheLogElseTheBackfill() {
            SourceRecord bf = new SourceRecord(111L, Map.of("card_id", "from-bf"), values("cnt", 1L, "amt", 1.0), null);
            assertEquals(111L, upsert(MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf", bf)).ts());
            SourceRecord lg = new SourceRecord(222L, Map.of("card_id", "from-log"), values("risk", 1.0), hashes("risk_ext", risk));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", lg));
            assertEquals(222L, m.ts());
            assertEquals("from-log", m.keys().get("card_id"));
        }
    }

    @Nested
    class Rule6BootstrapWindows {
        @Test
        void windowedBootstrapCountsOnlyInsideItsDays() {
            MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.window", rec(values("cnt", 5L), null));
            MergedRow inside = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.5))));
            assertEquals("bootstrap:b.window", inside.sources().get("cnt"));

            RowState other = new RowState();
            long outsideTs = Instant.parse("2025-10-03T00:00:00Z").toEpochMilli();
            MergeRules.apply(plan, other, SourceKind.BOOTSTRAP, "b.window", rec(values("cnt", 5L), null));
            MergedRow outside = upsert(MergeRules.apply(plan, other, SourceKind.LOG, "log",
                    new SourceRecord(outsideTs, Map.of(), values("risk", 0.5), hashes("card_txn", card, "risk_ext", risk))));
            assertEquals(SourceLabel.MISSING, outside.sources().get("cnt"));
        }

        @Test
        void endDayIsInclusive() {
            long lastMoment = Instant.parse("2025-10-02T23:59:59.999Z").toEpochMilli();
            MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.window", rec(values("cnt", 5L), null));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log",
                    new SourceRecord(lastMoment, Map.of(), values("risk", 0.5), hashes("risk_ext", risk))));
            assertEquals("bootstrap:b.window", m.sources().get("cnt"));
        }
    }

    @Nested
    class Rule7Emission {
        @Test
        void unchangedMergeEmitsNothingAndRevisionsCountUp() {
            Emission first = MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.5)));
            assertEquals(1L, assertInstanceOf(Emission.Upsert.class, first).revision());
            assertSame(Emission.UNCHANGED, MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.5))));
            Emission second = MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.6)));
            assertEquals(2L, assertInstanceOf(Emission.Upsert.class, second).revision());
        }

        @Test
        void aChangedSourceAloneIsEmitted() {
            MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("cnt", 3L, "amt", 1.0, "risk", 0.5)));
            Emission e = MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.high", rec(values("cnt", 3L), null));
            MergedRow m = upsert(e);
            assertEquals(3L, m.values().get("cnt"));
            assertEquals("bootstrap:b.high", m.sources().get("cnt"));
        }

        @Test
        void aChangeOfTsAloneIsEmitted() {
            // the backfill arrives first and sets ts; the log of the same values then sets its own ts (rule 5)
            MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf", new SourceRecord(TS + 500, Map.of("card_id", "c1"),
                    values("cnt", 7L, "amt", 9.0), hashes("card_txn", card)));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values())));
            assertEquals(TS, m.ts());
            assertEquals(7L, m.values().get("cnt"));
            assertEquals(2L, row.revision());
        }

        @Test
        void aChangeOfKeysAloneIsEmitted() {
            MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.5)));
            SourceRecord moved = new SourceRecord(TS, Map.of("card_id", "c2"), values("risk", 0.5), hashes("card_txn", card, "risk_ext", risk));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", moved));
            assertEquals(Map.of("card_id", "c2"), m.keys());
            assertSame(Emission.UNCHANGED, MergeRules.apply(plan, row, SourceKind.LOG, "log", moved));
        }
    }

    @Nested
    class Rule8Deletion {
        @Test
        void tombstoneOnBackfillReMergesAndDeletesTheRowWhenNothingIsLeft() {
            MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf", rec(values("cnt", 7L, "amt", 9.0), hashes("card_txn", card)));
            assertSame(Emission.TOMBSTONE, MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf", null));
            // revisions keep counting after a deletion
            Emission again = MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf", rec(values("cnt", 8L, "amt", 9.0), hashes("card_txn", card)));
            assertEquals(2L, assertInstanceOf(Emission.Upsert.class, again).revision());
        }

        @Test
        void bootstrapTombstoneReMergesTheRow() {
            MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.high", rec(values("cnt", 11L), null));
            MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("cnt", 3L, "amt", 1.0, "risk", 0.5)));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.BOOTSTRAP, "b.high", null));
            assertEquals(3L, m.values().get("cnt"));
            assertEquals("log", m.sources().get("cnt"));
        }

        @Test
        void rowWithALogSurvivesABackfillTombstone() {
            MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.5)));
            MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf", rec(values("cnt", 7L, "amt", 9.0), hashes("card_txn", card)));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf", null));
            assertEquals(SourceLabel.MISSING, m.sources().get("cnt"));
        }
    }

    @Nested
    class Rule9Duplicates {
        @Test
        void theLaterLogReplacesTheEarlierOne() {
            MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("cnt", 1L, "amt", 1.0, "risk", 0.5)));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.7))));
            assertEquals(SourceLabel.MISSING, m.sources().get("cnt"), "the earlier log's values are gone");
            assertEquals(0.7, m.values().get("risk"));
        }

        @Test
        void anOlderLogArrivingLateNeverReplacesANewerOne() {
            SourceRecord newer = new SourceRecord(TS + 1000, Map.of("card_id", "c1"), values("risk", 0.9), hashes("card_txn", card, "risk_ext", risk));
            MergeRules.apply(plan, row, SourceKind.LOG, "log", newer);
            assertSame(Emission.UNCHANGED, MergeRules.apply(plan, row, SourceKind.LOG, "replay", log(values("risk", 0.1))));
            assertEquals(newer, row.log());
        }

        @Test
        void ofTwoLogsWithEqualTsTheLaterArrivalWins() {
            MergeRules.apply(plan, row, SourceKind.LOG, "log", log(values("risk", 0.1)));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.LOG, "replay", log(values("risk", 0.2))));
            assertEquals(0.2, m.values().get("risk"));
        }

        @Test
        void theFinalStateDoesNotDependOnWhichLogTopicIsReadFirst() {
            SourceRecord older = log(values("risk", 0.1));
            SourceRecord newer = new SourceRecord(TS + 1, Map.of("card_id", "c1"), values("risk", 0.2), hashes("card_txn", card, "risk_ext", risk));
            RowState other = new RowState();
            MergeRules.apply(plan, row, SourceKind.LOG, "log", older);
            MergeRules.apply(plan, row, SourceKind.LOG, "replay", newer);
            MergeRules.apply(plan, other, SourceKind.LOG, "replay", newer);
            MergeRules.apply(plan, other, SourceKind.LOG, "log", older);
            assertEquals(row.lastValues(), other.lastValues());
            assertEquals(row.lastTs(), other.lastTs());
            assertEquals(newer, other.log());
        }

        @Test
        void theLatestBackfillRecordWins() {
            MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf", rec(values("cnt", 1L, "amt", 1.0), hashes("card_txn", card)));
            MergedRow m = upsert(MergeRules.apply(plan, row, SourceKind.BACKFILL, "bf", rec(values("cnt", 2L, "amt", 1.0), hashes("card_txn", card))));
            assertEquals(2L, m.values().get("cnt"));
        }
    }

    @Nested
    class Rule10BadInput {
        @Test
        void promotionsFollowAvro() {
            assertEquals(3L, ValueTypes.promote("cnt", 3, io.splice.core.api.FeatureType.LONG));
            assertEquals(3.0, ValueTypes.promote("amt", 3L, io.splice.core.api.FeatureType.DOUBLE));
            assertEquals(1.5, ValueTypes.promote("amt", 1.5f, io.splice.core.api.FeatureType.DOUBLE));
        }

        @Test
        void aStringForALongIsRefused() {
            BadRecordException e = assertThrows(BadRecordException.class,
                    () -> ValueTypes.promoteAll(plan, values("cnt", "3"), true));
            assertEquals(BadRecordException.WRONG_TYPE, e.reason());
            assertTrue(e.getMessage().contains("cnt"));
        }

        @Test
        void aDoubleForALongIsRefused() {
            assertThrows(BadRecordException.class, () -> ValueTypes.promote("cnt", 3.5, io.splice.core.api.FeatureType.LONG));
        }

        @Test
        void valuesOfPartsARecordIsNotValidForAreDroppedUnchecked() {
            // a table row written under an older card_txn definition (cnt was a double then) and the current risk_ext
            Map<String, Object> v = ValueTypes.promoteValid(plan, values("cnt", 2.5, "risk", 1), false,
                    Map.of("card_txn", "an-older-hash", "risk_ext", risk));
            assertEquals(values("risk", 1.0), v, "stale part dropped, valid part promoted");
            // without hashes (a plain table) every defined feature is checked
            assertThrows(BadRecordException.class, () -> ValueTypes.promoteValid(plan, values("cnt", 2.5), false, null));
        }

        @Test
        void aLogWithAnUnknownFeatureIsRefusedButExtraTableColumnsAreIgnored() {
            BadRecordException e = assertThrows(BadRecordException.class,
                    () -> ValueTypes.promoteAll(plan, values("label", 1), true));
            assertEquals(BadRecordException.UNKNOWN_FEATURE, e.reason());
            assertEquals(values("cnt", 2L), ValueTypes.promoteAll(plan, values("cnt", 2, "label", 1), false));
        }

        @Test
        void rowKeyNeedsEveryRowIdField() {
            BadRecordException e = assertThrows(BadRecordException.class, () -> plan.rowKey(Map.of(), Map.of("card_id", "c1")));
            assertEquals(BadRecordException.MISSING_ROW_ID, e.reason());
            assertEquals("r1", plan.rowKey(Map.of("request_id", "r1"), Map.of()));
        }
    }

    @Test
    void rowKeyOfSeveralFieldsIsAJsonArrayInDeclaredOrder() {
        JoinPlan two = plan(join().rowIds("request_id", "ds"));
        assertEquals("[\"r1\",\"2025-10-01\"]", two.rowKey(Map.of("ds", "2025-10-01"), Map.of("request_id", "r1")));
    }
}
