package io.splice.streams;

import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.WireFormat;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.internal.DlqHeaders;
import io.splice.testing.Feature;
import io.splice.testing.JoinYaml;
import io.splice.testing.Joins;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import io.splice.core.offline.TombstoneHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.splice.streams.TopologyHarness.logOf;
import static io.splice.streams.TopologyHarness.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The topology through TopologyTestDriver, one case per rule of DESIGN §5, plus join-to-join bootstrapping. */
class SpliceTopologyTest {
    static final String V1 = "splice.stitched.payments.v1";
    static final String V2 = "splice.stitched.payments.v2";
    /** v1 with two bootstrap tables; v2 adds card_txn_7d and bootstraps from v1's output. */
    static final String YAML = JoinYaml.yaml(
            Joins.paymentsCardAndRisk("v1").bootstrap("splice.bootstrap.high").bootstrap("splice.bootstrap.low"),
            Joins.paymentsCardAndRisk("v2").bootstrapFromLog(false)
                    .part("card_txn_7d", "transactions", "card_id", Feature.sum("amt_7d", "amount", "7d"))
                    .bootstrap(V1));

    TopologyHarness h;
    String card;
    String risk;

    @BeforeEach
    void setUp() throws Exception {
        h = new TopologyHarness(YAML);
        card = h.hash("payments.v1", "card_txn");
        risk = h.hash("payments.v1", "risk_ext");
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    FetchLog fullLog(String requestId, long cnt, double amt, double riskScore) {
        Map<String, Object> v = new HashMap<>();
        v.put("cnt", cnt);
        v.put("amt", amt);
        v.put("risk", riskScore);
        return logOf("payments", "v1", requestId).setValues(v).setPartHashes(Map.of("card_txn", card, "risk_ext", risk)).build();
    }

    @Test
    void logOnlyRowIsStitchedOnceWithRevisionOne() {
        h.log(fullLog("r1", 3, 120.5, 0.25));
        List<KeyValue<String, StitchedRecord>> out = h.stitched(V1);
        assertEquals(1, out.size());
        StitchedRecord r = out.get(0).value;
        assertEquals("r1", out.get(0).key);
        assertEquals(1L, r.getRevision());
        assertEquals(3L, r.getValues().get("cnt"));
        assertEquals("log", r.getSources().get("risk"));
        assertEquals(Map.of("card_txn", card, "risk_ext", risk), r.getPartHashes());
    }

    @Test
    void backfillFillsPartsTheLogDidNotCarry() {
        h.log(logOf("payments", "v1", "r1").setValues(Map.of("risk", 0.5)).setPartHashes(Map.of("risk_ext", risk)).build());
        h.pipe("splice.backfill.payments.v1", "r1", row("r1", Map.of("cnt", 7, "amt", 99.0), Map.of("card_txn", card)));
        List<KeyValue<String, StitchedRecord>> out = h.stitched(V1);
        assertEquals(2, out.size());
        StitchedRecord last = out.get(1).value;
        assertEquals(2L, last.getRevision());
        assertEquals(7L, last.getValues().get("cnt"), "int promoted to the declared long");
        assertEquals("backfill", last.getSources().get("amt"));
        assertEquals("log", last.getSources().get("risk"));
    }

    @Test
    void staleBackfillIsIgnored() {
        h.log(logOf("payments", "v1", "r1").setValues(Map.of("risk", 0.5)).setPartHashes(Map.of("risk_ext", risk)).build());
        h.pipe("splice.backfill.payments.v1", "r1", row("r1", Map.of("cnt", 7L, "amt", 9.0), Map.of("card_txn", "0000000000000000")));
        List<KeyValue<String, StitchedRecord>> out = h.stitched(V1);
        assertEquals(1, out.size(), "the stale backfill changes nothing");
        assertEquals("missing", out.get(0).value.getSources().get("cnt"));
    }

    @Test
    void bootstrapPriorityAndNullFallThrough() {
        Map<String, Object> high = new HashMap<>();
        high.put("cnt", null);
        high.put("amt", 1.5);
        h.pipe("splice.bootstrap.high", "r1", row("r1", high, null));
        h.pipe("splice.bootstrap.low", "r1", row("r1", Map.of("cnt", 22L, "amt", 2.5, "label", 1), null));
        assertTrue(h.stitched(V1).isEmpty(), "bootstrap records alone create no row");
        h.log(fullLog("r1", 3, 120.5, 0.25));
        List<KeyValue<String, StitchedRecord>> out = h.stitched(V1);
        assertEquals(1, out.size());
        StitchedRecord r = out.get(0).value;
        assertEquals(22L, r.getValues().get("cnt"));
        assertEquals("bootstrap:splice.bootstrap.low", r.getSources().get("cnt"));
        assertEquals(1.5, r.getValues().get("amt"));
        assertEquals("bootstrap:splice.bootstrap.high", r.getSources().get("amt"));
        assertFalse(r.getValues().containsKey("label"), "extra bootstrap columns are ignored");
    }

    @Test
    void replayedLogsEmitNothing() {
        h.log(fullLog("r1", 3, 120.5, 0.25));
        assertEquals(1, h.stitched(V1).size());
        h.pipe("splice.fetch-log.replay", "anything", fullLog("r1", 3, 120.5, 0.25));
        assertTrue(h.stitched(V1).isEmpty());
        assertEquals(1.0, h.counter("splice.merges.unchanged", "join", "payments.v1"));
    }

    @Test
    void everyRecordReachingTheStitcherIsTimedOnceUnchangedMergesIncluded() {
        // Given two rows, one of them replayed (an unchanged merge emits nothing but still costs a merge)
        h.log(fullLog("r1", 3, 120.5, 0.25));
        h.log(fullLog("r2", 4, 10.0, 0.5));
        h.pipe("splice.fetch-log.replay", "anything", fullLog("r1", 3, 120.5, 0.25));

        // Then the merge timer of payments.v1 counts the three records, with their time
        var merge = h.timer("splice.merge.duration", "join", "payments.v1");
        assertEquals(3, merge.count());
        assertTrue(merge.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS) > 0, "time was recorded");
        assertEquals(2, h.stitched(V1).size());
    }

