package io.splice.backfill.cli;

import io.splice.backfill.compute.FeatureSpec;
import io.splice.backfill.compute.LeftRows;
import io.splice.backfill.io.DayTable;
import io.splice.backfill.io.Sessions;
import io.splice.backfill.publish.FeatureRowEncoder;
import io.splice.backfill.publish.KafkaPublisher;
import io.splice.backfill.run.Fmt;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.unix_millis;

/** {@code splice publish-table}: any table keyed by row ids as FeatureRows on a compacted bootstrap topic. */
@Command(name = "publish-table", sortOptions = false, usageHelpWidth = 120,
        description = {
                "Publishes a table (Parquet or JSON lines; optionally partitioned by ds=) as FeatureRows with no part",
                "hashes to a compacted bootstrap topic, keyed by row key: external feature backfills, data migrations,",
                "another join's output. Columns other than row ids, keys, ts and ds become values (with --definitions:",
                "only the join's features, cast to their declared types). Of several rows per row key the latest wins."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:published (or dry run)", "1:failed", "2:bad arguments or columns"})
public final class PublishTableCommand extends SparkCommand implements Callable<Integer> {
    @Option(names = "--table", required = true, paramLabel = "PATH")
    String table;

    @Option(names = "--topic", required = true, paramLabel = "T", description = "e.g. splice.bootstrap.payments_dev")
    String topic;

    @Option(names = "--select", paramLabel = "EXPRS", description = "Spark SQL select list, e.g. 'request_id, score AS risk_score, 0 AS ts'")
    String select;

    @Option(names = "--where", paramLabel = "PRED", description = "Spark SQL predicate")
    String where;

    @Option(names = "--row-ids", split = ",", paramLabel = "COLS", description = "row id columns in order (default: the join's row_ids)")
    List<String> rowIds;

    @Option(names = "--keys", split = ",", paramLabel = "COLS", description = "key columns (default: the join's keys, else none)")
    List<String> keys;

    @Option(names = "--ts-column", defaultValue = "ts", paramLabel = "COL", description = "row time column (default ${DEFAULT-VALUE})")
    String tsColumn;

    @Option(names = "--definitions", paramLabel = "FILE")
    java.nio.file.Path definitions;

    @Option(names = "--join", paramLabel = "NAME")
    String join;

    @Option(names = "--version", paramLabel = "V")
    String version;

    @Option(names = "--format", defaultValue = "auto", paramLabel = "FMT", description = "auto, parquet or json")
    String format;

    @Mixin
    KafkaTarget kafka = new KafkaTarget();

    @Option(names = "--partitions", paramLabel = "N", description = "partitions if the topic must be created (default 1)")
    Integer partitions;

    @Option(names = "--dry-run", description = "show what would be published; publish nothing")
    boolean dryRun;

    @Override
    public Integer call() {
        PrintWriter out = out();
        PrintWriter err = err();
        JoinDefinition j = null;
        if (definitions != null || join != null) {
            if (definitions == null || join == null || version == null) {
                err.println("error: --definitions, --join and --version go together");
                return 2;
            }
            j = loadJoin(definitions, join, version);
            if (j == null) {
                return 2;
            }
        }
        List<String> ids = rowIds != null ? rowIds : j != null ? j.rowIds() : null;
        if (ids == null || ids.isEmpty()) {
            err.println("error: name the row id columns with --row-ids (or give --definitions/--join/--version)");
            return 2;
        }
        List<String> ks = keys != null ? keys : j != null ? j.keys() : List.of();
        KafkaTarget.Resolved target = dryRun ? null : kafka.resolve("publishing (or use --dry-run)");
        if (target != null && target.problem() != null) {
            err.println("error: " + target.problem());
            return 2;
        }
        try (Sessions.Handle h = session("splice publish-table " + topic)) {
            SparkSession spark = h.spark();
            Dataset<Row> df = read(spark, hadoopConf());
            df.createOrReplaceTempView("__splice_table");
            df = spark.sql("SELECT " + (select == null || select.isBlank() ? "*" : select) + " FROM __splice_table"
                    + (where == null || where.isBlank() ? "" : " WHERE " + where));
            List<String> needed = new ArrayList<>(new LinkedHashSet<>(ids));
            ks.stream().filter(k -> !needed.contains(k)).forEach(needed::add);
            needed.add(tsColumn);
            try {
                LeftRows.requireColumns(df, "the table" + (select == null ? "" : " (after --select)"), needed);
            } catch (IllegalArgumentException e) {
                err.println("error: " + e.getMessage() + (df.schema().getFieldIndex(tsColumn).isEmpty()
                        ? "; a row time is required: name it with --ts-column or add e.g. '..., 0 AS ts' to --select" : ""));
                return 2;
            }
            Set<String> fixed = new LinkedHashSet<>(needed);
            fixed.add(DayTable.DS);
            Map<String, FeatureDefinition> defined = new LinkedHashMap<>();
            if (j != null) {
                j.features().forEach(f -> defined.put(f.name(), f));
            }
            List<String> values = new ArrayList<>();
            List<String> ignored = new ArrayList<>();
            List<Column> valueCols = new ArrayList<>();
            for (StructField f : df.schema().fields()) {
                if (fixed.contains(f.name())) {
                    continue;
                }
                if (j != null && !defined.containsKey(f.name())) {
                    ignored.add(f.name());
                    continue;
                }
                Column c = j != null ? col(f.name()).cast(FeatureSpec.sparkType(defined.get(f.name()).type())) : scalar(f);
                if (c == null) {
                    err.printf("error: column '%s' has type %s; a FeatureRow value is boolean, int, long, float, double or string "
                            + "(cast it in --select, or leave it out)%n", f.name(), f.dataType().simpleString());
                    return 2;
                }
                values.add(f.name());
                valueCols.add(c.as(f.name()));
            }
            List<Column> sel = new ArrayList<>();
            sel.add(LeftRows.rowKey(ids).as("row_key"));
            sel.add(DayTable.epochMillis(df, tsColumn).as("ts"));
            ks.forEach(k -> sel.add(col(k).cast("string").as(k)));
            sel.addAll(valueCols);
            Dataset<Row> rows = df.select(sel.toArray(Column[]::new)).where(col("row_key").isNotNull());
            // compaction keeps one record per row key; make it the latest one, deterministically
            List<Column> rest = new ArrayList<>();
            rest.add(col("ts"));
            ks.forEach(k -> rest.add(col(k)));
            values.forEach(v -> rest.add(col(v)));
            List<Column> unpack = new ArrayList<>();
            unpack.add(col("row_key"));
            unpack.add(col("m.ts").as("ts"));
            ks.forEach(k -> unpack.add(col("m." + k).as(k)));
            values.forEach(v -> unpack.add(col("m." + v).as(v)));
            rows = rows.groupBy("row_key").agg(max(struct(rest.toArray(Column[]::new))).as("m")).select(unpack.toArray(Column[]::new));
            if (!ignored.isEmpty()) {
                out.printf("ignored (not features of %s): %s%n", j.id(), String.join(", ", ignored));
            }
            out.printf("values: %s; keys: %s; row ids: %s%n", values.isEmpty() ? "(none)" : String.join(", ", values),
                    ks.isEmpty() ? "(none)" : String.join(", ", ks), String.join(", ", ids));
            if (dryRun) {
                long n = rows.count();
                out.printf("Dry run: would publish %s rows to %s; first rows:%n", Fmt.count(n), topic);
                rows.limit(3).toJSON().collectAsList().forEach(s -> out.println("  " + s));
                return 0;
            }
            rows = rows.persist();
            long n = rows.count();
            KafkaPublisher publisher = target.publisher();
            int id = publisher.registerSchema(topic);
            publisher.ensureCompactedTopic(topic, partitions, List.of(), out);
            publisher.write(FeatureRowEncoder.encode(rows, id, ks, values, null), topic);
            rows.unpersist();
            out.printf("published %s rows to %s (FeatureRow, schema id %d, no part hashes)%n", Fmt.count(n), topic, id);
        }
        return 0;
    }

    /** The column as a FeatureRow scalar, or null when it has no scalar form. */
    static Column scalar(StructField f) {
        DataType t = f.dataType();
        Column c = col(f.name());
        if (t.equals(DataTypes.BooleanType) || t.equals(DataTypes.IntegerType) || t.equals(DataTypes.LongType)
                || t.equals(DataTypes.FloatType) || t.equals(DataTypes.DoubleType) || t.equals(DataTypes.StringType)) {
            return c;
        }
        if (t.equals(DataTypes.ByteType) || t.equals(DataTypes.ShortType)) {
            return c.cast("int");
        }
        if (t instanceof DecimalType) {
            return c.cast("double");
        }
        if (t.equals(DataTypes.TimestampType) || t.equals(DataTypes.TimestampNTZType)) {
            return unix_millis(c.cast(DataTypes.TimestampType));
        }
        if (t.equals(DataTypes.DateType)) {
            return c.cast("string");
        }
        return null;
    }

    private Dataset<Row> read(SparkSession spark, Configuration conf) {
        Path root = new Path(table);
        String fmt = format;
        if (fmt == null || "auto".equalsIgnoreCase(fmt)) {
            fmt = detect(root, conf);
        }
        spark.conf().set("spark.sql.sources.partitionColumnTypeInference.enabled", "false");
        return spark.read().format(fmt.toLowerCase(Locale.ROOT)).load(table);
    }

    private static String detect(Path root, Configuration conf) {
        try {
            FileSystem fs = root.getFileSystem(conf);
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
            while (it.hasNext()) {
                String n = it.next().getPath().getName().toLowerCase(Locale.ROOT);
                if (n.startsWith("_") || n.startsWith(".")) {
                    continue;
                }
                if (n.endsWith(".parquet")) {
                    return "parquet";
                }
                if (n.contains(".json") || n.endsWith(".ndjson")) {
                    return "json";
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
        return "parquet";
    }
}
