package io.splice.backfill.run;

import io.splice.backfill.TestData;
import io.splice.backfill.io.DayTable.DayStats;
import io.splice.backfill.io.OutputStore.DayStatus;
import io.splice.backfill.io.OutputStore.Marker;
import io.splice.backfill.run.BackfillPlan.Action;
import io.splice.backfill.run.BackfillPlan.ChunkPlan;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import io.splice.testing.JoinYaml;
import io.splice.testing.Joins;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The backfill's plan, built from a description of what exists on disk: no Spark, no files. */
class BackfillPlanTest {
    static final JoinDefinition JOIN = DefinitionsLoader.parse(TestData.JOINS, "joins.yaml", Topics.defaults())
            .join("payments", "v2").orElseThrow();
    static final Map<String, String> HASHES = Map.of(
            "card_txn", SemanticHasher.hashes(JOIN).get("card_txn"),
            "merchant_txn", SemanticHasher.hashes(JOIN).get("merchant_txn"));
    static final String TOPIC = "splice.backfill.payments.v2";
    static final LocalDate OCT1 = LocalDate.parse("2025-10-01");

    /** What exists: input tables by root (their day partitions) and output days (markers, bare directories). */
    static final class Disk implements DiskState {
        final Map<String, SortedSet<LocalDate>> tables = new HashMap<>();
        final Map<LocalDate, Marker> markers = new HashMap<>();
        final Set<LocalDate> dirs = new HashSet<>();

        /** The left rows and the transactions under {@code data/}, with every day from {@code from} to {@code to}. */
        static Disk inputs(String from, String to) {
            return new Disk().table("data/payments_rows", from, to).table("data/transactions", from, to);
        }

        Disk table(String root, String from, String to) {
            SortedSet<LocalDate> days = tables.computeIfAbsent(root, k -> new TreeSet<>());
            for (LocalDate d = LocalDate.parse(from); !d.isAfter(LocalDate.parse(to)); d = d.plusDays(1)) {
                days.add(d);
            }
            return this;
        }

        Disk without(String root, String from, String to) {
            for (LocalDate d = LocalDate.parse(from); !d.isAfter(LocalDate.parse(to)); d = d.plusDays(1)) {
                tables.get(root).remove(d);
            }
            return this;
        }

        Disk marker(String day, Map<String, String> hashes, boolean onlyUncovered, List<String> publishedTo) {
            LocalDate d = LocalDate.parse(day);
            dirs.add(d);
            markers.put(d, new Marker(JOIN.id(), hashes, 15, day, onlyUncovered, JOIN.keys(), List.of(), publishedTo, "t"));
            return this;
        }

        /** Days computed by a full run with the current definition (not published). */
        Disk complete(String... days) {
            for (String d : days) {
                marker(d, HASHES, false, List.of());
            }
            return this;
        }

        /** A day directory without marker: a run died between the swap and the marker. */
        Disk interrupted(String day) {
            dirs.add(LocalDate.parse(day));
            return this;
        }

        @Override
        public String outputDir() {
            return "out/payments_v2";
        }

        @Override
        public Optional<Marker> marker(LocalDate day) {
            return Optional.ofNullable(markers.get(day));
        }

        @Override
        public boolean outputDayExists(LocalDate day) {
            return dirs.contains(day);
        }

        @Override
        public SortedSet<LocalDate> inputDays(String root) {
            return tables.getOrDefault(root, new TreeSet<>());
        }

        @Override
        public String inputFormat(String root, String override) {
            return "auto".equals(override) ? "json" : override;
        }

        @Override
        public DayStats inputStats(String root, LocalDate day, String format) {
            return new DayStats(day, 1, 100, 10L);
        }
    }

    static BackfillPlan.Builder plan(String start, String end, int chunkDays) {
        return BackfillPlan.builder(JOIN, LocalDate.parse(start), LocalDate.parse(end)).chunkSizeDays(chunkDays);
    }

    static List<Action> actions(BackfillPlan p) {
        return p.chunks().stream().map(ChunkPlan::action).toList();
    }

    static List<String> described(BackfillPlan p) {
        return p.chunks().stream().map(ChunkPlan::describe).toList();
    }

