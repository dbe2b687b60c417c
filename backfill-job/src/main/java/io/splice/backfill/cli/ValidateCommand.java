package io.splice.backfill.cli;

import io.splice.backfill.io.DayTable;
import io.splice.backfill.io.OutputStore;
import io.splice.backfill.io.Sessions;
import io.splice.backfill.io.StitchedTable;
import io.splice.backfill.run.Fmt;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.PartDefinition;
import io.splice.core.offline.OfflineColumns;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map_values;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/** {@code splice validate}: per-day rows, duplicate row keys, null rates and (stitched) source shares. */
@Command(name = "validate", sortOptions = false, usageHelpWidth = 120,
        description = {
                "Checks a backfill's output per day: rows, duplicate row keys (within the day and across the range),",
                "the _SUCCESS marker, the null rate of every feature; given --stitched, the share of each source",
                "(log, backfill, bootstrap:<topic>, missing) among the feature values of the latest live revision per row",
                "(latest: greatest kafka_partition, kafka_offset)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no duplicates, every day complete", "1:duplicate row keys, or a day missing or incomplete",
                "2:bad arguments"})
public final class ValidateCommand extends SparkCommand implements Callable<Integer> {
    private static final Set<String> FIXED = Set.of("row_key", "ts", "feature_version", "part_hashes", DayTable.DS);

    @Option(names = "--join", required = true, paramLabel = "NAME")
    String join;

    @Option(names = "--version", required = true, paramLabel = "V")
    String version;

    @Option(names = "--start-date", required = true, paramLabel = "YYYY-MM-DD")
    LocalDate startDate;

    @Option(names = "--end-date", required = true, paramLabel = "YYYY-MM-DD")
    LocalDate endDate;

    @Option(names = "--output", defaultValue = "out/backfill", paramLabel = "PATH", description = "the backfill's output root (default ${DEFAULT-VALUE})")
    String output;

    @Option(names = "--stitched", paramLabel = "PATH", description = "stitched offline output (the S3 sink's prefix)")
    String stitched;

    @Option(names = "--definitions", paramLabel = "FILE", description = "joins.yaml (optional: features and keys otherwise come from the markers)")
    Path definitions;

    @Override
    public Integer call() {
        PrintWriter out = out();
        if (endDate.isBefore(startDate)) {
            err().println("error: --end-date is before --start-date");
            return 2;
        }
        String fg = join + "_" + version;
        List<String> features = null;
        List<String> keys = null;
        if (definitions != null) {
            JoinDefinition j = loadJoin(definitions, join, version);
            if (j == null) {
                return 2;
            }
            fg = j.featureGroupName();
            features = new ArrayList<>();
            for (PartDefinition p : j.parts()) {
                if (!p.external()) {
                    features.addAll(p.featureNames());
                }
            }
            keys = j.keys();
        }
        Configuration hconf = hadoopConf();
        OutputStore store = new OutputStore(output, fg, hconf);
        List<LocalDate> days = new ArrayList<>();
        for (LocalDate d = startDate; !d.isAfter(endDate); d = d.plusDays(1)) {
            days.add(d);
        }
        Map<LocalDate, String> markers = new LinkedHashMap<>();
        for (LocalDate d : days) {
            Optional<OutputStore.Marker> m = store.marker(d);
            if (m.isPresent() && features == null && m.get().features() != null) {
                features = m.get().features();
                keys = m.get().keys();
            }
            markers.put(d, m.isPresent() ? "ok" : "MISSING");
        }
        boolean failed = false;
        try (Sessions.Handle h = session("splice validate " + join + "." + version)) {
            SparkSession spark = h.spark();
            DayTable t = DayTable.at(store.dir().toString(), hconf);
            Dataset<Row> df = t.days().isEmpty() ? null : t.read(spark, days, "parquet");
            out.printf("Validation of %s.%s at %s, %s..%s%n", join, version, store.dir(), startDate, endDate);
            Map<LocalDate, Row> stats = new TreeMap<>();
            List<String> feats = new ArrayList<>();
            long overallDup = 0;
            if (df != null) {
                List<String> cols = Arrays.asList(df.columns());
                if (features != null) {
                    features.stream().filter(cols::contains).forEach(feats::add);
                } else {
                    List<String> ks = keys == null ? List.of() : keys;
                    cols.stream().filter(c -> !FIXED.contains(c) && !ks.contains(c)).forEach(feats::add);
                }
                List<Column> aggs = new ArrayList<>();
                aggs.add(countDistinct(col("row_key")));
                for (String f : feats) {
                    aggs.add(sum(when(col(f).isNull(), 1).otherwise(0)));
                }
                for (Row r : df.groupBy(col(DayTable.DS)).agg(count(lit(1)), aggs.toArray(Column[]::new)).collectAsList()) {
                    stats.put(LocalDate.parse(r.getString(0)), r);
                }
                Row all = df.agg(count(lit(1)), countDistinct(col("row_key"))).first();
                overallDup = all.getLong(0) - all.getLong(1);
            }
            out.printf("%-10s  %10s  %10s  %-7s  %s%n", "day", "rows", "duplicates", "marker", "null rate per feature");
            for (LocalDate d : days) {
                Row r = stats.get(d);
                long rows = r == null ? 0 : r.getLong(1);
                long dup = r == null ? 0 : rows - r.getLong(2);
                StringBuilder nulls = new StringBuilder();
                for (int i = 0; r != null && i < feats.size(); i++) {
                    long n = r.isNullAt(3 + i) ? 0 : r.getLong(3 + i);
                    nulls.append(i == 0 ? "" : ", ").append(feats.get(i)).append(' ')
                            .append(String.format(Locale.ROOT, "%.1f%%", rows == 0 ? 0.0 : 100.0 * n / rows));
                }
                if (dup > 0 || !"ok".equals(markers.get(d))) {
                    failed = true;
                }
                out.printf("%-10s  %10s  %10s  %-7s  %s%n", d, Fmt.count(rows), dup > 0 ? Fmt.count(dup) + " !" : "0",
                        markers.get(d), nulls);
            }
            long dupWithin = stats.values().stream().mapToLong(r -> r.getLong(1) - r.getLong(2)).sum();
            if (overallDup > dupWithin) {
                failed = true;
                out.printf("duplicate row keys across days: %s%n", Fmt.count(overallDup - dupWithin));
            }
            if (stitched != null) {
                failed |= stitchedShares(spark, hconf, out, fg, days);
            }
            out.println(failed ? "FAILED: duplicate row keys or incomplete days (see above)" : "OK");
        }
        return failed ? 1 : 0;
    }

