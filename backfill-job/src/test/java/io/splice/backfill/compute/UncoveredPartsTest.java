package io.splice.backfill.compute;

import io.splice.core.api.Aggregation;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.FeatureType;
import io.splice.core.api.PartDefinition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UncoveredPartsTest {
    static final PartDefinition PART = new PartDefinition("card_txn", "transactions", "card_id", false, List.of(
            new FeatureDefinition("a", FeatureType.LONG, Aggregation.COUNT, null, null, null),
            new FeatureDefinition("b", FeatureType.LONG, Aggregation.COUNT, null, null, null)));

    @Test
    @DisplayName("a part is covered when every feature came from a bootstrap part or the log, under the current hash")
    void coverageRule() {
        assertTrue(UncoveredParts.covered(PART, "h", Map.of("a", "log", "b", "bootstrap:splice.stitched.payments.v1"), Map.of("card_txn", "h"), false));
        assertTrue(UncoveredParts.covered(PART, "h", Map.of("a", "log", "b", "log"), null, false), "hashes unknown: not checked");
        assertFalse(UncoveredParts.covered(PART, "h", Map.of("a", "log", "b", "backfill"), Map.of("card_txn", "h"), false));
        assertFalse(UncoveredParts.covered(PART, "h", Map.of("a", "log", "b", "missing"), Map.of("card_txn", "h"), false));
        assertFalse(UncoveredParts.covered(PART, "h", Map.of("a", "log"), Map.of("card_txn", "h"), false), "a feature without source");
        assertFalse(UncoveredParts.covered(PART, "h", Map.of("a", "log", "b", "log"), Map.of("card_txn", "old"), false), "stale hash");
        assertFalse(UncoveredParts.covered(PART, "h", Map.of("a", "log", "b", "log"), Map.of("card_txn", "h"), true), "deleted row");
        assertFalse(UncoveredParts.covered(PART, "h", null, null, false), "no stitched row");
    }
}