    @Test
    @DisplayName("nothing written yet: every chunk is computed; inputs need the range plus each part's lookback")
    void freshOutputComputesEveryChunk() {
        BackfillPlan p = plan("2025-10-01", "2025-10-04", 2).build(Disk.inputs("2025-09-01", "2025-10-04"));

        assertEquals(List.of(), p.problems());
        assertEquals(List.of(Action.COMPUTE, Action.COMPUTE), actions(p));
        assertEquals(List.of("compute", "compute"), described(p));
        assertEquals(List.of(OCT1, OCT1.plusDays(1)), p.chunks().get(0).chunk().days());
        assertEquals(Set.of(DayStatus.ABSENT), p.chunks().get(0).reasons());
        assertFalse(p.chunks().get(0).publish());
        assertEquals(2, p.chunksToRun());
        assertEquals(HASHES, p.partHashes());
        assertEquals(List.of("card_txn", "merchant_txn"), p.parts().stream().map(x -> x.name()).toList());
        assertEquals(List.of("risk_ext"), p.externalParts());
        // left rows: the range; card_txn: 7 days of lookback; merchant_txn (unbounded): every day found before
        assertEquals(4, p.leftRows().needed().size());
        assertEquals("data/payments_rows", p.leftRows().root());
        assertEquals(LocalDate.parse("2025-09-24"), p.partInputs().get("card_txn").needed().get(0));
        assertEquals(11, p.partInputs().get("card_txn").found());
        assertEquals(LocalDate.parse("2025-09-01"), p.partInputs().get("merchant_txn").needed().get(0));
        assertEquals("data/transactions", p.partInputs().get("merchant_txn").root());
        assertNull(p.leftRows().estimate(), "estimates only in a dry run");
        List<String> lines = p.lines();
        assertTrue(lines.get(0).startsWith("Backfill payments.v2 → out/payments_v2, 2025-10-01..2025-10-04 (4 days) in 2 chunks of up to 2 days, engine sweep"), lines.get(0));
        assertTrue(lines.contains("  chunk 1/2 2025-10-01..2025-10-02: compute → out/payments_v2/ds=2025-10-01 … ds=2025-10-02"), lines.toString());
        assertTrue(lines.contains("  card_txn (transactions, lookback 7d): data/transactions [json] 2025-09-24..2025-10-04: 11 of 11 day partitions found"), lines.toString());
        assertTrue(lines.contains("  merchant_txn (transactions, lookback unbounded): data/transactions [json] 2025-09-01..2025-10-04: 34 of 34 day partitions found"), lines.toString());
    }

    @Test
    @DisplayName("a chunk whose days all have a marker with the current part hashes is skipped; one day short is computed")
    void completeChunkIsSkipped() {
        Disk disk = Disk.inputs("2025-09-01", "2025-10-04").complete("2025-10-01", "2025-10-02", "2025-10-03");

        BackfillPlan p = plan("2025-10-01", "2025-10-04", 2).build(disk);

        assertEquals(List.of(Action.SKIP, Action.COMPUTE), actions(p));
        assertEquals(List.of("complete, skip", "compute"), described(p));
        assertEquals(Set.of(), p.chunks().get(0).reasons());
        assertEquals(1, p.chunksToRun());
    }

    @Test
    @DisplayName("an interrupted, stale or --only-uncovered day makes its chunk recompute, with the reason")
    void incompleteDaysAreRecomputedWithTheirReason() {
        Disk disk = Disk.inputs("2025-09-01", "2025-10-04")
                .interrupted("2025-10-01")
                .marker("2025-10-02", Map.of("card_txn", "old", "merchant_txn", HASHES.get("merchant_txn")), false, List.of())
                .marker("2025-10-03", HASHES, true, List.of())
                .complete("2025-10-04");

        BackfillPlan full = plan("2025-10-01", "2025-10-04", 1).build(disk);
        BackfillPlan holes = plan("2025-10-01", "2025-10-04", 1).onlyUncovered(true, "s3a://b/stitched").build(disk);
        BackfillPlan twoDays = plan("2025-10-01", "2025-10-02", 2).build(disk);

        assertEquals(List.of(Action.COMPUTE, Action.COMPUTE, Action.COMPUTE, Action.SKIP), actions(full));
        assertEquals(List.of("recompute (interrupted run)", "recompute (definition changed since)",
                "recompute (was computed --only-uncovered)", "complete, skip"), described(full));
        assertEquals(List.of(DayStatus.INCOMPLETE, DayStatus.STALE, DayStatus.PARTIAL, DayStatus.COMPLETE),
                full.chunks().stream().map(c -> c.days().values().iterator().next()).toList());
        assertEquals(Action.SKIP, holes.chunks().get(2).action(), "a day computed --only-uncovered is complete for an --only-uncovered run");
        assertEquals(List.of("recompute (interrupted run, definition changed since)"), described(twoDays));
        assertTrue(holes.lines().contains("  only uncovered rows: coverage from the stitched output at s3a://b/stitched"), holes.lines().toString());
    }

