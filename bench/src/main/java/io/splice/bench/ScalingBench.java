package io.splice.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Issue 7 (3): how the Splice app's cost grows with volume — throughput at 250k, 500k, 1M and 2M logs (each size on
 * fresh topics) — and the state it keeps: the RocksDB state directory after the run and the changelog topic on the
 * broker, per million rows.
 *
 * <pre>bench/scaling/run.sh [--sizes 250k,500k,1M,2M] [--threads 1] [--partitions 6] [--budget-s 540]</pre>
 * A size whose estimated time (from the slowest rate so far) would exceed the budget is skipped and named.
 */
public final class ScalingBench {
    private ScalingBench() {
    }

    @Command(name = "bench/scaling/run.sh", sortOptions = false,
            description = "Scaling: Splice throughput and state by volume, each size on fresh topics.")
    static final class Opts {
        @Option(names = "--sizes", split = ",", defaultValue = "250k,500k,1M,2M", description = "Logs per run (default ${DEFAULT-VALUE}).")
        List<Long> sizes;
        @Option(names = "--threads", defaultValue = "1", description = "Stream threads (default ${DEFAULT-VALUE}).")
        int threads;
        @Option(names = "--partitions", defaultValue = "6", description = "Partitions per topic (default ${DEFAULT-VALUE}).")
        int partitions;
        @Option(names = "--cards", defaultValue = "100000", description = "Distinct cards (log keys) (default ${DEFAULT-VALUE}).")
        int cards;
        @Option(names = "--app-heap", defaultValue = "1g", description = "-Xmx of the app's JVM (default ${DEFAULT-VALUE}).")
        String appHeap;
        @Option(names = "--timeout-s", defaultValue = "600", description = "Bound of each app run (default ${DEFAULT-VALUE}).")
        long timeoutS;
        @Option(names = "--name", defaultValue = "scaling", description = "Results file bench/results/<name>.md (default ${DEFAULT-VALUE}).")
        String name;
        @Option(names = "--features", defaultValue = "3", description = "Features of the join; more than 3 makes a wide join (default ${DEFAULT-VALUE}).")
        int features;
        @Option(names = "--parts", defaultValue = "2", description = "Parts of the join, the last one external (default ${DEFAULT-VALUE}).")
        int parts;
        @Option(names = "--budget-s", defaultValue = "540", description = "Time budget; sizes that would not fit are skipped (default ${DEFAULT-VALUE}).")
        long budgetS;
        @Option(names = "--help", usageHelp = true, description = "Print this help.")
        boolean help;
    }

