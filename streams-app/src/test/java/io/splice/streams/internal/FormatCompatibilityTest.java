package io.splice.streams.internal;

import io.splice.core.merge.RowState;
import io.splice.core.merge.SourceKind;
import io.splice.core.merge.SourceRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bytes written by released versions (src/test/resources/formats, each file written once by that version and never
 * regenerated) are read by this build: an upgrade keeps the store and its changelog. A new format version adds a
 * fixture here; a fixture is never removed while a release may have written it.
 */
class FormatCompatibilityTest {

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = FormatCompatibilityTest.class.getResourceAsStream("/formats/" + name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    @Test
    void aLiveRowOfFormat3IsReadWithItsSourcesAndLastEmission() throws IOException {
        RowState s = read(fixture("row-state-v3-live.bin"));
        assertEquals(3, s.revision());
        assertTrue(s.live());
        assertFalse(s.evicted());
        assertEquals(7L, s.lastValues().get("txn_count_1h"));
        assertEquals(1.5f, s.lastValues().get("f"));
        assertEquals(3, s.lastValues().get("i"));
        assertTrue(s.lastValues().containsKey("risk_score"));
        assertNull(s.lastValues().get("risk_score"));
        assertEquals("bootstrap:splice.bootstrap.high", s.lastSources().get("flag"));
        assertEquals(new SourceRecord(1759320000000L, Map.of("card_id", "c1"), Map.of("txn_count_1h", 7L, "name", "façade"),
                Map.of("card_txn", "h1")), s.log());
        assertEquals(99.5, s.backfill().values().get("txn_amount_24h"));
        assertEquals(true, s.bootstraps().get("splice.bootstrap.high").values().get("flag"));
        assertNull(s.bootstraps().get("splice.bootstrap.high").partHashes());
        // format 3 kept no ts/keys of the emission: they are the row's current ones, so reading emits nothing by itself
        assertEquals(1759320000000L, s.lastTs());
        assertEquals(Map.of("card_id", "c1"), s.lastKeys());
        // and what is read is written in today's format and read back the same
        RowState again = RowStateSerdeTest.roundTrip(s);
        assertEquals(s.lastValues(), again.lastValues());
        assertEquals(s.lastTs(), again.lastTs());
        assertEquals(s.bootstraps(), again.bootstraps());
    }

    @Test
    void aDeletedRowAndAnEvictionMarkerOfFormat3AreRead() throws IOException {
        RowState deleted = read(fixture("row-state-v3-deleted.bin"));
        assertFalse(deleted.live());
        assertEquals(4, deleted.revision());
        assertEquals(1.0, deleted.bootstraps().get("splice.bootstrap.low").values().get("x"));

        RowState evicted = read(fixture("row-state-v3-evicted.bin"));
        assertTrue(evicted.evicted());
        assertEquals(2, evicted.revision());
        assertEquals(RowStateSerde.EVICTED_AT_UNKNOWN, evicted.evictedAt(), "the stitcher stamps it when it next sees it");
    }

    /** A state of format 3 or 4 names no plan table: the dictionary is not consulted. */
    private static RowState read(byte[] bytes) {
        return RowStateSerde.read(bytes, new PlanTable.Dictionary());
    }

    @Test
    void aLiveRowOfFormat4IsReadWithEverySourceAndItsLastEmission() throws IOException {
        // Written by the build of 2026-12-05 (commit e55fd9a), the last to write format 4
        RowState s = read(fixture("row-state-v4-live.bin"));
        String h1 = "a1".repeat(32), h2 = "b2".repeat(32);
        Map<String, Object> logValues = new java.util.HashMap<>();
        logValues.put("txn_count_1h", 7L);
        logValues.put("txn_amount_24h", 12.25);
        logValues.put("risk_score", null);
        logValues.put("name", "façade");
        assertEquals(new SourceRecord(1759320000000L, Map.of("card_id", "c1"), logValues, Map.of("card_txn", h1, "risk_ext", h2)), s.log());
        assertEquals(new SourceRecord(1759320000005L, Map.of("card_id", "c1"), Map.of("txn_count_1h", 3L, "txn_amount_24h", 99.5),
                Map.of("card_txn", h1)), s.backfill());
        SourceRecord boot = s.bootstraps().get("splice.bootstrap.high");
        assertEquals(Map.of("txn_count_1h", 100L, "flag", true), boot.values());
        assertNull(boot.partHashes());
        assertEquals(5, s.revision());
        assertEquals(1759320000001L, s.lastTs());
        assertEquals(Map.of("card_id", "c9"), s.lastKeys());
        assertEquals(100L, s.lastValues().get("txn_count_1h"));
        assertEquals(3, s.lastValues().get("i"));
        assertEquals(1.5f, s.lastValues().get("f"));
        assertTrue(s.lastValues().containsKey("risk_score"));
        assertEquals("bootstrap:splice.bootstrap.high", s.lastSources().get("txn_count_1h"));
        assertEquals("missing", s.lastSources().get("f"));
        assertFalse(s.evicted());

        // and, written again in today's format (as the stitcher does on the row's next record), it is the same state
        RowState again = RowStateSerdeTest.roundTrip(s);
        assertEquals(s.log(), again.log());
        assertEquals(s.backfill(), again.backfill());
        assertEquals(s.bootstraps(), again.bootstraps());
        assertEquals(s.lastValues(), again.lastValues());
        assertEquals(s.lastSources(), again.lastSources());
        assertEquals(s.lastKeys(), again.lastKeys());
        assertEquals(s.lastTs(), again.lastTs());
        assertEquals(s.revision(), again.revision());
    }

    @Test
    void anEvictionMarkerOfFormat4KeepsItsTime() throws IOException {
        RowState s = read(fixture("row-state-v4-evicted.bin"));
        assertTrue(s.evicted());
        assertEquals(1759320600000L, s.evictedAt());
        assertEquals(2, s.revision());
        assertNull(s.log());
        assertFalse(s.live());
    }

    @Test
    void aRoutedRecordOfFormat2IsRead() throws IOException {
        Routed r = new RoutedSerde().deserializer().deserialize("t", fixture("routed-v2-log.bin"));
        assertEquals(Routed.of("payments.v2", SourceKind.LOG, "splice.fetch-log", "card-7", new SourceRecord(1759320000000L,
                Map.of("card_id", "c1"), Map.of("txn_count_1h", 7L), Map.of("card_txn", "h1"))), r);
    }
}
