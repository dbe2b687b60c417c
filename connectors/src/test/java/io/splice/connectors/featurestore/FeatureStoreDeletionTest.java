package io.splice.connectors.featurestore;

import io.splice.connectors.testing.FakeContext;
import io.splice.connectors.testing.TestData;
import io.splice.local.featurestore.FeatureGroupSpec;
import io.splice.local.featurestore.FeatureStoreEndpoint;
import io.splice.local.featurestore.Write;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.splice.connectors.testing.TestData.CARDS_TOPIC;
import static io.splice.connectors.testing.TestData.DAY1;
import static io.splice.connectors.testing.TestData.DAY_MS;
import static io.splice.connectors.testing.TestData.TOPIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Row deletions in the online store (issue 12, item 4): the stitched topic is keyed by row, the online store by
 * record identifier (the card), and holds the card's newest row. A row's tombstone may only delete the card's
 * record when that record holds the row, with the row's ts as EventTime, so that the card's other rows and a
 * re-created row are written again.
 */
class FeatureStoreDeletionTest {
    private static final long H = 3_600_000L;
    private FeatureStoreEndpoint endpoint;
    private final List<FeatureStoreSinkTask> tasks = new ArrayList<>();

    @BeforeEach
    void start() {
        endpoint = FeatureStoreEndpoint.start();
        endpoint.createFeatureGroup(FeatureStoreSinkTaskTest.paymentsGroup());
        endpoint.createFeatureGroup(FeatureGroupSpec.of("cards_v1", "card_id", "EventTime")
                .withFeature("card_id", "String").withFeature("EventTime", "String").withFeature("limit_usd", "Integral"));
    }

    @AfterEach
    void stop() {
        tasks.forEach(FeatureStoreSinkTask::stop);
        endpoint.close();
    }

    private FeatureStoreSinkTask task(FakeContext ctx, Map<String, String> extra) {
        Map<String, String> c = TestData.featureStoreConfig(endpoint.endpoint());
        c.put("featurestore.retry.backoff.initial.ms", "5");
        c.put("featurestore.retry.backoff.max.ms", "100");
        c.putAll(extra);
        FeatureStoreSinkTask t = new FeatureStoreSinkTask();
        t.initialize(ctx);
        t.start(c);
        tasks.add(t);
        return t;
    }

    private static void put(FeatureStoreSinkTask task, SinkRecord... records) {
        task.put(List.of(records));
        assertTrue(task.awaitIdle(10_000));
    }

    /** A payments revision of row {@code row} (card {@code card}) at offset {@code offset} of partition {@code p}. */
    private static SinkRecord row(int p, long offset, String row, String card, long ts, long count) {
        return TestData.sinkRecord(TOPIC, p, offset, ts + 1000, row, TestData.payment(row, card, ts, 1, count, 1.0));
    }

    /** A tombstone, with a Kafka time days after the row's ts (as when a backfill retracts a row later). */
    private static SinkRecord tombstone(String topic, int p, long offset, String row) {
        return TestData.sinkRecord(topic, p, offset, DAY1 + 3 * DAY_MS, row, null);
    }

    private String count(String card) {
        return endpoint.record("payments_v2", card).map(r -> r.get("txn_count_1h")).orElse(null);
    }

    private List<Write> deletes() {
        return endpoint.writes().stream().filter(w -> w.operation() == Write.Operation.DELETE).toList();
    }

    @Test
    void aRowsDeletionDeletesTheCardsRecordOnlyWhenItHoldsThatRowWithTheRowsTs() {
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of());
        // Given card c1 with row r1 at 10:00 (partition 0) and its newer row r2 at 11:00 (partition 1): c1 holds r2
        put(task, row(0, 0, "r1", "c1", DAY1 + 10 * H, 10), row(1, 0, "r2", "c1", DAY1 + 11 * H, 11));
        assertEquals("11", count("c1"));

        // When r1 is deleted, then r2
        put(task, tombstone(TOPIC, 0, 1, "r1"));
        // Then deleting r1 leaves c1 alone: its record holds r2
        assertEquals("11", count("c1"));
        assertTrue(deletes().stream().noneMatch(Write::applied), () -> "no delete applied: " + deletes());
        put(task, tombstone(TOPIC, 1, 1, "r2"));
        // and deleting r2 deletes c1's record, with r2's ts as EventTime (not the tombstone's Kafka time)
        assertEquals(null, count("c1"));
        List<Write> applied = deletes().stream().filter(Write::applied).toList();
        assertEquals(1, applied.size(), () -> "one delete applied: " + deletes());
        assertEquals(Instant.ofEpochMilli(DAY1 + 11 * H), applied.get(0).eventTime());

