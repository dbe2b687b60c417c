package io.splice.core.merge;

import io.splice.core.api.Topics;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plan the app logs at start names every part with its hash and the sources in DESIGN §5's priority order. */
class JoinPlanDescribeTest {
    @Test
    void partsWithHashesAndSourcesInPriorityOrder() {
        JoinPlan plan = MergeRulesTest.plan(MergeRulesTest.join());
        String text = plan.describe(Topics.defaults(), 6);
        String[] lines = text.split("\n");
        assertEquals("join payments.v2 (row ids [request_id], keys [card_id], 6 partitions)", lines[0]);
        assertTrue(text.contains("card_txn " + plan.partHashes().get("card_txn") + ": [cnt, amt]"), text);
        assertTrue(text.contains("risk_ext (external) " + plan.partHashes().get("risk_ext")), text);
        int high = text.indexOf("1. bootstrap:b.high");
        int low = text.indexOf("2. bootstrap:b.low");
        int window = text.indexOf("3. bootstrap:b.window (rows of 2025-10-01 to 2025-10-02)");
        int log = text.indexOf("4. log: splice.fetch-log, splice.fetch-log.replay");
        int backfill = text.indexOf("5. backfill: splice.backfill.payments.v2");
        assertTrue(high > 0 && high < low && low < window && window < log && log < backfill, text);
        assertTrue(text.endsWith("output: splice.stitched.payments.v2"), text);
    }
}