    /** Share of each source among the feature values of the latest live revision per row, per day. */
    private boolean stitchedShares(SparkSession spark, Configuration hconf, PrintWriter out, String fg, List<LocalDate> days) {
        StitchedTable t = StitchedTable.at(stitched, fg, hconf);
        Dataset<Row> st = t.partitioned() ? t.read(spark, days) : null;
        if (st == null) {
            out.printf("stitched output %s: no partitions for %s..%s%n", t.root(), startDate, endDate);
            return false;
        }
        Dataset<Row> latest = t.latest(st, List.of(DayTable.DS, OfflineColumns.SOURCES),
                        col(DayTable.DS).as("ds"), col(OfflineColumns.SOURCES).as("sources"))
                .where(col(OfflineColumns.IS_DELETED).isNull().or(col(OfflineColumns.IS_DELETED).equalTo(false)))
                .select(col("ds"), col("sources"));
        List<Row> counts = latest.select(col("ds"), explode(map_values(col("sources"))).as("source"))
                .groupBy("ds", "source").count().collectAsList();
        List<Row> rowsPerDay = latest.groupBy("ds").count().collectAsList();
        Map<String, Long> rowCount = new TreeMap<>();
        rowsPerDay.forEach(r -> rowCount.put(r.getString(0), r.getLong(1)));
        Map<String, Map<String, Long>> byDay = new TreeMap<>();
        Set<String> sources = new TreeSet<>();
        for (Row r : counts) {
            byDay.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getString(1), r.getLong(2));
            sources.add(r.getString(1));
        }
        out.printf("stitched output %s (latest revision per row):%n", t.root());
        out.printf("%-10s  %10s  %s%n", "day", "rows", "share of each source among feature values");
        for (Map.Entry<String, Map<String, Long>> e : byDay.entrySet()) {
            long total = e.getValue().values().stream().mapToLong(Long::longValue).sum();
            StringBuilder sb = new StringBuilder();
            for (String s : sources) {
                long n = e.getValue().getOrDefault(s, 0L);
                sb.append(sb.length() == 0 ? "" : ", ").append(s).append(' ')
                        .append(String.format(Locale.ROOT, "%.1f%%", total == 0 ? 0.0 : 100.0 * n / total));
            }
            out.printf("%-10s  %10s  %s%n", e.getKey(), Fmt.count(rowCount.getOrDefault(e.getKey(), 0L)), sb);
        }
        return false;
    }
}
