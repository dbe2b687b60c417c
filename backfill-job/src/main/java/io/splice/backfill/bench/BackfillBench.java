package io.splice.backfill.bench;

import io.splice.backfill.cluster.SparkCluster;
import io.splice.backfill.compute.FeatureEngine;
import io.splice.backfill.compute.FeatureSpec;
import io.splice.backfill.compute.RangeReference;
import io.splice.backfill.compute.SweepEngine;
import io.splice.backfill.io.Sessions;
import io.splice.core.api.Aggregation;
import io.splice.core.api.FeatureType;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.rand;

/**
 * The backfill benchmark ({@code bench/backfill/run.sh}): generated card events and left rows, one part with
 * count + sum + max over 1h, 24h and 7d windows, computed by the sweep and by the RANGE BETWEEN reference in the same
 * JVM, after a warm-up (best of two runs where affordable); prints a Markdown table. Keys are uniform or Zipf-distributed (rank r drawn with probability ~ r^-s).
 *
 * <p>Options (all optional): {@code --events 1000000,2000000,4000000 --rows 200000 --keys 100000 --days 30
 * --zipf-s 0.8 --master local[2] --partitions 8 --range-timeout-s 600 --range-max-events 4000000 --runs 2
 * --distributions uniform,zipf --work DIR}.
 * {@code --cluster-workers N} runs on a standalone cluster of N workers (1 core, {@code --worker-memory 2g} each)
 * started from {@code backfill-job/target/spark-dist} ({@link SparkCluster}) instead of {@code --master}: the bench
 * is the driver (client mode), executors load the cluster jar. The last two sizes also give the cost growth (time
 * ratio against data ratio) per engine and key distribution. Each measured run reports the peak memory of this JVM
 * ({@link PeakMemory}: in local mode the driver and the executors), on a cluster also the executors' peaks as Spark
 * reports them ({@link ExecutorPeaks}, polled every {@code --executor-poll-ms 100}; 0 collects none), and the load
 * average at its start and end, since the machines it runs on are shared. Once the reference is cancelled at a size,
 * it is not run at larger sizes of the same distribution. {@code --json FILE} also writes every run's figures there.
 */
public final class BackfillBench {
    private static final long HOUR = 3_600_000L;
    private static final long T0 = 1_759_276_800_000L; // 2025-10-01T00:00Z

    private BackfillBench() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            a.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        List<Long> sizes = new ArrayList<>();
        for (String s : a.getOrDefault("events", "1000000,2000000,4000000").split(",")) {
            sizes.add(Long.parseLong(s.trim()));
        }
        long rows = Long.parseLong(a.getOrDefault("rows", "200000"));
        long keys = Long.parseLong(a.getOrDefault("keys", "100000"));
        int days = Integer.parseInt(a.getOrDefault("days", "30"));
        double s = Double.parseDouble(a.getOrDefault("zipf-s", "0.8"));
        String master = a.getOrDefault("master", "local[2]");
        int partitions = Integer.parseInt(a.getOrDefault("partitions", "8"));
        long rangeTimeout = Long.parseLong(a.getOrDefault("range-timeout-s", "600"));
        long rangeMax = Long.parseLong(a.getOrDefault("range-max-events", "4000000"));
        Path work = Path.of(a.getOrDefault("work", Files.createTempDirectory("splice-bench").toString()));
        int runs = Integer.parseInt(a.getOrDefault("runs", "2"));
        int workers = Integer.parseInt(a.getOrDefault("cluster-workers", "0"));
        long pollMs = Long.parseLong(a.getOrDefault("executor-poll-ms", "100"));
        Path json = a.containsKey("json") ? Path.of(a.get("json")) : null;

