package io.splice.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Issue 7 (1): stitching throughput of the Splice app against a pass-through Kafka Streams app, side by side on one
 * embedded broker and registry, both {@code exactly_once_v2}, with the same serde, input topics and partitions.
 *
 * <pre>bench/stitch/run.sh [--logs 1000000] [--threads 1,2] [--partitions 6] [--app-heap 1g] [--profile]
 *                        [--keyed-by-row-key]</pre>
 */
public final class StitchBench {
    private StitchBench() {
    }

    @Command(name = "bench/stitch/run.sh", sortOptions = false,
            description = "Stitch throughput: the Splice app vs a pass-through Kafka Streams app.")
    static final class Opts {
        @Option(names = "--logs", defaultValue = "1000000", description = "Fetch logs (= rows), e.g. 250k, 1M (default ${DEFAULT-VALUE}).")
        long logs;
        @Option(names = "--threads", split = ",", defaultValue = "1,2", description = "Stream thread counts to run (default ${DEFAULT-VALUE}).")
        List<Integer> threads;
        @Option(names = "--partitions", defaultValue = "6", description = "Partitions per topic (default ${DEFAULT-VALUE}).")
        int partitions;
        @Option(names = "--cards", defaultValue = "100000", description = "Distinct cards (log keys) (default ${DEFAULT-VALUE}).")
        int cards;
        @Option(names = "--app-heap", defaultValue = "1g", description = "-Xmx of each app's JVM (default ${DEFAULT-VALUE}).")
        String appHeap;
        @Option(names = "--timeout-s", defaultValue = "540", description = "Bound of each app run (default ${DEFAULT-VALUE}).")
        long timeoutS;
        @Option(names = "--name", defaultValue = "stitch", description = "Results file bench/results/<name>.md (default ${DEFAULT-VALUE}).")
        String name;
        @Option(names = "--streams-config", defaultValue = "", description = "k=v,k=v: extra Kafka Streams settings of both apps.")
        String streamsConfig;
        @Option(names = "--profile", description = "JFR on the first Splice run; hot spots appended to the report.")
        boolean profile;
        @Option(names = "--keyed-by-row-key", description = "Logs keyed by row key (no repartition topic).")
        boolean keyedByRowKey;
        @Option(names = "--features", defaultValue = "3", description = "Features of the join; more than 3 makes a wide join (default ${DEFAULT-VALUE}).")
        int features;
        @Option(names = "--parts", defaultValue = "2", description = "Parts of the join, the last one external (default ${DEFAULT-VALUE}).")
        int parts;
        @Option(names = "--no-verify", description = "Skip reading the stitched topic back.")
        boolean noVerify;
        @Option(names = "--help", usageHelp = true, description = "Print this help.")
        boolean help;
    }

    public static void main(String[] argv) throws Exception {
        Opts a = Cli.parseOrExit(new Opts(), argv);
        Report.start();
        long n = a.logs;
        List<Integer> threadCounts = a.threads;
        int partitions = a.partitions;
        int cards = a.cards;
        boolean profile = a.profile;
        boolean keyed = a.keyedByRowKey;
        String name = a.name;
        long t0 = System.nanoTime();

        List<AppRun> runs = new ArrayList<>();
        List<String> checks = new ArrayList<>();
        Path jfr = null;
        Preloader.Loaded loaded;
        BenchData data = new BenchData("bench", cards, keyed, a.features, a.parts);
        try (Stack stack = Stack.start()) {
            stack.createTopics(data, partitions, List.of(AppMain.passThroughLogs(data), AppMain.passThroughRows(data)));
            loaded = Preloader.load(data, stack.bootstrapServers(), stack.registryClient, 0, n, true, true);
            for (int t : threadCounts) {
                AppRun.Options pt = new AppRun.Options();
                pt.app = "passthrough";
                pt.threads = t;
                pt.partitions = partitions;
                pt.appId = "bench-passthrough-t" + t;
                pt.heap = a.appHeap;
                pt.timeoutS = a.timeoutS;
                pt.streamsConfig = a.streamsConfig;
                runs.add(AppRun.toCompletion(stack, data, pt, loaded.total()));
                report(a, data, name, n, threadCounts, partitions, keyed, loaded, runs, checks, null, t0, true);

                AppRun.Options sp = new AppRun.Options();
                sp.app = "splice";
                sp.threads = t;
                sp.partitions = partitions;
                sp.appId = "bench-splice-t" + t;
                sp.heap = pt.heap;
                sp.timeoutS = pt.timeoutS;
                sp.keyedByRowKey = keyed;
                sp.streamsConfig = pt.streamsConfig;
                if (profile && jfr == null) {
                    Path dir = Report.resultsDir().resolve("../target/jfr").normalize();
                    Files.createDirectories(dir);
                    jfr = dir.resolve("splice-t" + t + ".jfr");
                    sp.jfr = jfr;
                }
                var before = Verify.ends(stack.bootstrapServers(), data.stitchedTopic());
                AppRun run = AppRun.toCompletion(stack, data, sp, loaded.total());
                runs.add(run);
                if (!a.noVerify) {
                    Verify.Output out = Verify.read(stack.bootstrapServers(), data.stitchedTopic(), before, 120_000);
                    String ok = out.distinctRows() == n && out.records() == (long) run.stitched() ? "ok" : "MISMATCH";
                    checks.add(String.format("splice t=%d: the stitched topic got %,d records (%,d tombstones) for %,d distinct rows "
                            + "of %,d; the app counted %,.0f emissions and %,.0f unchanged merges: %s",
                            t, out.records(), out.tombstones(), out.distinctRows(), n, run.stitched(), run.unchanged(), ok));
                    Log.info("%s", checks.get(checks.size() - 1));
                }
                report(a, data, name, n, threadCounts, partitions, keyed, loaded, runs, checks, null, t0, true);
            }
        }
        report(a, data, name, n, threadCounts, partitions, keyed, loaded, runs, checks, jfr, t0, false);
    }