    public static void main(String[] argv) throws Exception {
        Opts a = Cli.parseOrExit(new Opts(), argv);
        Report.start();
        long budgetS = a.budgetS;
        List<Long> sizes = a.sizes;
        int threads = a.threads;
        int partitions = a.partitions;
        int cards = a.cards;
        long t0 = System.nanoTime();
        List<List<String>> rows = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        long lastN = 0;
        double lastS = 0;
        double slope = 0;
        try (Stack stack = Stack.start()) {
            for (long n : sizes) {
                double elapsed = (System.nanoTime() - t0) / 1e9;
                // estimate: the last size's time plus the marginal cost per log (from the last two sizes) for the extra logs
                double estimate = lastN == 0 ? 0 : lastS + Math.max(slope, 0.2 * lastS / lastN) * Math.max(0, n - lastN);
                if (lastN > 0 && elapsed + estimate > budgetS) {
                    notes.add(String.format(Locale.ROOT, "%,d logs skipped: from the sizes measured so far it would need about %.0f s "
                            + "more, beyond the time budget of %d s (--budget-s).", n, estimate, budgetS));
                    Log.info("%s", notes.get(notes.size() - 1));
                    continue;
                }
                long sizeStart = System.nanoTime();
                String prefix = "s" + n;
                String appId = "bench-scaling-" + n;
                BenchData data = new BenchData(prefix, cards, false, a.features, a.parts);
                try {
                    stack.createTopics(data, partitions, List.of());
                    Preloader.Loaded loaded = Preloader.load(data, stack.bootstrapServers(), stack.registryClient, 0, n, true, true);
                    AppRun.Options o = new AppRun.Options();
                    o.app = "splice";
                    o.threads = threads;
                    o.partitions = partitions;
                    o.appId = appId;
                    o.heap = a.appHeap;
                    o.timeoutS = a.timeoutS;
                    AppRun run = AppRun.toCompletion(stack, data, o, loaded.total());
                    long changelog;
                    try (var admin = stack.kafka.admin()) {
                        changelog = OffsetCompletion.topicBytes(admin, t -> t.startsWith(appId + "-") && t.endsWith("-changelog"));
                    }
                    double perMillion = 1_000_000.0 / n;
                    rows.add(List.of(String.format(Locale.ROOT, "%,d", n), Report.num(loaded.total()),
                            Report.num1(run.seconds()) + (run.completed() ? "" : " (timeout)"), Report.num1(run.secondsToRunning()),
                            Report.num(run.recordsPerSecond()), Report.num(run.recordsPerSecondAfterRunning()),
                            Report.num1(run.cpuMicrosPerRecord()), Report.num(run.stitched()), Report.mb(run.peakHeapBytes()),
                            Report.mb(run.peakRssBytes()), Report.mb(run.stateBytes()), Report.mb(run.stateBytes() * perMillion),
                            Report.mb(changelog * perMillion), Report.num((double) run.stateBytes() / n), Report.num((double) changelog / n),
                            String.format(Locale.ROOT, "%.0f / %d", run.tasksCreated(), run.activeTasks()), run.loadAverage()));
                } finally {
                    stack.deleteTopics(prefix + ".", appId + "-");
                }
                double took = (System.nanoTime() - sizeStart) / 1e9;
                if (lastN > 0 && n > lastN) {
                    slope = (took - lastS) / (n - lastN);
                }
                lastN = n;
                lastS = took;
                report(a, threads, partitions, rows, notes, t0, true);
            }
        }
        report(a, threads, partitions, rows, notes, t0, false);
    }

    private static void report(Opts a, int threads, int partitions, List<List<String>> rows, List<String> notes, long t0,
                               boolean partial) {
        Report r = new Report(a.name, "Scaling: Splice throughput and state by volume");
        new BenchData("x", a.cards, false, a.features, a.parts).describe().forEach(d -> r.line("- " + d));
        r.line(String.format(Locale.ROOT, "Each size on fresh topics (%d partitions), logs keyed by card (re-keyed through a repartition "
                        + "topic), 20%% of rows with a backfill record and 10%% with a bootstrap record; one row per log. Splice app with %d "
                        + "stream thread(s), exactly_once_v2, in its own JVM (-Xmx%s); timed from start to the last stitched record "
                        + "committed. State per row = state dir bytes / rows and changelog bytes / rows.", partitions, threads, a.appHeap));
        r.blank();
        r.table(List.of("logs (= rows)", "input records", "seconds", "of which to RUNNING", "records/s", "records/s once RUNNING",
                "CPU µs/record", "stitched records",
                "peak heap MB", "peak RSS MB", "state dir MB", "state dir MB per 1M rows", "changelog MB per 1M rows",
                "state dir B/row", "changelog B/row", "tasks created / active", "load avg 1 min (start → end)"), rows);
        r.line("state dir = the app's RocksDB state directory after a clean close; changelog = the store's changelog topic on the "
                + "broker (before compaction). Both hold one RowState per row (last emitted values and sources, plus the log, "
                + "backfill and bootstrap records).");
        notes.forEach(x -> r.line("- " + x));
        if (partial) {
            r.line("**Partial: the benchmark is still running (or was stopped).**");
        }
        r.line(String.format(Locale.ROOT, "Total wall time of the benchmark: %.0f s.", (System.nanoTime() - t0) / 1e9));
        if (partial) {
            r.save();
        } else {
            r.publish();
        }
    }
}