    @Test
    void tombstonesDeleteSourcesAndRows() {
        h.pipe("splice.backfill.payments.v1", "r1", row("r1", Map.of("cnt", 7L, "amt", 9.0), Map.of("card_txn", card)));
        h.pipe("splice.backfill.payments.v1", "r1", null);
        h.pipe("splice.backfill.payments.v1", "r1", row("r1", Map.of("cnt", 8L, "amt", 9.0), Map.of("card_txn", card)));
        List<KeyValue<String, StitchedRecord>> out = h.stitched(V1);
        assertEquals(3, out.size());
        assertNull(out.get(1).value, "a tombstone when no log and no backfill is left");
        assertEquals(2L, out.get(2).value.getRevision(), "revisions keep counting after a deletion");
        h.pipe("splice.bootstrap.high", "r9", null);
        assertTrue(h.stitched(V1).isEmpty(), "a tombstone for an unknown row changes nothing");
    }

    @Test
    void aTombstoneNamesTheRevisionItEndsAndItsTs() {
        // the offline sink files a tombstone under the day of the row it deletes (TombstoneHeaders)
        h.advanceWallClock(Duration.ofMillis(5_000));
        h.pipe("splice.backfill.payments.v1", "r1", row("r1", Map.of("cnt", 7L, "amt", 9.0), Map.of("card_txn", card)));
        h.advanceWallClock(Duration.ofMillis(1_000));
        h.pipe("splice.backfill.payments.v1", "r1", row("r1", Map.of("cnt", 8L, "amt", 9.0), Map.of("card_txn", card)));
        h.advanceWallClock(Duration.ofMillis(1_000));
        h.pipe("splice.backfill.payments.v1", "r1", null);
        var out = h.raw(V1);
        assertEquals(3, out.size());
        assertNull(out.get(2).value());
        assertEquals("2", new String(out.get(2).headers().lastHeader(TombstoneHeaders.REVISION).value(), StandardCharsets.US_ASCII));
        assertEquals("1759320000000", new String(out.get(2).headers().lastHeader(TombstoneHeaders.TS).value(), StandardCharsets.US_ASCII));
        // and when it was written: the app's clock, not the record time (event time) it inherits; so are revisions
        assertEquals("7000", new String(out.get(2).headers().lastHeader(TombstoneHeaders.STITCHED_AT).value(), StandardCharsets.US_ASCII));
        assertEquals(1_759_320_000_000L, out.get(2).timestamp());
    }

