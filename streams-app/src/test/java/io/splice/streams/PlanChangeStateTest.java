package io.splice.streams;

import io.splice.avro.FeatureRow;
import io.splice.avro.StitchedRecord;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The row state names features by their index in the plan that wrote it (format 5). A restart with changed
 * definitions (a part added in front of another, so every later feature's index moves) must read the state written
 * before with the names it was written with: the store keeps each plan's table under the empty key.
 */
class PlanChangeStateTest {
    static final String BEFORE = """
            joins:
              - name: payments
                version: v1
                row_ids: [request_id]
                keys: [card_id]
                bootstrap_from_log: true
                parts:
                  - name: card_txn
                    source: transactions
                    key: card_id
                    features:
                      - {name: cnt, type: long, agg: count, window: 1h}
                      - {name: amt, type: double, agg: sum, of: amount, window: 24h}
                  - name: risk_ext
                    external: true
                    features:
                      - {name: risk, type: double}
                bootstrap_parts:
                  - topic: splice.bootstrap.high
            """;
    /** A part added before risk_ext: risk's index moves from 2 to 3; the other parts' hashes are unchanged. */
    static final String AFTER = """
            joins:
              - name: payments
                version: v1
                row_ids: [request_id]
                keys: [card_id]
                bootstrap_from_log: true
                parts:
                  - name: card_txn
                    source: transactions
                    key: card_id
                    features:
                      - {name: cnt, type: long, agg: count, window: 1h}
                      - {name: amt, type: double, agg: sum, of: amount, window: 24h}
                  - name: geo_ext
                    external: true
                    features:
                      - {name: geo, type: double}
                  - name: risk_ext
                    external: true
                    features:
                      - {name: risk, type: double}
                bootstrap_parts:
                  - topic: splice.bootstrap.high
            """;
    static final String STITCHED = "splice.stitched.payments.v1";

    @Test
    void stateWrittenUnderTheOldDefinitionsIsReadWithItsOwnNames() throws Exception {
        Map<String, byte[]> store;
        // Given a row stitched from a log under the old definitions
        try (TopologyHarness before = new TopologyHarness(BEFORE)) {
            Map<String, Object> v = new HashMap<>();
            v.put("cnt", 7L);
            v.put("amt", 12.5);
            v.put("risk", 0.25);
            before.log(TopologyHarness.logOf("payments", "v1", "r1").setValues(v)
                    .setPartHashes(Map.of("card_txn", before.hash("payments.v1", "card_txn"), "risk_ext", before.hash("payments.v1", "risk_ext")))
                    .build());
            assertEquals(0.25, before.stitched(STITCHED).get(0).value.getValues().get("risk"));
            store = before.store("payments.v1");
        }
        assertEquals(List.of("", "r1"), List.copyOf(store.keySet()), "the row and the store's plan tables");

        // When the app restarts with a part added (its store restored from the changelog) and a bootstrap record
        // arrives for the row
        try (TopologyHarness after = new TopologyHarness(AFTER)) {
            assertTrue(AFTER.contains("geo_ext"), "the definitions changed");
            after.restore("payments.v1", store);
            after.pipe("splice.bootstrap.high", "r1", FeatureRow.newBuilder().setRowKey("r1").setTs(1_759_320_000_000L)
                    .setKeys(Map.of("card_id", "c1")).setValues(Map.of("cnt", 100L)).setPartHashes(null).build());

            // Then the new revision merges the old log as it was logged: risk is risk, not the new geo
            List<KeyValue<String, StitchedRecord>> out = after.stitched(STITCHED);
            assertEquals(1, out.size());
            StitchedRecord r = out.get(0).value;
            assertEquals(2, r.getRevision(), "the revision goes on from the state written before");
            Map<String, Object> values = new HashMap<>(r.getValues());
            assertEquals(100L, values.get("cnt"));
            assertEquals(12.5, values.get("amt"));
            assertEquals(0.25, values.get("risk"));
            assertEquals(null, values.get("geo"));
            assertEquals(Map.of("cnt", "bootstrap:splice.bootstrap.high", "amt", "log", "geo", "missing", "risk", "log"),
                    Map.copyOf(r.getSources()));
            // and the store now holds both plans' tables (the first byte of the dictionary: 'P', then 2 tables)
            byte[] tables = after.store("payments.v1").get("");
            assertEquals('P', tables[0]);
            assertEquals(2, tables[1]);
            assertTrue(new String(tables, StandardCharsets.UTF_8).contains("geo"));
        }
    }
}
