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
 * --zipf-s 0.8 --master local[2] --partitions 8 --range-timeout-s 600 --range-max-events 4000000 --runs 2 --work DIR}.
 * {@code --cluster-workers N} runs on a standalone cluster of N workers (1 core, {@code --worker-memory 2g} each)
 * started from {@code backfill-job/target/spark-dist} ({@link SparkCluster}) instead of {@code --master}: the bench
 * is the driver (client mode), executors load the cluster jar. The last two sizes also give the cost growth (time
 * ratio against data ratio) per key distribution.
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
        }
        SparkSession spark = Sessions.obtain("splice backfill bench", master, conf).spark();
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
        List<String> table = new ArrayList<>();
        table.add("| keys | events | left rows | top key's events | sweep (s) | sweep events/s | RANGE reference (s) | RANGE / sweep |");
        table.add("|---|---:|---:|---:|---:|---:|---:|---:|");
        List<String> growth = new ArrayList<>();
        FeatureEngine sweep = new SweepEngine();
        FeatureEngine range = new RangeReference();
        // warm-up: JIT and Spark's first-job costs are not the engines'
        Dataset<Row>[] warm = generate(spark, work, "warm", 500_000, 50_000, keys, days, 0);
        for (int i = 0; i < 2; i++) {
            run(spark, sweep, specs, warm, 0);
            run(spark, range, specs, warm, 0);
        }
        for (String dist : List.of("uniform", "zipf")) {
            double previous = 0;
            for (long n : sizes) {
                Dataset<Row>[] in = generate(spark, work, dist + "-" + n, n, rows, keys, days, dist.equals("zipf") ? s : 0);
                long top = in[0].groupBy("card_id").count().orderBy(col("count").desc()).first().getLong(1);
                double ts = Double.MAX_VALUE;
                for (int r = 0; r < runs; r++) {
                    ts = Math.min(ts, run(spark, sweep, specs, in, 0));
                }
                if (n == sizes.get(sizes.size() - 1) && sizes.size() > 1) {
                    long m = sizes.get(sizes.size() - 2);
                    growth.add(String.format(Locale.ROOT, "%s keys, %,d -> %,d events (%.1fx data): %.2fx time",
                            dist, m, n, (double) n / m, ts / previous));
                }
                previous = ts;
                String tr;
                String ratio;
                if (n > rangeMax) {
                    tr = "not run";
                    ratio = "";
                } else {
                    double t = run(spark, range, specs, in, rangeTimeout);
                    if (t > 0 && t < 60) {
                        t = Math.min(t, run(spark, range, specs, in, rangeTimeout)); // best of 2 when affordable
                    }
                    tr = t < 0 ? "> " + rangeTimeout + " (cancelled)" : String.format(Locale.ROOT, "%.1f", t);
                    ratio = t < 0 ? "> " + String.format(Locale.ROOT, "%.0f", rangeTimeout / ts) + "x"
                            : String.format(Locale.ROOT, "%.1fx", t / ts);
                }
                String line = String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %.1f | %,d | %s | %s |", dist, n, rows, top, ts,
                        Math.round(n / ts), tr, ratio);
                System.out.println(line);
                table.add(line);
            }
        }
        System.out.println();
        table.forEach(System.out::println);
        growth.forEach(g -> System.out.println("growth: " + g));
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

    /** Seconds to compute every feature for every row (Spark's noop sink), or -1 when cancelled after the timeout. */
    static double run(SparkSession spark, FeatureEngine engine, List<FeatureSpec> specs, Dataset<Row>[] in, long timeoutS) {
        String group = "bench-" + engine.name() + "-" + System.nanoTime();
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