        Map<String, String> conf = new LinkedHashMap<>(Map.of("spark.sql.shuffle.partitions", String.valueOf(partitions),
                "spark.driver.memory", "4g"));
        SparkCluster cluster = null;
        if (workers > 0) {
            String memory = a.getOrDefault("worker-memory", "2g");
            Path home = Path.of(a.getOrDefault("spark-home", "backfill-job/target/spark-dist")).toAbsolutePath();
            cluster = SparkCluster.start(home, work.resolve("cluster"),
                    new SparkCluster.Settings(workers, 1, memory, "-Xmx256m"), java.time.Duration.ofMinutes(2));
            master = cluster.masterUrl();
            conf.put("spark.jars", clusterJar(Path.of(a.getOrDefault("cluster-jar", "backfill-job/target"))).toString());
            conf.put("spark.executor.memory", a.getOrDefault("executor-memory", "1536m"));
            if (pollMs > 0) {
                conf.putAll(ExecutorPeaks.conf(pollMs));
            }
        }
        SparkSession spark = Sessions.obtain("splice backfill bench", master, conf).spark();
        // before any job, so that every run's tasks are seen
        ExecutorPeaks peaks = ExecutorPeaks.register(spark);
        boolean executors = workers > 0 && pollMs > 0;
        spark.sparkContext().setLogLevel("OFF"); // a cancelled RANGE run logs pages of expected errors
        List<FeatureSpec> specs = new ArrayList<>();
        for (String w : List.of("1h", "24h", "7d")) {
            long ms = w.equals("1h") ? HOUR : w.equals("24h") ? 24 * HOUR : 7 * 24 * HOUR;
            specs.add(new FeatureSpec("count_" + w, Aggregation.COUNT, FeatureType.LONG, null, null, ms));
            specs.add(new FeatureSpec("sum_" + w, Aggregation.SUM, FeatureType.DOUBLE, "amount", null, ms));
            specs.add(new FeatureSpec("max_" + w, Aggregation.MAX, FeatureType.DOUBLE, "amount", null, ms));
        }
        System.out.printf("# splice backfill bench: %s%s, %s, %d keys, %d days, zipf s=%.2f, %d left rows, 9 features (count+sum+max x 1h/24h/7d), best of %d%n",
                master, workers > 0 ? " (standalone cluster, " + workers + " workers x 1 core)" : "",
                Runtime.getRuntime().availableProcessors() + " cores", keys, days, s, rows, runs);
        String who = workers > 0 ? "the driver" : "driver and executors, one JVM";
        System.out.printf("# peak memory per run of %s: heap = sum of heap pools' peaks, RSS = VmHWM reset before each run (after a full GC); load = 1-min load average at start -> end%n", who);
        if (executors) {
            System.out.printf("# executors: JVMHeapMemory and ProcessTreeJVMRSSMemory polled every %d ms by each executor during the run's tasks (after a full GC on each); max = largest executor's peak, sum = sum of the executors' peaks%n", pollMs);
        }
        String driver = workers > 0 ? "driver " : "";
        String execHead = !executors ? "" : " executors' peak heap, max (MB) | sum (MB) | executors' peak RSS, max (MB) | sum (MB) |";
        List<String> table = new ArrayList<>();
        table.add("| keys | events | top key's events | engine | seconds | events/s | " + driver + "peak heap (MB) | " + driver
                + "peak old gen (MB) | " + driver + "peak RSS (MB) |" + execHead + " load start -> end |");
        table.add("|---|---:|---:|---|---:|---:|---:|---:|---:|" + (!executors ? "" : "---:|---:|---:|---:|") + "---|");
        List<Map<String, Object>> results = new ArrayList<>();
        List<String> growth = new ArrayList<>();
        FeatureEngine sweep = new SweepEngine();
        FeatureEngine range = new RangeReference();
        PeakMemory memory = new PeakMemory();
        // warm-up: JIT and Spark's first-job costs are not the engines'
        Dataset<Row>[] warm = generate(spark, work, "warm", 500_000, 50_000, keys, days, 0);
        for (int i = 0; i < 2; i++) {
            run(spark, "bench-warm-up", sweep, specs, warm, 0);
            run(spark, "bench-warm-up", range, specs, warm, 0);
        }
        peaks.settle(spark, false, Duration.ofMinutes(2));
        peaks.take("bench-warm-up"); // the warm-up's figures are not a run's
        for (String dist : a.getOrDefault("distributions", "uniform,zipf").split(",")) {
            Map<String, Double> previous = new LinkedHashMap<>();
            long rangeCancelledAt = 0;
            for (long n : sizes) {
                Dataset<Row>[] in = generate(spark, work, dist + "-" + n, n, rows, keys, days, dist.equals("zipf") ? s : 0);
                long top = in[0].groupBy("card_id").count().orderBy(col("count").desc()).first().getLong(1);
                Measured ms = null;
                for (int r = 0; r < runs; r++) {
                    ms = measure(spark, memory, peaks, executors, sweep, specs, in, 0, dist + " " + n).best(ms);
                }
                table.add(row(dist, n, top, "sweep", ms, "", 0));
                results.add(json(dist, n, top, "sweep", ms));
                Measured mr = null;
                String skipped = "";
                if (n > rangeMax) {
                    skipped = "not run (--range-max-events)";
                } else if (rangeCancelledAt > 0) {
                    skipped = String.format(Locale.ROOT, "not run (cancelled at %,d)", rangeCancelledAt);
                } else {
                    mr = measure(spark, memory, peaks, executors, range, specs, in, rangeTimeout, dist + " " + n);
                    if (mr.seconds() > 0 && mr.seconds() < 60) { // best of 2 when affordable
                        mr = measure(spark, memory, peaks, executors, range, specs, in, rangeTimeout, dist + " " + n).best(mr);
                    }
                    results.add(json(dist, n, top, "range", mr));
                    if (mr.seconds() < 0) {
                        rangeCancelledAt = n; // a bigger input with the same skew cannot fit in the timeout either
                    }
                }
                String ratio = mr == null ? skipped : mr.seconds() < 0
                        ? String.format(Locale.ROOT, "> %.0fx the sweep", rangeTimeout / ms.seconds())
                        : String.format(Locale.ROOT, "%.1fx the sweep", mr.seconds() / ms.seconds());
                table.add(mr == null ? String.format(Locale.ROOT, "| %s | %,d | %,d | range | %s | | | | |%s |", dist, n, top, skipped,
                        !executors ? "" : " | | | |")
                        : row(dist, n, top, "range", mr, ratio, rangeTimeout));
                System.out.println(table.get(table.size() - 2));
                System.out.println(table.get(table.size() - 1));
                if (sizes.size() > 1 && n == sizes.get(sizes.size() - 1)) {
                    long m = sizes.get(sizes.size() - 2);
                    double tr = mr == null ? -1 : mr.seconds();
                    for (String engine : List.of("sweep", "range")) {
                        double before = previous.getOrDefault(engine, -1.0);
                        double now = engine.equals("sweep") ? ms.seconds() : tr;
                        if (before > 0 && now > 0) {
                            growth.add(String.format(Locale.ROOT, "%s, %s keys, %,d -> %,d events (%.1fx data): %.2fx time",
                                    engine, dist, m, n, (double) n / m, now / before));
                        }
                    }
                }
                previous.put("sweep", ms.seconds());
                previous.put("range", mr == null ? -1 : mr.seconds());
            }
        }
        System.out.println();
        table.forEach(System.out::println);
        growth.forEach(g -> System.out.println("growth: " + g));
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("master", master);
            doc.put("cluster_workers", workers);
            doc.put("runs", runs);
            doc.put("results", results);
            doc.put("growth", growth);
            new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), doc);
        }
        spark.stop();
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The cluster jar: a file, or the one {@code package} wrote into a directory. */
    static Path clusterJar(Path p) throws java.io.IOException {
        if (Files.isRegularFile(p)) {
            return p.toAbsolutePath();
        }
        try (var s = Files.list(p)) {
            return s.filter(f -> f.getFileName().toString().endsWith("-cluster.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no *-cluster.jar in " + p + ": run mvn -pl backfill-job -am package"))
                    .toAbsolutePath();
        }
    }

    /** Events (card_id, amount, __t) and left rows (row_key, card_id, __t), written once as Parquet and read back. */
    @SuppressWarnings("unchecked")
    static Dataset<Row>[] generate(SparkSession spark, Path work, String name, long events, long rows, long keys, int days, double s) {
        Path ev = work.resolve(name + "-events");
        Path lr = work.resolve(name + "-rows");
        long span = days * 24 * HOUR;
        if (!Files.exists(ev)) {
            spark.range(events).select(key(keys, s, 11).as("card_id"),
                            floor(rand(12).multiply(50_000)).divide(100).as("amount"),
                            floor(rand(13).multiply(span)).cast("long").plus(T0).as(FeatureEngine.T))
                    .write().parquet(ev.toString());
        }
        if (!Files.exists(lr)) {
            spark.range(rows).select(concat(lit("r"), col("id")).as(FeatureEngine.ROW_KEY), key(keys, s, 21).as("card_id"),
                            floor(rand(22).multiply(span)).cast("long").plus(T0).as(FeatureEngine.T))
                    .write().parquet(lr.toString());
        }
        return new Dataset[]{spark.read().parquet(ev.toString()), spark.read().parquet(lr.toString())};
    }

    /** A card id: uniform over {@code keys}, or Zipf(s) by inverting the continuous power-law CDF. */
    static Column key(long keys, double s, long seed) {
        Column rank;
        if (s <= 0) {
            rank = floor(rand(seed).multiply(keys));
        } else if (Math.abs(s - 1) < 1e-9) {
            rank = floor(pow(lit((double) keys), rand(seed))).minus(1);
        } else {
            double c = Math.pow(keys, 1 - s) - 1;
            rank = floor(pow(lit(1.0).plus(rand(seed).multiply(c)), 1 / (1 - s))).minus(1);
        }
        return concat(lit("card"), least(rank, lit(keys - 1)).cast("long").cast("string"));
    }

    /**
     * One measured run: seconds (-1 when cancelled), the driver's peak memory, the executors' (null when not
     * collected: local mode), where its task time went and the load average at start and end.
     */
    record Measured(double seconds, PeakMemory.Peak peak, ExecutorPeaks.Summary executors, ExecutorPeaks.Work work,
                    String loadStart, String loadEnd) {
        /** The faster run's time, work and load, and the larger of the two peaks (same work, so either is a fair peak). */
        Measured best(Measured o) {
            if (o == null) {
                return this;
            }
            Measured f = o.seconds < 0 || (seconds >= 0 && seconds < o.seconds) ? this : o;
            return new Measured(f.seconds, peak.max(o.peak), executors == null ? null : executors.max(o.executors),
                    f.work, f.loadStart, f.loadEnd);
        }
    }

    /** One run, between a reset of the peaks (the driver's; on a cluster the executors' too, {@code executors}) and their reading. */
    static Measured measure(SparkSession spark, PeakMemory memory, ExecutorPeaks peaks, boolean executors, FeatureEngine engine,
                            List<FeatureSpec> specs, Dataset<Row>[] in, long timeoutS, String what) throws InterruptedException {
        Duration settle = Duration.ofMinutes(2);
        if (executors) {
            peaks.settle(spark, true, settle);
        }
        memory.reset();
        String l0 = PeakMemory.load();
        String group = "bench-" + engine.name() + "-" + System.nanoTime();
        double t = run(spark, group, engine, specs, in, timeoutS);
        PeakMemory.Peak peak = memory.read();
        String l1 = PeakMemory.load();
        peaks.settle(spark, false, settle);
        ExecutorPeaks.Report r = peaks.take(group);
        StringBuilder stages = new StringBuilder();
        r.stages().forEach((id, w) -> stages.append(String.format(Locale.ROOT, "; stage %d: %d tasks, %.1f s (longest %.1f s, GC %.1f s)",
                id, w.tasks(), w.runMs() / 1e3, w.longestTaskMs() / 1e3, w.gcMs() / 1e3)));
        System.out.printf(Locale.ROOT, "# %s %s: %.1f s; %s%s%n", what, engine.name(), t, r.work(), stages);
        return new Measured(t, peak, executors ? r.summary() : null, r.work(), l0, l1);
    }

    static String row(String dist, long n, long top, String engine, Measured m, String note, long timeoutS) {
        String t = m.seconds() < 0 ? "> " + timeoutS + " (cancelled)" : String.format(Locale.ROOT, "%.1f", m.seconds());
        String rate = m.seconds() < 0 ? "" : String.format(Locale.ROOT, "%,d", Math.round(n / m.seconds()));
        ExecutorPeaks.Summary e = m.executors();
        String ex = e == null ? "" : String.format(Locale.ROOT, " %s | %s | %s | %s |", PeakMemory.mb(e.maxHeapBytes()),
                PeakMemory.mb(e.sumHeapBytes()), PeakMemory.mb(e.maxRssBytes()), PeakMemory.mb(e.sumRssBytes()));
        return String.format(Locale.ROOT, "| %s | %,d | %,d | %s%s | %s | %s | %s | %s | %s |%s %s -> %s |", dist, n, top, engine,
                note.isEmpty() ? "" : " (" + note + ")", t, rate, PeakMemory.mb(m.peak().heapBytes()),
                PeakMemory.mb(m.peak().oldGenBytes()), PeakMemory.mb(m.peak().rssBytes()), ex, m.loadStart(), m.loadEnd());
    }

    /** One run's figures under the keys {@code bench/results/summary.json} uses; MB, -1 where unknown. */
    static Map<String, Object> json(String dist, long n, long top, String engine, Measured m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("keys", dist);
        o.put("events", n);
        o.put("top_key_events", top);
        o.put("engine", engine);
        o.put("seconds", m.seconds() < 0 ? null : Math.round(m.seconds() * 10) / 10.0);
        o.put("cancelled", m.seconds() < 0);
        o.put("events_per_s", m.seconds() < 0 ? null : Math.round(n / m.seconds()));
        String who = m.executors() == null ? "" : "driver_";
        o.put(who + "peak_heap_mb", mbValue(m.peak().heapBytes()));
        o.put(who + "peak_old_gen_mb", mbValue(m.peak().oldGenBytes()));
        o.put(who + "peak_rss_mb", mbValue(m.peak().rssBytes()));
        ExecutorPeaks.Work w = m.work();
        o.put("tasks", w.tasks());
        o.put("task_seconds", Math.round(w.runMs() / 100.0) / 10.0);
        o.put("longest_task_seconds", Math.round(w.longestTaskMs() / 100.0) / 10.0);
        o.put("gc_seconds", Math.round(w.gcMs() / 100.0) / 10.0);
        o.put("spilled_mb", mbValue(w.diskSpillBytes()));
        ExecutorPeaks.Summary e = m.executors();
        if (e != null) {
            o.put("executors", e.executors());
            o.put("executors_peak_heap_mb_max", mbValue(e.maxHeapBytes()));
            o.put("executors_peak_heap_mb_sum", mbValue(e.sumHeapBytes()));
            o.put("executors_peak_rss_mb_max", mbValue(e.maxRssBytes()));
            o.put("executors_peak_rss_mb_sum", mbValue(e.sumRssBytes()));
        }
        o.put("load_average_start_end", m.loadStart() + " -> " + m.loadEnd());
        return o;
    }

    private static long mbValue(long bytes) {
        return bytes < 0 ? -1 : Math.round(bytes / 1048576.0);
    }

    /** Seconds to compute every feature for every row (Spark's noop sink), or -1 when cancelled after the timeout. */
    static double run(SparkSession spark, String group, FeatureEngine engine, List<FeatureSpec> specs, Dataset<Row>[] in, long timeoutS) {
        spark.sparkContext().setJobGroup(group, engine.name(), true);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        ScheduledFuture<?> cancel = timeoutS > 0
                ? timer.schedule(() -> spark.sparkContext().cancelJobGroup(group), timeoutS, TimeUnit.SECONDS) : null;
        long t0 = System.nanoTime();
        try {
            engine.compute(specs, in[1], in[0], "card_id").write().format("noop").mode("overwrite").save();
            return (System.nanoTime() - t0) / 1e9;
        } catch (Exception e) { // SparkException is checked, but thrown from save() all the same
            if (String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("cancel")) {
                return -1;
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        } finally {
            if (cancel != null) {
                cancel.cancel(false);
            }
            timer.shutdownNow();
            spark.sparkContext().clearJobGroup();
        }
    }
}