    @Test
    @DisplayName("--overwrite makes a chunk with output overwrite; a chunk without any is computed")
    void overwriteReplacesExistingOutput() {
        Disk disk = Disk.inputs("2025-09-01", "2025-10-04").complete("2025-10-01", "2025-10-02");

        BackfillPlan p = plan("2025-10-01", "2025-10-04", 2).overwrite(true).build(disk);

        assertEquals(List.of(Action.OVERWRITE, Action.COMPUTE), actions(p));
        assertEquals(List.of("recompute (--overwrite)", "compute"), described(p));
        assertEquals(2, p.chunksToRun());
    }

    @Test
    @DisplayName("missing input partitions of every input are listed at once, with every other problem")
    void everyProblemIsListedAtOnce() {
        // Given no left rows for 2025-10-03.., no transactions before 2025-10-01 (card_txn's 7-day lookback)
        Disk disk = Disk.inputs("2025-10-01", "2025-10-04").without("data/payments_rows", "2025-10-03", "2025-10-04");

        // When planned with a publish target that lacks settings, --only-uncovered without a stitched path, a bad engine
        BackfillPlan p = plan("2025-10-01", "2025-10-04", 2)
                .publish("splice", null, null, "--publish needs --bootstrap-servers and --schema-registry")
                .onlyUncovered(true, null).consistencySample(1.5).engine("fast").build(disk);

        // Then
        assertEquals(List.of(
                "--publish needs --bootstrap-servers and --schema-registry",
                "--only-uncovered needs --stitched PATH (or offline.s3_prefix in the join)",
                "--consistency-sample 1.5: a share of rows in [0, 1] (e.g. 0.01)",
                "unknown --engine 'fast' (expected sweep or range)",
                "left rows (data/payments_rows) is missing input partitions for 2025-10-03..2025-10-04",
                "part card_txn (data/transactions) is missing input partitions for 2025-09-24..2025-09-30"), p.problems());
        assertEquals("error: missing input partitions (pass --allow-missing to run without them)",
                p.problemLines().get(p.problemLines().size() - 1));
        assertTrue(p.lines().contains("  left rows: data/payments_rows [json] 2025-10-01..2025-10-04: 2 of 4 day partitions found; missing 2025-10-03..2025-10-04"),
                p.lines().toString());

        // And with --allow-missing the missing partitions are warnings (so is a consistency sample without --only-uncovered)
        BackfillPlan allowed = plan("2025-10-01", "2025-10-04", 2).allowMissing(true).consistencySample(0.1).build(disk);
        assertEquals(List.of(), allowed.problems());
        assertEquals(0.0, allowed.consistencySample());
        assertEquals(List.of("warning: --consistency-sample is read only with --only-uncovered (without it every row is computed"
                        + " and, with --publish, compared by the app); ignored",
                "warning: left rows (data/payments_rows) is missing input partitions for 2025-10-03..2025-10-04",
                "warning: part card_txn (data/transactions) is missing input partitions for 2025-09-24..2025-09-30"), allowed.warningLines());
    }

    @Test
    @DisplayName("a backwards range and a chunk size below 1 are both reported")
    void rangeProblemsAreBothListed() {
        BackfillPlan p = plan("2025-10-02", "2025-10-01", 0).build(Disk.inputs("2025-09-01", "2025-10-04"));

        assertEquals(List.of("--end-date 2025-10-01 is before --start-date 2025-10-02", "--chunk-size-days must be at least 1"),
                p.problems());
        assertEquals(List.of(), p.chunks());
        assertEquals(List.of(), p.lines());
    }

