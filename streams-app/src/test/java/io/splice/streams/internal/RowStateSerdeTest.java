package io.splice.streams.internal;

import io.splice.core.merge.RowState;
import io.splice.core.merge.SourceKind;
import io.splice.core.merge.SourceRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The internal encodings (state store and repartition topics) give back exactly what was written, or fail loudly. */
class RowStateSerdeTest {

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
        RowState back = RowStateSerde.read(RowStateSerde.write(s));

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
        RowState back = RowStateSerde.read(RowStateSerde.write(s));
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
        byte[] bytes = RowStateSerde.write(s);
        // When read twice (the second read hits the cache), then both reads are exact
        assertEquals(keys, RowStateSerde.read(bytes).log().keys());
        assertEquals(keys, RowStateSerde.read(bytes).log().keys());
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
        byte[] state = RowStateSerde.write(new RowState());
        state[0] = 99;
        SerializationException e = assertThrows(SerializationException.class, () -> RowStateSerde.read(state));
        assertEquals(true, e.getMessage().contains("unknown row-state version 99"));
    }
}
