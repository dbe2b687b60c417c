package io.splice.backfill.compute;

import io.splice.backfill.io.DayTable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

/** The left rows of a join (row ids, keys, time) prepared for the engines. */
public final class LeftRows {
    private LeftRows() {
    }

    /**
     * The row key as {@code JoinPlan.rowKey} builds it: the single row id's string value, or the compact JSON array
     * of the string values in declared order ({@code ["r1","2025-10-01"]}).
     */
    public static Column rowKey(List<String> rowIds) {
        if (rowIds.size() == 1) {
            return col(rowIds.get(0)).cast("string");
        }
        return to_json(array(rowIds.stream().map(c -> col(c).cast("string")).toArray(Column[]::new)));
    }

    public static void requireColumns(Dataset<Row> df, String what, List<String> needed) {
        List<String> have = Arrays.asList(df.columns());
        List<String> missing = needed.stream().filter(c -> !have.contains(c)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(what + " lacks column" + (missing.size() == 1 ? " " : "s ") + missing
                    + "; its columns are " + String.join(", ", have));
        }
    }

    /**
     * Columns {@code row_key, __t, <keys as strings>, ds}: rows without a complete row id are skipped, and of several
     * rows with the same row key the latest (then greatest) one is kept, as compaction would.
     */
    public static Dataset<Row> prepare(Dataset<Row> raw, List<String> rowIds, List<String> keys, String tsColumn) {
        Set<String> needed = new LinkedHashSet<>(rowIds);
        needed.addAll(keys);
        needed.add(tsColumn);
        requireColumns(raw, "the left table", new ArrayList<>(needed));
        Column valid = null;
        for (String id : rowIds) {
            Column c = col(id).isNotNull().and(length(col(id).cast("string")).gt(0));
            valid = valid == null ? c : valid.and(c);
        }
        List<Column> sel = new ArrayList<>();
        sel.add(rowKey(rowIds).as(FeatureEngine.ROW_KEY));
        sel.add(DayTable.epochMillis(raw, tsColumn).as(FeatureEngine.T));
        for (String k : keys) {
            sel.add(col(k).cast("string").as(k));
        }
        sel.add(col(DayTable.DS));
        Dataset<Row> rows = raw.where(valid).select(sel.toArray(Column[]::new)).where(col(FeatureEngine.T).isNotNull());
        List<Column> rest = new ArrayList<>();
        rest.add(col(FeatureEngine.T));
        rest.add(col(DayTable.DS));
        keys.forEach(k -> rest.add(col(k)));
        List<Column> out = new ArrayList<>();
        out.add(col(FeatureEngine.ROW_KEY));
        out.add(col("m." + FeatureEngine.T).as(FeatureEngine.T));
        keys.forEach(k -> out.add(col("m." + k).as(k)));
        out.add(col("m." + DayTable.DS).as(DayTable.DS));
        return rows.groupBy(col(FeatureEngine.ROW_KEY)).agg(max(struct(rest.toArray(Column[]::new))).as("m"))
                .select(out.toArray(Column[]::new));
    }
}