    @Test
    @DisplayName("--publish publishes computed chunks and makes a complete chunk not yet on the topic publish its output")
    void publishAddsPublish() {
        Disk disk = Disk.inputs("2025-09-01", "2025-10-06")
                .complete("2025-10-01", "2025-10-02")                                   // complete, never published
                .marker("2025-10-03", HASHES, false, List.of(TOPIC))                   // complete and published
                .marker("2025-10-04", HASHES, false, List.of(TOPIC));

        BackfillPlan p = plan("2025-10-01", "2025-10-06", 2).publish("splice", "b:9092", "http://r:8081", null).build(disk);
        BackfillPlan without = plan("2025-10-01", "2025-10-06", 2).build(disk);

        assertEquals(List.of(Action.PUBLISH, Action.SKIP, Action.COMPUTE), actions(p));
        assertEquals(List.of(true, false, true), p.chunks().stream().map(ChunkPlan::publish).toList());
        assertEquals(List.of("publish existing output", "complete, skip", "compute + publish"), described(p));
        assertEquals(new BackfillPlan.Publish(TOPIC, "b:9092", "http://r:8081"), p.publish());
        assertTrue(p.lines().contains("  publish: " + TOPIC + " (compacted, created if missing) via b:9092, schema registry http://r:8081"),
                p.lines().toString());
        assertEquals(List.of(Action.SKIP, Action.SKIP, Action.COMPUTE), actions(without));
        assertEquals(List.of(false, false, false), without.chunks().stream().map(ChunkPlan::publish).toList());
        assertNull(without.publish());
    }

    @Test
    @DisplayName("--input PART=PATH wins over SOURCE=PATH over <input-root>/<source>; a bare path sets the root; unknown names warn")
    void inputsResolveByPartThenSourceThenRoot() {
        Disk disk = new Disk().table("/in/payments_rows", "2025-09-01", "2025-10-01").table("/cards", "2025-09-01", "2025-10-01")
                .table("/tx", "2025-09-01", "2025-10-01");

        BackfillPlan p = plan("2025-10-01", "2025-10-01", 1)
                .inputs(List.of("/in", "transactions=/tx", "card_txn=/cards", "txns=/typo")).build(disk);
        BackfillPlan left = plan("2025-10-01", "2025-10-01", 1).left("/elsewhere/rows").build(disk);

        assertEquals("/in/payments_rows", p.leftRows().root());
        assertEquals("/cards", p.partInputs().get("card_txn").root());
        assertEquals("/tx", p.partInputs().get("merchant_txn").root());
        assertEquals(List.of(), p.problems());
        assertEquals(1, p.warnings().size());
        assertTrue(p.warnings().get(0).startsWith("--input txns=…: payments.v2 computes no part or source named txns"), p.warnings().get(0));
        assertEquals("/elsewhere/rows", left.leftRows().root());
        assertEquals("data/transactions", left.partInputs().get("card_txn").root());
    }

    @Test
    @DisplayName("a dry run estimates rows and bytes of the days found")
    void dryRunEstimates() {
        BackfillPlan p = plan("2025-10-01", "2025-10-04", 4).dryRun(true).build(Disk.inputs("2025-09-01", "2025-10-04"));

        assertEquals(new BackfillPlan.Estimate(40L, 400), p.leftRows().estimate());
        assertTrue(p.lines().get(0).endsWith("(dry run)"), p.lines().get(0));
        assertTrue(p.lines().contains("  left rows: data/payments_rows [json] 2025-10-01..2025-10-04: 4 of 4 day partitions found, ~40 rows, 400 B"),
                p.lines().toString());
    }

    @Test
    @DisplayName("a join with only external parts has nothing to do")
    void onlyExternalPartsIsNothingToDo() {
        String yaml = JoinYaml.join("scores", "v1").rowIds("request_id").keys("card_id").external("risk_ext", Joins.RISK_SCORE).yaml();
        JoinDefinition ext = DefinitionsLoader.parse(yaml, "joins.yaml", Topics.defaults()).join("scores", "v1").orElseThrow();

        BackfillPlan p = BackfillPlan.builder(ext, OCT1, OCT1).build(new Disk());

        assertEquals(Optional.of("scores.v1 has only external parts (risk_ext): they are never backfilled, nothing to do"), p.nothingToDo());
        assertEquals(List.of(), p.chunks());
        assertEquals(List.of(), p.problems());
    }
}
