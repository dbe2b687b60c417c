package io.splice.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs {@link MergeBench} with JMH and writes a Markdown table of ns per operation by feature count.
 *
 * <pre>bench/merge/run.sh [--features 10,50,200] [--forks 1] [--warmup 3] [--iterations 10] [--time-s 1]</pre>
 */
public final class MergeBenchMain {
    private MergeBenchMain() {
    }

    @Command(name = "bench/merge/run.sh", sortOptions = false,
            description = "JMH micro-benchmark of the merge rules and the row state's serde, by feature count.")
    static final class Opts {
        @Option(names = "--features", split = ",", defaultValue = "10,50,200", description = "Feature counts (default ${DEFAULT-VALUE}).")
        List<Integer> features;
        @Option(names = "--forks", defaultValue = "1", description = "JMH forks (default ${DEFAULT-VALUE}).")
        int forks;
        @Option(names = "--warmup", defaultValue = "3", description = "Warm-up iterations (default ${DEFAULT-VALUE}).")
        int warmup;
        @Option(names = "--iterations", defaultValue = "10", description = "Measurement iterations (default ${DEFAULT-VALUE}).")
        int iterations;
        @Option(names = "--time-s", defaultValue = "1", description = "Seconds per iteration (default ${DEFAULT-VALUE}).")
        int timeS;
        @Option(names = "--name", defaultValue = "merge", description = "Results file bench/results/<name>.md (default ${DEFAULT-VALUE}).")
        String name;
        @Option(names = "--help", usageHelp = true, description = "Print this help.")
        boolean help;
    }

    public static void main(String[] argv) throws Exception {
        Opts a = Cli.parseOrExit(new Opts(), argv);
        Report.start();
        List<Integer> counts = a.features;
        int timeS = a.timeS;
        Options opts = new OptionsBuilder()
                .include(MergeBench.class.getName() + ".*")
                .param("features", counts.stream().map(String::valueOf).toArray(String[]::new))
                .forks(a.forks)
                .warmupIterations(a.warmup)
                .warmupTime(TimeValue.seconds(timeS))
                .measurementIterations(a.iterations)
                .measurementTime(TimeValue.seconds(timeS))
                .build();
        Collection<RunResult> results = new Runner(opts).run();

        String[] methods = {"merge", "applyChanged", "applyUnchanged", "rowStateSerde"};
        Map<Integer, Map<String, String>> cells = new TreeMap<>();
        for (RunResult r : results) {
            String bench = r.getParams().getBenchmark();
            String method = bench.substring(bench.lastIndexOf('.') + 1);
            int f = Integer.parseInt(r.getParams().getParam("features"));
            double score = r.getPrimaryResult().getScore();
            double err = r.getPrimaryResult().getScoreError();
            double best = r.getPrimaryResult().getStatistics().getMin();
            cells.computeIfAbsent(f, k -> new TreeMap<>()).put(method, (Double.isNaN(err)
                    ? String.format(Locale.ROOT, "%,.0f", score)
                    : String.format(Locale.ROOT, "%,.0f ± %,.0f", score, err))
                    + String.format(Locale.ROOT, " (best %,.0f)", best));
        }
        List<List<String>> rows = new ArrayList<>();
        cells.forEach((f, m) -> {
            List<String> row = new ArrayList<>();
            row.add(Integer.toString(f));
            for (String method : methods) {
                row.add(m.getOrDefault(method, "-"));
            }
            rows.add(row);
        });
        Report rep = new Report(a.name, "Merge micro-benchmark (JMH): ns per operation, one row with 3 sources");
        rep.line(String.format(Locale.ROOT, "JMH 1.37, average time, %d fork(s), %d×%d s warm-up, %d×%d s measurement; ± is the 99.9%% "
                        + "confidence interval, (best) the fastest measurement iteration, the figure least disturbed by other load on the machine. Row: a bootstrap record (plain table, a quarter of the computed features), the log "
                        + "(all external features, half the computed ones) and the backfill (all computed features); half the "
                        + "features are in a computed part, half in an external part.", a.forks, a.warmup,
                timeS, a.iterations, timeS));
        rep.blank();
        rep.table(List.of("features", "merge ns", "apply, values changed (emits) ns", "apply, unchanged (suppressed) ns",
                "RowState serde write+read ns"), rows);
        rep.line("merge = `MergeRules.merge` (rules 1-6); apply = `MergeRules.apply` with a log record (rules 7-9: merge, compare "
                + "with the last emission, update the state); serde = `RowStateSerde` write then read of the row's state, which "
                + "the state store pays on every get/put.");
        rep.publish();
    }
}
