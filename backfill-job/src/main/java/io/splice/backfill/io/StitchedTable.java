package io.splice.backfill.io;

import io.splice.core.offline.LatestRevision;
import io.splice.core.offline.OfflineColumns;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.struct;

/**
 * The stitched offline table (the S3 sink's output) as Spark reads it: {@code <stitched>/<feature group>/ds=…} or
 * {@code <stitched>/ds=…}, folded to the latest revision of every row in core's {@link LatestRevision} order (the
 * greatest {@code (kafka_partition, kafka_offset)}). Used by {@code --only-uncovered} and {@code splice validate}.
 */
public final class StitchedTable {
    private final DayTable table;

    private StitchedTable(DayTable table) {
        this.table = table;
    }

    /** The table under {@code <stitched>/<featureGroup>} when that folder exists, else {@code stitched} itself. */
    public static StitchedTable at(String stitched, String featureGroup, Configuration conf) {
        DayTable t = DayTable.at(stitched.replaceAll("/+$", "") + "/" + featureGroup, conf);
        return new StitchedTable(t.exists() ? t : DayTable.at(stitched, conf));
    }

    public String root() {
        return table.root();
    }

    public boolean exists() {
        return table.exists();
    }

    /** Whether the table has {@code ds=} partitions. */
    public boolean partitioned() {
        return table.exists() && !table.days().isEmpty();
    }

    /**
     * Every record of the given days (the whole table when it is not partitioned by {@code ds}); null when there is
     * nothing to read.
     */
    public Dataset<Row> read(SparkSession spark, Collection<LocalDate> days) {
        if (!table.exists()) {
            return null;
        }
        String format = table.format(null);
        if (table.days().isEmpty()) {
            return spark.read().format(format).load(table.root());
        }
        return table.read(spark, days, format);
    }

    /**
     * The latest record of every row of {@code raw}: columns {@code row_key}, the {@code payload} columns (each given
     * a name with {@code as}) and {@code is_deleted} (true: the row is deleted). Throws IllegalArgumentException naming the
     * missing columns when {@code raw} lacks what the order needs or {@code needed}.
     */
    public Dataset<Row> latest(Dataset<Row> raw, List<String> needed, Column... payload) {
        List<String> cols = Arrays.asList(raw.columns());
        List<String> missing = new ArrayList<>(LatestRevision.missing(cols));
        needed.stream().filter(c -> !cols.contains(c) && !missing.contains(c)).forEach(missing::add);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("stitched output " + table.root() + " has no column(s) "
                    + String.join(", ", missing) + " (the S3 offline sink writes them); columns are " + String.join(", ", cols));
        }
        List<Column> fields = new ArrayList<>(Arrays.asList(payload));
        fields.add(col(OfflineColumns.IS_DELETED).cast("boolean").as(OfflineColumns.IS_DELETED));
        return raw.groupBy(col(OfflineColumns.ROW_KEY))
                .agg(max_by(struct(fields.toArray(Column[]::new)), expr(LatestRevision.orderKeySql())).as("l"))
                .select(col(OfflineColumns.ROW_KEY), col("l.*"));
    }
}
