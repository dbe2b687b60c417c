package io.splice.connectors.it;

import io.splice.connectors.featurestore.FeatureStoreSinkTask;
import io.splice.connectors.testing.FakeContext;
import io.splice.connectors.testing.TestData;
import io.splice.local.EmbeddedKafkaBroker;
import io.splice.local.featurestore.FeatureGroupSpec;
import io.splice.local.featurestore.FeatureStoreEndpoint;
import io.splice.local.featurestore.Write;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.splice.connectors.testing.TestData.DAY1;
import static io.splice.connectors.testing.TestData.DAY_MS;
import static io.splice.connectors.testing.TestData.TOPIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The online sink's row index (row key to record identifier and ts, for tombstones) survives a task restart
 * through its compacted topic, and a redelivered tombstone does not delete a row re-created after it.
 */
class FeatureStoreRowIndexIT {
    private static final long H = 3_600_000L;
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static EmbeddedKafkaBroker kafka;
    private static FeatureStoreEndpoint endpoint;

    @BeforeAll
    static void startStack() {
        kafka = new EmbeddedKafkaBroker().start();
        endpoint = FeatureStoreEndpoint.start();
        endpoint.createFeatureGroup(FeatureGroupSpec.of("payments_v2", "card_id", "EventTime"));
    }

    @AfterAll
    static void stopStack() {
        if (endpoint != null) {
            endpoint.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static FeatureStoreSinkTask task(FakeContext ctx) {
        Map<String, String> c = TestData.featureStoreConfig(endpoint.endpoint());
        c.put("featurestore.row.index.bootstrap.servers", kafka.bootstrapServers());
        c.put("featurestore.row.index.topic", "splice.featurestore.rows.it");
        c.put("featurestore.row.index.partitions", "2");
        FeatureStoreSinkTask t = new FeatureStoreSinkTask();
        t.initialize(ctx);
        t.start(c);
        t.open(List.of(P0));
        return t;
    }

    /** What the worker does on a commit, then on a stop (commit, close, stop). */
    private static long commitAndStop(FeatureStoreSinkTask t, long next) {
        Map<TopicPartition, OffsetAndMetadata> committed = t.preCommit(Map.of(P0, new OffsetAndMetadata(next)));
        t.close(List.of(P0));
        t.stop();
        return committed.get(P0).offset();
    }

    private static void put(FeatureStoreSinkTask t, SinkRecord... records) {
        t.put(List.of(records));
        assertTrue(t.awaitIdle(10_000));
    }

    private static String count(String card) {
        return endpoint.record("payments_v2", card).map(r -> r.get("txn_count_1h")).orElse(null);
    }

    private static long appliedDeletes() {
        return endpoint.writes().stream().filter(w -> w.operation() == Write.Operation.DELETE && w.applied()).count();
    }

    @Test
    void tombstonesAfterARestartFindTheirRowAndARedeliveredTombstoneSparesTheReCreatedRow() {
        // Given a task that wrote row r1 of card c1 (10:00) and row r2 of card c2, then was stopped
        FeatureStoreSinkTask first = task(new FakeContext(true));
        put(first, TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r1", TestData.payment("r1", "c1", DAY1 + 10 * H, 1, 1, 1.0)),
                TestData.sinkRecord(TOPIC, 0, 1, DAY1, "r2", TestData.payment("r2", "c2", DAY1 + 10 * H, 1, 2, 1.0)));
        assertEquals(2L, commitAndStop(first, 2));

        // When a new task (no memory of its own) reads r1's tombstone, then r1 re-created
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask second = task(ctx);
        put(second, TestData.sinkRecord(TOPIC, 0, 2, DAY1 + 3 * DAY_MS, "r1", null));

        // Then c1's record is deleted, at r1's ts
        assertEquals(null, count("c1"));
        assertEquals(1, appliedDeletes());
        assertEquals(Instant.ofEpochMilli(DAY1 + 10 * H), endpoint.writes().stream()
                .filter(w -> w.operation() == Write.Operation.DELETE).findFirst().orElseThrow().eventTime());
        put(second, TestData.sinkRecord(TOPIC, 0, 3, DAY1 + 3 * DAY_MS, "r1", TestData.payment("r1", "c1", DAY1 + 10 * H, 2, 11, 1.0)));
        assertEquals("11", count("c1"));

        // Given the second task's index was written but its offsets were not committed (the worker died in between)
        second.preCommit(Map.of(P0, new OffsetAndMetadata(4)));
        second.stop();

        // When a third task gets the tombstone and the re-creation again
        FakeContext third = new FakeContext(true);
        FeatureStoreSinkTask t3 = task(third);
        put(t3, TestData.sinkRecord(TOPIC, 0, 2, DAY1 + 3 * DAY_MS, "r1", null),
                TestData.sinkRecord(TOPIC, 0, 3, DAY1 + 3 * DAY_MS, "r1", TestData.payment("r1", "c1", DAY1 + 10 * H, 2, 11, 1.0)));

        // Then the redelivered tombstone did not delete the re-created row, and c2 was never touched
        assertEquals(1, appliedDeletes());
        assertEquals(2L, t3.stats().alreadyApplied.get());
        assertEquals("11", count("c1"));
        assertEquals("2", count("c2"));
        assertTrue(ctx.deadLetters.isEmpty() && third.deadLetters.isEmpty(), () -> "nothing dead-lettered: "
                + ctx.deadLetters + third.deadLetters);
        t3.stop();
    }
}
