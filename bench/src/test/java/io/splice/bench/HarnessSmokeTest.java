package io.splice.bench;

import io.splice.avro.FetchLog;
import io.splice.core.merge.Emission;
import io.splice.core.merge.JoinPlan;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

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
    void theWideJoinHasItsFeaturesInItsPartsAndTheSameRowMix() {
        BenchData w = new BenchData("t", 10, false, 100, 5);
        JoinPlan plan = JoinPlan.of(w.join);
        assertEquals(100, plan.featureNames().size());
        assertEquals(5, w.join.parts().size());
        FetchLog full = w.log(3, BenchData.BASE_TS);
        assertEquals(100, full.getValues().size());
        assertEquals(plan.partHashes(), full.getPartHashes());
        FetchLog partial = w.log(0, BenchData.BASE_TS);
        assertEquals(20, partial.getValues().size(), "a row with backfill logs only the external part");
        assertEquals(Set.of("risk_ext"), partial.getPartHashes().keySet());
        assertEquals(80, w.backfill(0).getValues().size());
        assertEquals(4, w.backfill(0).getPartHashes().size());
        assertEquals(Set.of("txn_count_1h"), w.bootstrap(1).getValues().keySet());
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
    void optionsParseWithPicocli() {
        StitchBench.Opts stitch = Cli.parse(new StitchBench.Opts(), "--logs", "250k", "--threads=1,2", "--profile");
        assertEquals(250_000, stitch.logs);
        assertEquals(List.of(1, 2), stitch.threads);
        assertTrue(stitch.profile);
        assertEquals("1g", stitch.appHeap);
        assertEquals("", stitch.streamsConfig);

        StitchBench.Opts defaults = Cli.parse(new StitchBench.Opts());
        assertEquals(1_000_000, defaults.logs);
        assertEquals(List.of(1, 2), defaults.threads);
        assertEquals(540, defaults.timeoutS);

        assertEquals(List.of(250_000L, 500_000L, 1_000_000L, 2_000_000L), Cli.parse(new ScalingBench.Opts()).sizes);
        assertEquals(List.of(1_000L, 3_000_000L), Cli.parse(new ScalingBench.Opts(), "--sizes", "1k,3M").sizes);
        assertEquals(List.of("default"), Cli.parse(new LatencyBench.Opts()).commitIntervals);
        assertEquals(List.of(10, 50, 200), Cli.parse(new MergeBenchMain.Opts()).features);

        // the app process's command line as AppRun builds it (an empty --streams-config included)
        AppMain.Opts app = Cli.parse(new AppMain.Opts(), "--app", "passthrough", "--streams-config", "", "--bootstrap", "h:1",
                "--cards", "1M", "--keyed-by-row-key", "--parent-pid", "42");
        assertEquals("passthrough", app.app);
        assertEquals("", app.streamsConfig);
        assertEquals(1_000_000, app.cards);
        assertTrue(app.keyedByRowKey);
        assertEquals(42L, app.parentPid);
        assertNull(app.appId);

        assertEquals(2_000_000, Cli.parseLong("2M"));
        assertEquals(2_000_000, Cli.parseLong("2_000_000"));
        assertThrows(CommandLine.ParameterException.class, () -> Cli.parse(new StitchBench.Opts(), "--nope"));
        assertThrows(CommandLine.ParameterException.class, () -> Cli.parse(new StitchBench.Opts(), "--logs"));
        assertThrows(CommandLine.ParameterException.class, () -> Cli.parse(new StitchBench.Opts(), "--logs", "many"));
    }
}
