package io.splice.bench;

import io.splice.core.api.Definitions;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.PartDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.merge.Emission;
import io.splice.core.merge.JoinPlan;
import io.splice.core.merge.MergeRules;
import io.splice.core.merge.MergedRow;
import io.splice.core.merge.RowState;
import io.splice.core.merge.SourceKind;
import io.splice.core.merge.SourceRecord;
import io.splice.streams.internal.PlanTable;
import io.splice.streams.internal.RowStateSerde;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 7 (4): the merge rules of {@code core} on one row with 3 sources (a bootstrap part, the log and the backfill)
 * and 10 / 50 / 200 features, half in a computed part and half in an external part.
 *
 * <ul>
 *   <li>bootstrap (a plain table, no hashes): the first quarter of the computed features, every third one null;</li>
 *   <li>log: every external feature and the first half of the computed ones — so the computed part is not covered;</li>
 *   <li>backfill: every computed feature (fills the rest).</li>
 * </ul>
 * {@code merge}: one merge of the row. {@code applyChanged}: a new log record that changes values (merge, compare,
 * emit). {@code applyUnchanged}: the same log again (merge, compare, suppress). {@code rowStateSerde}: the row's
 * state-store encoding, write + read, as each store access costs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "-XX:+UseG1GC"})
public class MergeBench {
    static final String BOOTSTRAP_TOPIC = "bench.bootstrap.labels";

    @Param({"10", "50", "200"})
    public int features;

    private JoinPlan plan;
    private SourceRecord logA;
    private SourceRecord logB;
    private RowState changing;
    private RowState steady;
    private boolean flip;
    private PlanTable table;
    private PlanTable.Dictionary tables;
    private int tableId;

    @Setup(Level.Trial)
    public void setup() {
        plan = plan(features);
        Map<String, String> hashes = plan.partHashes();
        PartDefinition computed = plan.join().parts().get(0);
        PartDefinition external = plan.join().parts().get(1);
        List<FeatureDefinition> cf = computed.features();
        List<FeatureDefinition> ef = external.features();

        Map<String, Object> boot = new HashMap<>();
        for (int i = 0; i < Math.max(1, cf.size() / 4); i++) {
            boot.put(cf.get(i).name(), i % 3 == 2 ? null : (long) i);
        }
        Map<String, Object> back = new HashMap<>();
        for (int i = 0; i < cf.size(); i++) {
            back.put(cf.get(i).name(), (long) (1000 + i));
        }
        SourceRecord bootstrap = new SourceRecord(BenchData.BASE_TS, Map.of("card_id", "c1"), boot, null);
        SourceRecord backfill = new SourceRecord(BenchData.BASE_TS, Map.of("card_id", "c1"), back,
                Map.of(computed.name(), hashes.get(computed.name())));
        logA = log(cf, ef, hashes, computed, external, 0);
        logB = log(cf, ef, hashes, computed, external, 1);

        changing = state(bootstrap, backfill, logA);
        steady = state(bootstrap, backfill, logA);
        table = PlanTable.of(plan);
        tables = new PlanTable.Dictionary();
        tableId = tables.add(table);
        if (!(MergeRules.apply(plan, state(bootstrap, backfill, logA), SourceKind.LOG, "log", logB) instanceof Emission.Upsert)) {
            throw new IllegalStateException("a different log must emit");
        }
        if (MergeRules.apply(plan, state(bootstrap, backfill, logA), SourceKind.LOG, "log", logA) != Emission.UNCHANGED) {
            throw new IllegalStateException("the same log must not emit");
        }
    }

    private RowState state(SourceRecord bootstrap, SourceRecord backfill, SourceRecord log) {
        RowState s = new RowState();
        MergeRules.apply(plan, s, SourceKind.BOOTSTRAP, BOOTSTRAP_TOPIC, bootstrap);
        MergeRules.apply(plan, s, SourceKind.BACKFILL, "backfill", backfill);
        MergeRules.apply(plan, s, SourceKind.LOG, "log", log);
        return s;
    }

    private static SourceRecord log(List<FeatureDefinition> cf, List<FeatureDefinition> ef, Map<String, String> hashes,
                                    PartDefinition computed, PartDefinition external, int salt) {
        Map<String, Object> v = new HashMap<>();
        for (int i = 0; i < cf.size() / 2; i++) {
            v.put(cf.get(i).name(), (long) (i + salt));
        }
        for (int i = 0; i < ef.size(); i++) {
            v.put(ef.get(i).name(), i * 0.5 + salt);
        }
        return new SourceRecord(BenchData.BASE_TS, Map.of("card_id", "c1"), v,
                Map.of(computed.name(), hashes.get(computed.name()), external.name(), hashes.get(external.name())));
    }

    /** A join with {@code n} features: ceil(n/2) computed (count over 1h) and the rest external. */
    static JoinPlan plan(int n) {
        StringBuilder y = new StringBuilder("""
                joins:
                  - name: merge
                    version: v1
                    row_ids: [request_id]
                    keys: [card_id]
                    bootstrap_from_log: true
                    parts:
                      - name: computed
                        source: transactions
                        key: card_id
                        features:
                """);
        int computed = (n + 1) / 2;
        for (int i = 0; i < computed; i++) {
            y.append("          - {name: c").append(i).append(", type: long, agg: count, window: 1h}\n");
        }
        y.append("      - name: ext\n        external: true\n        features:\n");
        for (int i = computed; i < n; i++) {
            y.append("          - {name: e").append(i).append(", type: double}\n");
        }
        y.append("    bootstrap_parts:\n      - topic: ").append(BOOTSTRAP_TOPIC).append("\n");
        Definitions d = DefinitionsLoader.parse(y.toString(), "merge-bench.yaml", Topics.defaults());
        return JoinPlan.of(d.joins().get(0));
    }

    @Benchmark
    public MergedRow merge() {
        return MergeRules.merge(plan, steady);
    }

    @Benchmark
    public Emission applyChanged() {
        flip = !flip;
        return MergeRules.apply(plan, changing, SourceKind.LOG, "log", flip ? logB : logA);
    }

    @Benchmark
    public Emission applyUnchanged() {
        return MergeRules.apply(plan, steady, SourceKind.LOG, "log", logA);
    }

    @Benchmark
    public RowState rowStateSerde() {
        return RowStateSerde.read(RowStateSerde.write(steady, table, tableId), tables);
    }
}