    @Test
    void consistencyCountsPlantedMismatchesExactlyAndNeverChangesTheMerge() throws Exception {
        // Given 10 rows served with cnt = i and amt = 10.0 * i; the backfill computes cnt = i except rows 0-2 (planted:
        // off by one), amt 0.5% above the served value for rows 0-3 (within a 1% tolerance) and null for row 9
        try (TopologyHarness t = new TopologyHarness(YAML, Map.of(SpliceStreamsConfig.CONSISTENCY_TOLERANCE, 0.01))) {
            for (int i = 0; i < 10; i++) {
                t.log(fullLog("r" + i, i, 10.0 * i, 0.5));
            }
            t.stitched(V1);
            for (int i = 0; i < 10; i++) {
                Map<String, Object> v = new HashMap<>();
                v.put("cnt", i < 3 ? i + 1L : (long) i);
                v.put("amt", i == 9 ? null : i < 4 ? 10.0 * i * 1.005 : 10.0 * i);
                t.pipe("splice.backfill.payments.v1", "r" + i, row("r" + i, v, Map.of("card_txn", card)));
            }
            // a re-published equal backfill and a replayed equal log compare nothing again
            t.pipe("splice.backfill.payments.v1", "r0", row("r0", Map.of("cnt", 1L, "amt", 0.0), Map.of("card_txn", card)));
            t.log(fullLog("r5", 5, 50.0, 0.5));

            // Then every (row, feature) pair both hold is compared once; the planted ones mismatch; risk (external) is not compared
            assertEquals(10.0, t.counter("splice.consistency.compared", "join", "payments.v1", "feature", "cnt"));
            assertEquals(3.0, t.counter("splice.consistency.mismatched", "join", "payments.v1", "feature", "cnt"));
            assertEquals(10.0, t.counter("splice.consistency.compared", "join", "payments.v1", "feature", "amt"));
            assertEquals(1.0, t.counter("splice.consistency.mismatched", "join", "payments.v1", "feature", "amt"),
                    "within the tolerance agrees; a null against a value does not");
            assertEquals(0.0, t.counter("splice.consistency.compared", "join", "payments.v1", "feature", "risk"));
            // and the log-covered rows still take nothing from the backfill
            assertTrue(t.stitched(V1).isEmpty());
        }
        // the same inputs with tolerance 0: the 0.5% differences are mismatches too (row 0's amt is 0 = 0)
        try (TopologyHarness exact = new TopologyHarness(YAML, Map.of(SpliceStreamsConfig.CONSISTENCY_TOLERANCE, 0.0))) {
            for (int i = 0; i < 4; i++) {
                exact.log(fullLog("r" + i, i, 10.0 * i, 0.5));
                exact.pipe("splice.backfill.payments.v1", "r" + i, row("r" + i, Map.of("cnt", (long) i, "amt", 10.0 * i * 1.005),
                        Map.of("card_txn", card)));
            }
            assertEquals(3.0, exact.counter("splice.consistency.mismatched", "join", "payments.v1", "feature", "amt"));
            assertEquals(0.0, exact.counter("splice.consistency.mismatched", "join", "payments.v1", "feature", "cnt"));
        }
    }

    @Test
    void aRevisionSaysWhenItWasStitchedNotWhenItsEventHappened() {
        h.advanceWallClock(Duration.ofMillis(42_000));
        h.log(fullLog("r1", 3, 1.0, 0.25));
        StitchedRecord r = h.stitched(V1).get(0).value;
        assertEquals(42_000L, r.getStitchedAt());
        assertEquals(1_759_320_000_000L, r.getTs());
    }

    @Test
    void theLaterLogReplacesTheEarlierOne() {
        h.log(fullLog("r1", 3, 1.0, 0.25));
        h.log(fullLog("r1", 4, 1.0, 0.25));
        List<KeyValue<String, StitchedRecord>> out = h.stitched(V1);
        assertEquals(2, out.size());
        assertEquals(4L, out.get(1).value.getValues().get("cnt"));
    }

