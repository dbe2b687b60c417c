package io.splice.streams;

import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;
import io.splice.testing.Joins;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * state_retention_days (DESIGN §6) through the real topology: eviction works in bounded steps (10,000 store entries
 * per punctuation, one punctuation per minute of stream time) and eviction markers expire after a second retention.
 */
class RetentionTest {
    static final String YAML = Joins.payments("v1").stateRetentionDays(1).parts(Joins.RISK_EXT).yaml();
    static final long T0 = 1_759_320_000_000L;
    static final long DAY = Duration.ofDays(1).toMillis();
    static final long MINUTE = Duration.ofMinutes(1).toMillis();
    static final int ROWS = 25_000;
    static final String OUT = "splice.stitched.payments.v1";

    TopologyHarness h;
    String risk;

    @BeforeEach
    void setUp() throws Exception {
        h = new TopologyHarness(YAML);
        risk = h.hash("payments.v1", "risk_ext");
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    void log(String requestId, long ts) {
        FetchLog log = TopologyHarness.logOf("payments", "v1", requestId).setTs(ts).setValues(Map.of("risk", 0.5))
                .setPartHashes(Map.of("risk_ext", risk)).build();
        h.pipe(h.topics.fetchLog(), requestId, log, ts);
    }

    double evicted() {
        return h.counter("splice.rows.evicted", "join", "payments.v1");
    }

    @Test
    void evictionIsIncrementalAndMarkersExpire() {
        // Given 25,000 rows of day 0 and a clock one day and a minute later
        for (int i = 0; i < ROWS; i++) {
            log(String.format("r%05d", i), T0);
        }
        assertEquals(ROWS, h.stitched(OUT).size());
        log("tick-1", T0 + DAY + 2 * MINUTE);

        // Then one punctuation evicted one budget of rows, not the whole store
        assertEquals(10_000, evicted());
        // and the next minutes of stream time evict the rest, step by step
        log("tick-2", T0 + DAY + 3 * MINUTE);
        assertEquals(20_000, evicted());
        log("tick-3", T0 + DAY + 4 * MINUTE);
        assertEquals(ROWS, evicted());
        assertEquals(List.of("tick-1", "tick-2", "tick-3"), h.stitched(OUT).stream().map(kv -> kv.key).toList(),
                "no tombstone for an evicted row");
        // each step is timed: one more minute of stream time, one more timed punctuation
        var eviction = h.timer("splice.eviction.duration", "join", "payments.v1");
        long steps = eviction.count();
        assertTrue(steps >= 3, "three steps evicted rows: " + steps);
        assertTrue(eviction.max(TimeUnit.NANOSECONDS) > 0, "time was recorded");
        log("tick-4", T0 + DAY + 5 * MINUTE);
        assertEquals(steps + 1, eviction.count());
        assertEquals(List.of("tick-4"), h.stitched(OUT).stream().map(kv -> kv.key).toList());

        // A record for an evicted row is a dead letter
        log("r00001", T0);
        List<TestRecord<byte[], byte[]>> dlq = h.dlq();
        assertEquals(1, dlq.size());
        assertTrue(new String(dlq.get(0).headers().lastHeader("splice.error").value(), StandardCharsets.UTF_8).startsWith("row-evicted:"));

        // After a second retention period (and a full pass of steps) the markers are gone: the row starts anew
        for (int step = 0; step < 4; step++) {
            log("tick-late-" + step, T0 + 2 * DAY + (10 + step) * MINUTE);
        }
        log("r00002", T0 + 2 * DAY + 20 * MINUTE);
        List<KeyValue<String, StitchedRecord>> out = h.stitched(OUT);
        KeyValue<String, StitchedRecord> r2 = out.get(out.size() - 1);
        assertEquals("r00002", r2.key);
        assertEquals(1L, r2.value.getRevision());
        assertEquals(0, h.dlq().size());
    }
}
