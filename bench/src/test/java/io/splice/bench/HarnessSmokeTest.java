package io.splice.bench;

import io.splice.avro.FetchLog;
import io.splice.core.merge.Emission;
import io.splice.core.merge.JoinPlan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A few-millisecond check of the harness's pieces (no broker, no benchmark run). */
class HarnessSmokeTest {

    @Test
    void generatedInputCarriesTheCurrentHashesAndTheAdvertisedMix() {
        BenchData d = new BenchData("t", 10);
        JoinPlan plan = JoinPlan.of(d.join);
        FetchLog full = d.log(3, BenchData.BASE_TS);
        assertEquals(plan.partHashes(), full.getPartHashes(), "a log of a row without backfill carries both parts' hashes");
        assertEquals(Set.of("txn_count_1h", "txn_amount_24h", "risk_score"), full.getValues().keySet());
        FetchLog partial = d.log(0, BenchData.BASE_TS);
        assertEquals(Set.of("risk_score"), partial.getValues().keySet(), "rows with a backfill log only the external part");
        assertEquals(plan.partHashes().get("card_txn"), d.backfill(0).getPartHashes().get("card_txn"));
        assertNull(d.bootstrap(1).getPartHashes(), "the bootstrap is a plain table");
        assertEquals("c3", d.logKey(3));
        assertEquals("r3", new BenchData("t", 10, true).logKey(3));

        long backfill = 0, bootstrap = 0;
        for (long i = 0; i < 1234; i++) {
            backfill += BenchData.hasBackfill(i) ? 1 : 0;
            bootstrap += BenchData.hasBootstrap(i) ? 1 : 0;
        }
        assertEquals(backfill + bootstrap, BenchData.sideRecords(1234));
        assertEquals(248, backfill);
        assertEquals(124, bootstrap);
        assertEquals(42, BenchData.rowIndex("r42"));
        assertEquals(-1, BenchData.rowIndex("c42"));
        assertEquals(List.of("t.fetch-log", "t.fetch-log.replay", "t.backfill.bench.v1", "t.bootstrap.labels"), d.inputTopics());
    }

    @Test
    void mergeBenchmarkStateEmitsOnChangeAndSuppressesRepeats() {
        MergeBench b = new MergeBench();
        b.features = 10;
        b.setup();
        assertNotNull(b.merge());
        assertEquals(10, b.merge().values().size());
        assertInstanceOf(Emission.Upsert.class, b.applyChanged());
        assertInstanceOf(Emission.Upsert.class, b.applyChanged());
        assertSame(Emission.UNCHANGED, b.applyUnchanged());
        assertEquals(10, b.rowStateSerde().lastValues().size());
        assertTrue(b.merge().sources().containsValue("backfill"));
        assertTrue(b.merge().sources().containsValue("bootstrap:" + MergeBench.BOOTSTRAP_TOPIC));
    }

    @Test
    void optionsParse() {
        Args a = new Args(new String[]{"--logs", "250k", "--threads=1,2", "--profile"}, Set.of("logs", "threads"), Set.of("profile"));
        assertEquals(250_000, a.longValue("logs", 0));
        assertEquals(List.of(1, 2), a.ints("threads", "1"));
        assertTrue(a.flag("profile"));
        assertEquals(2_000_000, Args.parseLong("2M"));
        assertThrows(IllegalArgumentException.class, () -> new Args(new String[]{"--nope"}, Set.of(), Set.of()));
    }
}