    @Test
    void v2BootstrapsFromV1OutputOnlyWhereThePartIsUnchanged() {
        // Given v1 stitched a row from its log (read back as v2's bootstrap, as Kafka would)
        h.log(fullLog("r1", 3, 120.5, 0.25));
        assertEquals(1, h.stitched(V1).size());
        assertTrue(h.stitched(V2).isEmpty(), "v2 has no row until its own log or backfill arrives");
        // When v2's backfill arrives with its current hashes
        String card7 = h.hash("payments.v2", "card_txn_7d");
        h.pipe("splice.backfill.payments.v2", "r1", row("r1", Map.of("cnt", 1L, "amt", 1.0, "amt_7d", 500.0),
                Map.of("card_txn", h.hash("payments.v2", "card_txn"), "card_txn_7d", card7)));
        // Then unchanged parts come from v1, the new part from the backfill
        List<KeyValue<String, StitchedRecord>> out = h.stitched(V2);
        assertEquals(1, out.size());
        StitchedRecord r = out.get(0).value;
        assertEquals(3L, r.getValues().get("cnt"));
        assertEquals("bootstrap:" + V1, r.getSources().get("cnt"));
        assertEquals("bootstrap:" + V1, r.getSources().get("risk"));
        assertEquals(500.0, r.getValues().get("amt_7d"));
        assertEquals("backfill", r.getSources().get("amt_7d"));
    }

    @Test
    void missingFeaturesOfAStitchedBootstrapCountAsAbsent() {
        // v1 row from a log that carried only risk: cnt/amt are "missing" in v1's output
        h.log(logOf("payments", "v1", "r1").setValues(Map.of("risk", 0.5)).setPartHashes(Map.of("risk_ext", risk)).build());
        h.pipe("splice.backfill.payments.v2", "r1", row("r1", Map.of("cnt", 9L, "amt", 2.0, "amt_7d", 1.0), null));
        StitchedRecord r = h.stitched(V2).get(0).value;
        assertEquals(9L, r.getValues().get("cnt"), "v1's missing values do not cover card_txn");
        assertEquals("backfill", r.getSources().get("cnt"));
    }

    @Test
    void badInputGoesToTheDlqWithHeadersAndTheRestGoesOn() {
        byte[] good = null;
        h.raw("splice.fetch-log", "r9".getBytes(StandardCharsets.UTF_8), "not avro at all".getBytes(StandardCharsets.UTF_8));
        h.raw("splice.fetch-log", "r8".getBytes(StandardCharsets.UTF_8), WireFormat.frame(9999, new byte[]{1, 2}));
        h.log(logOf("payments", "v1", null).build());                                            // no row id
        h.log(logOf("payments", "v1", "r7").setValues(Map.of("cnt", "three")).build());          // wrong type
        h.log(logOf("payments", "v1", "r6").setValues(Map.of("nope", 1)).build());               // unknown feature
        h.raw("splice.fetch-log", "r5".getBytes(StandardCharsets.UTF_8), null);                  // empty value on a log topic
        h.raw("splice.fetch-log", new byte[]{(byte) 0xff, (byte) 0xfe}, new byte[]{0});          // invalid UTF-8 key
        h.pipe("splice.backfill.payments.v1", null, row("r4", Map.of("cnt", 1L), null));         // null key on a compacted topic
        h.pipe("splice.backfill.payments.v1", "r3", row("r3", Map.of("cnt", 1.5), null));        // double for a long
        h.log(logOf("other", "v1", "r2").build());                                               // unknown join: counted, not DLQ
        h.log(fullLog("r1", 3, 120.5, 0.25));

        List<TestRecord<byte[], byte[]>> dlq = h.dlq();
        assertEquals(9, dlq.size(), dlq.stream().map(r -> DlqHeaders.get(r.headers(), DlqHeaders.ERROR)).toList().toString());
        List<String> reasons = dlq.stream().map(r -> DlqHeaders.get(r.headers(), DlqHeaders.ERROR).split(":")[0]).toList();
        assertEquals(List.of("undecodable", "undecodable", "missing-row-id", "wrong-type", "unknown-feature", "empty-value",
                "bad-key", "missing-key", "wrong-type"), reasons);
        TestRecord<byte[], byte[]> first = dlq.get(0);
        assertEquals("r9", new String(first.key(), StandardCharsets.UTF_8));
        assertEquals("not avro at all", new String(first.value(), StandardCharsets.UTF_8), "original bytes are kept");
        assertEquals("splice.fetch-log", DlqHeaders.get(first.headers(), DlqHeaders.SOURCE_TOPIC));
        assertEquals("0", DlqHeaders.get(first.headers(), DlqHeaders.SOURCE_OFFSET));
        assertTrue(DlqHeaders.get(dlq.get(1).headers(), DlqHeaders.ERROR).contains("9999"));
        assertEquals(1.0, h.counter("splice.logs.unknown.join", "join", "other.v1"));
        List<KeyValue<String, StitchedRecord>> out = h.stitched(V1);
        assertEquals(1, out.size(), "the good record is stitched");
        assertEquals("r1", out.get(0).key);
        assertNull(good);
    }

