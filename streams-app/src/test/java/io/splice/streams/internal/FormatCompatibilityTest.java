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
        RowState s = RowStateSerde.read(fixture("row-state-v3-live.bin"));
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
        RowState again = RowStateSerde.read(RowStateSerde.write(s));
        assertEquals(s.lastValues(), again.lastValues());
        assertEquals(s.lastTs(), again.lastTs());
        assertEquals(s.bootstraps(), again.bootstraps());
    }

    @Test
    void aDeletedRowAndAnEvictionMarkerOfFormat3AreRead() throws IOException {
        RowState deleted = RowStateSerde.read(fixture("row-state-v3-deleted.bin"));
        assertFalse(deleted.live());
        assertEquals(4, deleted.revision());
        assertEquals(1.0, deleted.bootstraps().get("splice.bootstrap.low").values().get("x"));

        RowState evicted = RowStateSerde.read(fixture("row-state-v3-evicted.bin"));
        assertTrue(evicted.evicted());
        assertEquals(2, evicted.revision());
        assertEquals(RowStateSerde.EVICTED_AT_UNKNOWN, evicted.evictedAt(), "the stitcher stamps it when it next sees it");
    }

    @Test
    void aRoutedRecordOfFormat2IsRead() throws IOException {
        Routed r = new RoutedSerde().deserializer().deserialize("t", fixture("routed-v2-log.bin"));
        assertEquals(Routed.of("payments.v2", SourceKind.LOG, "splice.fetch-log", "card-7", new SourceRecord(1759320000000L,
                Map.of("card_id", "c1"), Map.of("txn_count_1h", 7L), Map.of("card_txn", "h1"))), r);
    }
}
