package io.splice.backfill.training;

import io.splice.backfill.compute.FeatureSpec;
import io.splice.backfill.compute.RowSample;
import io.splice.backfill.io.DayTable;
import io.splice.backfill.io.StitchedTable;
import io.splice.backfill.run.Fmt;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import io.splice.core.merge.SourceLabel;
import io.splice.core.offline.OfflineColumns;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

import java.io.PrintWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.bit_xor;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map_entries;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.timestamp_millis;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * Builds a training set from a validated {@link TrainingSetPlan}: reads exactly the plan's offline objects, keeps
 * the revisions written at or before {@code --as-of}, folds them to the latest revision of each row with
 * {@link StitchedTable#latest} (core's order), drops deleted rows and rows outside the days, samples, keeps the
 * served-only rows, joins the labels, sorts and writes. Returns what the manifest records.
 */
public final class TrainingSetJob {
    private static final String TS_MS = "_ts_ms";
    private static final String HAS_LABEL = "_has_label";

    /** What one offline object held: its records and their Kafka partition and offset range. */
    public record ObjectStats(long records, Integer minPartition, Integer maxPartition, Long minOffset, Long maxOffset,
                              long writtenAfterAsOf, long writtenUnknown) {
    }

    /** What the run read, kept and wrote. */
    public record Result(Map<String, ObjectStats> objects, Map<String, Long> counts, Map<String, Double> nullRates,
                         Map<String, Map<String, Double>> sourceShares, Map<String, Double> labelNullRates,
                         long rows, String fingerprint, List<TrainingSetPlan.InputObject> outputFiles) {
    }

    private TrainingSetJob() {
    }

    /** Every record of the plan's offline objects, with a string {@code ds} (from the path, else from {@code ts}). */
    static Dataset<Row> readOffline(SparkSession spark, TrainingSetPlan plan) {
        spark.conf().set("spark.sql.sources.partitionColumnTypeInference.enabled", "false");
        // objects written before a column existed (stitched_at) are read with it null, not dropped from the schema
        var reader = spark.read().format(plan.offlineFormat()).option("mergeSchema", "true");
        if (plan.partitioned()) {
            reader = reader.option("basePath", plan.offlineRoot());
        }
        return reader.load(plan.objects().stream().map(TrainingSetPlan.InputObject::path).toArray(String[]::new));
    }

    static Dataset<Row> readLabels(SparkSession spark, TrainingSetPlan plan) {
        var reader = spark.read().format(plan.labelFormat());
        if (plan.labelsPartitioned()) {
            reader = reader.option("basePath", plan.labelRoot());
        }
        return reader.load(plan.labelObjects().stream().map(TrainingSetPlan.InputObject::path).toArray(String[]::new));
    }

    /** A path as a comparable key: the same object named {@code file:/x} or {@code file:///x} gives one key. */
    static String key(String path) {
        URI u = new Path(path).toUri();
        return (u.getScheme() == null ? "file" : u.getScheme()) + "://" + (u.getAuthority() == null ? "" : u.getAuthority())
                + u.getPath();
    }

    public static Result run(SparkSession spark, TrainingSetPlan plan, PrintWriter out) {
        TrainingSetRequest req = plan.request();
        JoinDefinition join = plan.join();
        List<FeatureDefinition> features = join.features();
        long bytes = plan.objects().stream().mapToLong(TrainingSetPlan.InputObject::size).sum();
        out.printf("reading %d offline object%s (%s) of %s%n", plan.objects().size(), plan.objects().size() == 1 ? "" : "s",
                Fmt.bytes(bytes), plan.offlineRoot());
        out.flush();
        Dataset<Row> raw = readOffline(spark, plan);
        if (!Arrays.asList(raw.columns()).contains(OfflineColumns.DS)) {
            raw = raw.withColumn(OfflineColumns.DS, to_date(timestamp_millis(DayTable.epochMillis(raw, OfflineColumns.TS))).cast("string"));
        }
        raw = raw.withColumn(TS_MS, DayTable.epochMillis(raw, OfflineColumns.TS));
        Column written = plan.writtenColumn() == null ? null : DayTable.epochMillis(raw, plan.writtenColumn());
        long asOfMs = req.asOf() == null ? Long.MAX_VALUE : req.asOf().toEpochMilli();

        // per object: records, Kafka range, and (as-of) how many were written after it or at an unknown time
        List<Column> aggs = new ArrayList<>(List.of(
                min(col(OfflineColumns.KAFKA_PARTITION)), max(col(OfflineColumns.KAFKA_PARTITION)),
                min(col(OfflineColumns.KAFKA_OFFSET)), max(col(OfflineColumns.KAFKA_OFFSET))));
        aggs.add(written == null ? lit(0L) : sum(when(written.gt(lit(asOfMs)), 1L).otherwise(0L)));
        aggs.add(written == null ? lit(0L) : sum(when(written.isNull(), 1L).otherwise(0L)));
        Map<String, String> byKey = new HashMap<>();
        plan.objects().forEach(o -> byKey.put(key(o.path()), o.path()));
        Map<String, ObjectStats> objects = new TreeMap<>();
        for (Row r : raw.groupBy(input_file_name().as("_f")).agg(count(lit(1)), aggs.toArray(Column[]::new)).collectAsList()) {
            String path = byKey.getOrDefault(key(r.getString(0)), r.getString(0));
            objects.put(path, new ObjectStats(r.getLong(1), r.isNullAt(2) ? null : r.getInt(2), r.isNullAt(3) ? null : r.getInt(3),
                    r.isNullAt(4) ? null : r.getLong(4), r.isNullAt(5) ? null : r.getLong(5), r.isNullAt(6) ? 0 : r.getLong(6),
                    r.isNullAt(7) ? 0 : r.getLong(7)));
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("records_read", objects.values().stream().mapToLong(ObjectStats::records).sum());
        if (written != null) {
            long after = objects.values().stream().mapToLong(ObjectStats::writtenAfterAsOf).sum();
            long unknown = objects.values().stream().mapToLong(ObjectStats::writtenUnknown).sum();
            counts.put("records_written_after_as_of", after);
            counts.put("records_written_unknown", unknown);
            out.printf("as of %s: %s record%s written later ignored (by %s)%n", req.asOf(), Fmt.count(after),
                    after == 1 ? "" : "s", plan.writtenColumn());
            if (unknown > 0) {
                out.printf("warning: %s record%s without %s ignored (not known to be written by %s)%n", Fmt.count(unknown),
                        unknown == 1 ? "" : "s", plan.writtenColumn(), req.asOf());
            }
            raw = raw.where(written.leq(lit(asOfMs)));
        }

        // the latest revision of every row (core's order), then live rows of the days
        List<Column> payload = new ArrayList<>(List.of(col(TS_MS).as(TS_MS), col(OfflineColumns.DS).as(OfflineColumns.DS),
                col(OfflineColumns.KEYS).as(OfflineColumns.KEYS), col(OfflineColumns.SOURCES).as(OfflineColumns.SOURCES)));
        features.forEach(f -> payload.add(col(f.name()).as(f.name())));
        StitchedTable table = StitchedTable.at(plan.offlineRoot(), join.featureGroupName(), plan.conf());
        out.println("folding to the latest revision of each row (greatest kafka_partition, kafka_offset)");
        out.flush();
        Dataset<Row> latest = table.latest(raw, List.of(OfflineColumns.TS, OfflineColumns.KEYS, OfflineColumns.SOURCES),
                payload.toArray(Column[]::new)).persist(StorageLevel.MEMORY_AND_DISK());
        Column live = col(OfflineColumns.IS_DELETED).isNull().or(col(OfflineColumns.IS_DELETED).equalTo(false));
        Column day = to_date(timestamp_millis(col(TS_MS)));
        Column inDays = live.and(day.geq(lit(req.startDate().toString()).cast("date")))
                .and(day.leq(lit(req.endDate().toString()).cast("date")));
        Column sampled = req.sampleRate() == null ? lit(true) : RowSample.keeps(req.sampleRate(), req.seed(), col(OfflineColumns.ROW_KEY));
        Column served = lit(true);
        for (String f : plan.servedFeatures()) {
            served = served.and(coalesce(col(OfflineColumns.SOURCES).getItem(f).equalTo(lit(SourceLabel.LOG)), lit(false)));
        }
        // rows with provably no training/serving skew: every non-external feature as served (counted always)
        Column allServed = lit(true);
        for (FeatureDefinition f : plan.nonExternalFeatures()) {
            allServed = allServed.and(coalesce(col(OfflineColumns.SOURCES).getItem(f.name()).equalTo(lit(SourceLabel.LOG)), lit(false)));
        }
        Row c = latest.agg(count(lit(1)), sum(when(live, 0L).otherwise(1L)), sum(when(inDays, 1L).otherwise(0L)),
                sum(when(inDays.and(sampled), 1L).otherwise(0L)), sum(when(inDays.and(sampled).and(served), 1L).otherwise(0L)),
                sum(when(inDays.and(sampled).and(allServed), 1L).otherwise(0L))).first();
        counts.put("row_keys", c.getLong(0));
        counts.put("deleted_rows", c.isNullAt(1) ? 0 : c.getLong(1));
        long liveInDays = c.isNullAt(2) ? 0 : c.getLong(2);
        long afterSample = c.isNullAt(3) ? 0 : c.getLong(3);
        long afterServed = c.isNullAt(4) ? 0 : c.getLong(4);
        counts.put("live_rows_in_days", liveInDays);
        out.printf("%s row key%s: %s deleted, %s live with ts in %s..%s%n", Fmt.count(c.getLong(0)), c.getLong(0) == 1 ? "" : "s",
                Fmt.count(counts.get("deleted_rows")), Fmt.count(liveInDays), req.startDate(), req.endDate());
        if (req.sampleRate() != null) {
            counts.put("sampled_rows", afterSample);
            out.printf("sample (rate %s, seed %d): %s of %s rows%n", req.sampleRate(), req.seed(), Fmt.count(afterSample),
                    Fmt.count(liveInDays));
        }
        long allServedRows = c.isNullAt(5) ? 0 : c.getLong(5);
        counts.put("served_rows", allServedRows);
        out.printf(Locale.ROOT, "served: %s of %s rows (%.1f%%) have every non-external feature from the log%n",
                Fmt.count(allServedRows), Fmt.count(afterSample), afterSample == 0 ? 0.0 : 100.0 * allServedRows / afterSample);
        if (req.servedOnly() != null) {
            counts.put("served_only_rows", afterServed);
            out.printf(Locale.ROOT, "served-only: %s of %s rows (%.1f%%) have %s all from the log%n", Fmt.count(afterServed),
                    Fmt.count(afterSample), afterSample == 0 ? 0.0 : 100.0 * afterServed / afterSample,
                    String.join(", ", plan.servedFeatures()));
        }
        Dataset<Row> df = latest.where(inDays.and(sampled).and(served));

        // the output columns
        List<Column> cols = new ArrayList<>();
        List<String> ids = plan.idColumns();
        if (ids.size() == 1) {
            cols.add(col(OfflineColumns.ROW_KEY).as(ids.get(0)));
        } else {
            Column arr = from_json(col(OfflineColumns.ROW_KEY), DataTypes.createArrayType(DataTypes.StringType), Map.of());
            for (int i = 0; i < ids.size(); i++) {
                cols.add(arr.getItem(i).as(ids.get(i)));
            }
        }
        plan.keyColumns().forEach(k -> cols.add(col(OfflineColumns.KEYS).getItem(k).as(k)));
        cols.add(timestamp_millis(col(TS_MS)).as(OfflineColumns.TS));
        cols.add(day.cast("string").as(OfflineColumns.DS));
        features.forEach(f -> cols.add(col(f.name()).cast(FeatureSpec.sparkType(f.type())).as(f.name())));
        if (req.withSources()) {
            features.forEach(f -> cols.add(col(OfflineColumns.SOURCES).getItem(f.name()).as(TrainingSetPlan.sourceColumn(f.name()))));
        }
        List<String> outCols = new ArrayList<>(plan.outputColumnsWithoutLabels());
        cols.add(col(OfflineColumns.SOURCES).as("_sources"));
        Dataset<Row> set = df.select(cols.toArray(Column[]::new));

        if (req.labels() != null) {
            out.printf("joining labels %s on %s%n", plan.labelRoot(), String.join(", ", plan.labelRowIdColumns()));
            out.flush();
            Dataset<Row> lr = readLabels(spark, plan);
            List<Column> lcols = new ArrayList<>();
            List<String> lids = plan.labelRowIdColumns();
            for (int i = 0; i < lids.size(); i++) {
                lcols.add(col(lids.get(i)).cast("string").as("_lid" + i));
            }
            lcols.add(DayTable.epochMillis(lr, req.labelTsColumn()).as("_lts"));
            req.labelColumns().forEach(l -> lcols.add(col(l)));
            lr = lr.select(lcols.toArray(Column[]::new));
            // the latest label row of each row by its ts (ties: the greatest label values)
            List<Column> order = new ArrayList<>(List.of(col("_lts")));
            req.labelColumns().forEach(l -> order.add(col(l)));
            List<Column> byIds = new ArrayList<>();
            for (int i = 0; i < lids.size(); i++) {
                byIds.add(col("_lid" + i));
            }
            Dataset<Row> lbl = lr.where(col("_lts").isNotNull())
                    .groupBy(byIds.toArray(Column[]::new))
                    .agg(max_by(struct(req.labelColumns().stream().map(l -> col(l)).toArray(Column[]::new)),
                            struct(order.toArray(Column[]::new))).as("_l"))
                    .select(concatCols(byIds, col("_l.*"), lit(true).as(HAS_LABEL)));
            Dataset<Row> left = set;
            Column on = null;
            for (int i = 0; i < ids.size(); i++) {
                Column eq = left.col(ids.get(i)).equalTo(lbl.col("_lid" + i));
                on = on == null ? eq : on.and(eq);
            }
            Dataset<Row> joined = left.join(lbl, on, req.requireLabels() ? "inner" : "left");
            List<Column> keep = new ArrayList<>();
            outCols.forEach(n -> keep.add(left.col(n)));
            req.labelColumns().forEach(l -> keep.add(lbl.col(l)));
            keep.add(left.col("_sources"));
            keep.add(coalesce(lbl.col(HAS_LABEL), lit(false)).as(HAS_LABEL));
            set = joined.select(keep.toArray(Column[]::new));
            outCols.addAll(req.labelColumns());
        } else {
            set = set.withColumn(HAS_LABEL, lit(false));
        }
        List<Column> sort = new ArrayList<>(List.of(col(OfflineColumns.TS)));
        ids.forEach(i -> sort.add(col(i)));
        set = set.orderBy(sort.toArray(Column[]::new)).persist(StorageLevel.MEMORY_AND_DISK());

        // figures of the set: rows, null rates, labels, a fingerprint of its rows (order-independent)
        List<Column> stats = new ArrayList<>();
        stats.add(sum(when(col(HAS_LABEL), 1L).otherwise(0L)));
        stats.add(bit_xor(xxhash64(outCols.stream().map(n -> col(n)).toArray(Column[]::new))));
        features.forEach(f -> stats.add(sum(when(col(f.name()).isNull(), 1L).otherwise(0L))));
        req.labelColumns().forEach(l -> stats.add(sum(when(col(l).isNull(), 1L).otherwise(0L))));
        Row s = set.agg(count(lit(1)), stats.toArray(Column[]::new)).first();
        long rows = s.getLong(0);
        counts.put("rows", rows);
        if (req.labels() != null) {
            long labelled = s.isNullAt(1) ? 0 : s.getLong(1);
            counts.put("rows_with_label", labelled);
            counts.put("rows_without_label", rows - labelled);
            out.printf("labels: %s of %s rows have one%s%n", Fmt.count(labelled), Fmt.count(rows),
                    req.requireLabels() ? " (--require-labels: the others dropped)" : "");
        }
        String fingerprint = String.format(Locale.ROOT, "%d:%016x", rows, s.isNullAt(2) ? 0L : s.getLong(2));
        Map<String, Double> nullRates = new LinkedHashMap<>();
        int i = 3;
        for (FeatureDefinition f : features) {
            nullRates.put(f.name(), rows == 0 ? 0.0 : (s.isNullAt(i) ? 0 : s.getLong(i)) / (double) rows);
            i++;
        }
        Map<String, Double> labelNullRates = new LinkedHashMap<>();
        for (String l : req.labelColumns()) {
            labelNullRates.put(l, rows == 0 ? 0.0 : (s.isNullAt(i) ? 0 : s.getLong(i)) / (double) rows);
            i++;
        }
        Map<String, Map<String, Double>> shares = sourceShares(set, features, rows);

        out.printf("writing %s rows to %s (%s)%n", Fmt.count(rows), plan.out(), req.format());
        out.flush();
        var writer = set.select(outCols.stream().map(n -> col(n)).toArray(Column[]::new)).write().format(req.format());
        if ("csv".equals(req.format())) {
            writer = writer.option("header", "true");
        }
        writer.save(plan.out());
        set.unpersist();
        latest.unpersist();
        List<TrainingSetPlan.InputObject> files = new ArrayList<>();
        try {
            Path o = new Path(plan.out());
            for (LocatedFileStatus f : TrainingSetPlan.listAll(o.getFileSystem(plan.conf()), o)) {
                files.add(new TrainingSetPlan.InputObject(f.getPath().toString(), f.getLen(), f.getModificationTime(), null));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        files.sort(java.util.Comparator.comparing(TrainingSetPlan.InputObject::path));
        return new Result(objects, counts, nullRates, shares, labelNullRates, rows, fingerprint, files);
    }

    /** Per feature, the share of each source kind (bootstrap, log, backfill, missing) among the set's rows. */
    private static Map<String, Map<String, Double>> sourceShares(Dataset<Row> set, List<FeatureDefinition> features, long rows) {
        Map<String, Map<String, Double>> shares = new LinkedHashMap<>();
        features.forEach(f -> shares.put(f.name(), new TreeMap<>()));
        if (rows == 0) {
            return shares;
        }
        Map<String, Map<SourceLabel.Kind, Long>> n = new HashMap<>();
        for (Row r : set.select(explode(map_entries(col("_sources"))).as("e"))
                .groupBy(col("e.key"), col("e.value")).count().collectAsList()) {
            if (shares.containsKey(r.getString(0))) {
                n.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).merge(SourceLabel.kindOf(r.getString(1)), r.getLong(2), Long::sum);
            }
        }
        for (FeatureDefinition f : features) {
            Map<SourceLabel.Kind, Long> m = n.getOrDefault(f.name(), Map.of());
            long known = m.values().stream().mapToLong(Long::longValue).sum();
            Map<String, Double> out = shares.get(f.name());
            for (SourceLabel.Kind k : SourceLabel.Kind.values()) {
                long v = m.getOrDefault(k, 0L) + (k == SourceLabel.Kind.MISSING ? rows - known : 0L);
                if (v > 0) {
                    out.put(k.tag(), v / (double) rows);
                }
            }
        }
        return shares;
    }

    private static Column[] concatCols(List<Column> a, Column... more) {
        List<Column> l = new ArrayList<>(a);
        l.addAll(Arrays.asList(more));
        return l.toArray(Column[]::new);
    }
}