        // When r2 is re-created (same ts, new values) and c1 gets a newer row later
        put(task, row(1, 2, "r2", "c1", DAY1 + 11 * H, 22));
        // Then the re-created row is written again
        assertEquals("22", count("c1"));
        put(task, row(0, 2, "r3", "c1", DAY1 + 12 * H, 33));
        assertEquals("33", count("c1"));
        assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
    }

    @Test
    void rowsOfOneCardInOnePartitionOnlyTheNewestRowsDeletionTouchesTheRecord() {
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of());
        // Given c3's rows r3 at 10:00 and r4 at 11:00, in one partition, and r5 of c3 at 09:00 arriving last
        put(task, row(0, 0, "r3", "c3", DAY1 + 10 * H, 3), row(0, 1, "r4", "c3", DAY1 + 11 * H, 4),
                row(0, 2, "r5", "c3", DAY1 + 9 * H, 5));
        assertEquals("4", count("c3"));

        // When the older rows are deleted, then the newest
        put(task, tombstone(TOPIC, 0, 3, "r3"), tombstone(TOPIC, 0, 4, "r5"));
        assertEquals("4", count("c3"));
        put(task, tombstone(TOPIC, 0, 5, "r4"));

        // Then only the last deletion deleted c3's record, at r4's ts
        assertEquals(null, count("c3"));
        List<Write> applied = deletes().stream().filter(Write::applied).toList();
        assertEquals(List.of(Instant.ofEpochMilli(DAY1 + 11 * H)), applied.stream().map(Write::eventTime).toList());
        assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
    }

    @Test
    void aRowDeletedThenReCreatedFromItsLogIsOnlineAgain() {
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of());
        // Given row r6 (card c6) from the backfill; the backfill retracts it (tombstone, days later); then its log
        // arrives and the row is stitched again with the same ts
        put(task, row(0, 0, "r6", "c6", DAY1 + 9 * H, 1));
        put(task, tombstone(TOPIC, 0, 1, "r6"));
        assertEquals(null, count("c6"));
        put(task, row(0, 2, "r6", "c6", DAY1 + 9 * H, 2));

        // Then c6 holds the re-created row
        assertEquals("2", count("c6"));

        // and so for a join whose row is its record identifier (cards: row key = card id)
        put(task, TestData.sinkRecord(CARDS_TOPIC, 0, 0, DAY1, "k1", TestData.card("k1", DAY1, 1, 500)));
        put(task, tombstone(CARDS_TOPIC, 0, 1, "k1"));
        assertTrue(endpoint.record("cards_v1", "k1").isEmpty());
        put(task, TestData.sinkRecord(CARDS_TOPIC, 0, 2, DAY1 + 5000, "k1", TestData.card("k1", DAY1, 1, 600)));
        assertEquals("600", endpoint.record("cards_v1", "k1").orElseThrow().get("limit_usd"));
        assertTrue(deletes().stream().allMatch(d -> d.eventTime().toEpochMilli() <= DAY1 + 9 * H),
                () -> "no delete newer than its row: " + deletes());
        assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
    }

    @Test
    void aTombstoneArrivingBeforeItsRowChangesNothingAndTheRowIsWrittenAfterwards() {
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of());
        // Given card c7 holding row r7
        put(task, row(0, 0, "r7", "c7", DAY1 + 10 * H, 7));

        // When tombstones arrive for rows the sink has not written yet (r8 of c7, card k2 of the cards join)
        put(task, tombstone(TOPIC, 1, 0, "r8"), tombstone(CARDS_TOPIC, 0, 0, "k2"));

        // Then nothing is deleted or dead-lettered
        assertEquals("7", count("c7"));
        assertTrue(deletes().stream().noneMatch(Write::applied), () -> "no delete applied: " + deletes());
        assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);

        // and when the rows come, they are written
        put(task, row(1, 1, "r8", "c7", DAY1 + 11 * H, 8),
                TestData.sinkRecord(CARDS_TOPIC, 0, 1, DAY1, "k2", TestData.card("k2", DAY1, 1, 700)));
        assertEquals("8", count("c7"));
        assertEquals("700", endpoint.record("cards_v1", "k2").orElseThrow().get("limit_usd"));
    }

    @Test
    void aRowThatMovesToAnotherCardLeavesTheFormerCardsRecord() {
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of());
        // Given row r9 of card c9, and c10 holding its own row r10
        put(task, row(0, 0, "r9", "c9", DAY1 + 10 * H, 9), row(1, 0, "r10", "c10", DAY1 + 8 * H, 10));

        // When a revision of r9 names card c10 (its keys changed)
        put(task, row(0, 1, "r9", "c10", DAY1 + 10 * H, 99));

        // Then c9 no longer holds r9, and c10 holds it (the newer row)
        assertEquals(null, count("c9"));
        assertEquals("99", count("c10"));
        assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
    }
}