    @Test
    void oversizedValuesAreDeadLettered() throws Exception {
        try (TopologyHarness small = new TopologyHarness(YAML, Map.of(SpliceStreamsConfig.MAX_VALUE_BYTES, 64))) {
            Map<String, Object> v = new HashMap<>();
            v.put("risk", 0.5);
            small.log(logOf("payments", "v1", "r1".repeat(40)).setValues(v).build());
            List<TestRecord<byte[], byte[]>> dlq = small.dlq();
            assertEquals(1, dlq.size());
            assertTrue(DlqHeaders.get(dlq.get(0).headers(), DlqHeaders.ERROR).startsWith("too-large"));
        }
    }

    @Test
    void aRecordThatWouldMakeTheRowTooLargeIsDeadLetteredAndTheRowKeepsItsRevision() throws Exception {
        try (TopologyHarness small = new TopologyHarness(YAML, Map.of(SpliceStreamsConfig.MAX_ROW_BYTES, 4096))) {
            // Given a stitched row
            small.log(logOf("payments", "v1", "r1").setValues(Map.of("risk", 0.5)).setPartHashes(Map.of("risk_ext", risk)).build());
            // When a backfill record arrives whose keys alone would push the row's state past 4096 bytes, then a normal one
            FeatureRow wide = FeatureRow.newBuilder(row("r1", Map.of("cnt", 7L, "amt", 9.0), Map.of("card_txn", card)))
                    .setKeys(Map.of("card_id", "c".repeat(3500))).build();
            small.pipe("splice.backfill.payments.v1", "r1", wide);
            small.pipe("splice.backfill.payments.v1", "r1", row("r1", Map.of("cnt", 8L, "amt", 10.0), Map.of("card_txn", card)));

            // Then the wide record is in the DLQ with the reason, the row and the limit, and revisions go on without a gap
            List<TestRecord<byte[], byte[]>> dlq = small.dlq();
            assertEquals(1, dlq.size());
            String error = DlqHeaders.get(dlq.get(0).headers(), DlqHeaders.ERROR);
            assertTrue(error.matches("row-too-large: row r1 of payments\\.v1 would take \\d+ bytes with this backfill record from "
                    + "splice\\.backfill\\.payments\\.v1, over the limit of 4096 bytes \\(splice\\.max\\.row\\.bytes\\); "
                    + "the row stays at revision 1 \\(splice\\.backfill\\.payments\\.v1-0@0\\)"), error);
            assertEquals("splice.backfill.payments.v1", DlqHeaders.get(dlq.get(0).headers(), DlqHeaders.SOURCE_TOPIC));
            assertTrue(new String(dlq.get(0).value(), StandardCharsets.UTF_8).contains("c".repeat(3500)), "the record is kept");
            List<KeyValue<String, StitchedRecord>> out = small.stitched(V1);
            assertEquals(List.of(1L, 2L), out.stream().map(kv -> kv.value.getRevision()).toList());
            assertEquals(8L, out.get(1).value.getValues().get("cnt"));
        }
    }

    @Test
    void logsKeyedByRowKeySkipTheRepartition() throws Exception {
        assertTrue(h.topology.describe().toString().contains("logs-by-row-payments.v1-repartition"));
        try (TopologyHarness keyed = new TopologyHarness(YAML, Map.of(SpliceStreamsConfig.LOG_KEYED_BY_ROW_KEY, true))) {
            String described = keyed.topology.describe().toString();
            assertFalse(described.contains("logs-by-row-"), "no re-keying repartition");
            // only records found outside their row key's partition take a repartition topic (DESIGN §6)
            assertTrue(described.contains("misplaced-logs-payments.v1-repartition"), described);
            keyed.log(fullLog("r1", 3, 120.5, 0.25));
            assertEquals(1, keyed.stitched(V1).size());
        }
    }
}