    private static void report(Opts a, BenchData data, String name, long n, List<Integer> threadCounts, int partitions, boolean keyed,
                               Preloader.Loaded loaded, List<AppRun> runs, List<String> checks, Path jfr, long t0,
                               boolean partial) throws Exception {

        Report r = new Report(name, "Stitch throughput: Splice vs pass-through (exactly_once_v2)");
        r.line(String.format("Input: %,d fetch logs + %,d backfill + %,d bootstrap records = %,d records, %d partitions per topic, "
                        + "logs keyed by %s; preloaded in %.1f s. Each app runs in its own JVM (-Xmx%s) from start until its "
                        + "committed offsets reach the end of every input (and repartition) topic, i.e. until the last output "
                        + "record is visible to read_committed consumers.",
                loaded.logs(), loaded.backfill(), loaded.bootstrap(), loaded.total(), partitions,
                keyed ? "row key (no repartition)" : "card (Splice re-keys through a repartition topic)", loaded.seconds(),
                a.appHeap));
        if (!a.streamsConfig.isBlank()) {
            r.line("Extra Kafka Streams settings (both apps): `" + a.streamsConfig + "`.");
        }
        if (partial) {
            r.line("**Partial: the benchmark is still running (or was stopped).**");
        }
        data.describe().forEach(d -> r.line("- " + d));
        r.blank();
        List<List<String>> rows = new ArrayList<>();
        for (AppRun run : runs) {
            String ratio = "";
            String ratioRunning = "";
            String cpuRatio = "";
            if (run.app().equals("splice")) {
                AppRun base = runs.stream().filter(x -> x.app().equals("passthrough") && x.threads() == run.threads()).findFirst().orElse(null);
                if (base != null) {
                    ratio = Report.num2(run.recordsPerSecond() / base.recordsPerSecond());
                    ratioRunning = Report.num2(run.recordsPerSecondAfterRunning() / base.recordsPerSecondAfterRunning());
                    cpuRatio = Report.num2(base.cpuMicrosPerRecord() / run.cpuMicrosPerRecord());
                }
            }
            rows.add(List.of(run.app().equals("splice") ? "(a) Splice" : "(b) pass-through", Integer.toString(run.threads()),
                    Report.num(run.inputRecords()), Report.num1(run.seconds()) + (run.completed() ? "" : " (timeout)"),
                    Report.num1(run.secondsToRunning()), Report.num(run.recordsPerSecond()), ratio,
                    Report.num(run.recordsPerSecondAfterRunning()), ratioRunning,
                    Report.num1(run.cpuSeconds()), Report.num1(run.cpuMicrosPerRecord()), cpuRatio,
                    Report.mb(run.peakHeapBytes()), Report.mb(run.peakRssBytes()), Report.num1(run.gcSeconds()),
                    run.app().equals("splice") ? Report.mb(run.stateBytes()) : "-",
                    String.format("%.0f / %d", run.tasksCreated(), run.activeTasks()), run.loadAverage()));
        }
        r.table(List.of("app", "stream threads", "input records", "seconds", "of which to RUNNING", "records/s", "ratio a/b",
                "records/s once RUNNING", "ratio a/b once RUNNING", "app CPU s",
                "CPU µs/record", "CPU ratio b/a", "peak heap MB", "peak RSS MB", "GC s", "state MB", "tasks created / active",
                "load avg 1 min (start → end)"), rows);
        r.line("seconds: from the app's start (topic check, group join, restore included) to the last output committed; "
                + "records/s = input records / seconds; once RUNNING: the same, counted from the "
                + "moment the app reached RUNNING (JVM start, topology, topic check and group join excluded); CPU ratio b/a = pass-through CPU per record ÷ Splice CPU per record (the "
                + "throughput ratio one core would give, less sensitive to other load on the machine); peak heap = highest used heap sampled every 10 ms; peak RSS = VmHWM "
                + "(includes RocksDB's native memory); state MB = state directory after close (RocksDB); tasks created / active: "
                + "more creations than active tasks would mean a task was closed and revived during the run (e.g. an "
                + "exactly-once recovery), which costs reprocessing.");
        checks.forEach(c -> r.line("- " + c));
        if (jfr != null) {
            r.blank();
            r.line("### Hot spots (JFR execution samples of the Splice run with " + threadCounts.get(0) + " thread(s))");
            r.blank();
            r.line("Recording: `" + jfr + "`.");
            r.blank();
            JfrHotSpots.report(jfr, r, 15);
        }
        r.line(String.format("Total wall time of the benchmark: %.0f s.", (System.nanoTime() - t0) / 1e9));
        if (partial) {
            r.save();
        } else {
            r.publish();
        }
    }
}
