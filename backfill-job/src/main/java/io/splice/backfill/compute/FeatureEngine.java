package io.splice.backfill.compute;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * Computes one part's features for a set of left rows, point-in-time correct: a row at time {@code t} aggregates the
 * events of its key with {@code t - window <= ts < t}.
 *
 * <p>Inputs: {@code rows} with columns {@code row_key}, {@value #T} (epoch ms) and the part's key column;
 * {@code events} with the key column, {@value #T} and whatever the features' {@code of}/{@code where} read. Output:
 * {@code row_key} plus one column per feature, cast to its declared type, one row per input row.
 */
public interface FeatureEngine {
    String K = "__k";
    String T = "__t";
    String KIND = "__kind";
    String ROW_KEY = "row_key";
    /** Sort order at equal time: the row first, so an event at exactly the row's time is not yet in its window. */
    int KIND_ROW = 0;
    int KIND_EVENT = 1;

    Dataset<Row> compute(List<FeatureSpec> specs, Dataset<Row> rows, Dataset<Row> events, String keyColumn);

    String name();

    /** The names {@link #named} knows. */
    List<String> NAMES = List.of("sweep", "range");

    static FeatureEngine named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "sweep" -> new SweepEngine();
            case "range" -> new RangeReference();
            default -> throw new IllegalArgumentException("unknown engine '" + name + "' (expected " + String.join(" or ", NAMES) + ")");
        };
    }

    static String v(int i) {
        return "__v" + i;
    }

    /** Rows and events in one frame, and which value column ({@code __v<n>}) each feature reads. */
    record Union(Dataset<Row> df, int[] columnOf, int columns) {
        DataType valueType(int feature) {
            return df.schema().fields()[4 + columnOf[feature]].dataType();
        }
    }

    /**
     * Rows and events in one frame: {@value #K}, {@value #T}, {@value #KIND}, {@code row_key}, {@code __v0..}. Features
     * whose value expressions are identical (e.g. sum and max of {@code amount} without filter) share one column, so
     * the shuffle carries each distinct value once. Events with a null key never count; rows with a null key still
     * get results (over an empty window).
     */
    static Union union(List<FeatureSpec> specs, Dataset<Row> rows, Dataset<Row> events, String keyColumn) {
        List<Column> ev = new ArrayList<>();
        ev.add(col(keyColumn).cast("string").as(K));
        ev.add(col(T).cast("long").as(T));
        ev.add(lit(KIND_EVENT).as(KIND));
        ev.add(lit(null).cast("string").as(ROW_KEY));
        java.util.Map<String, Integer> distinct = new java.util.LinkedHashMap<>();
        int[] columnOf = new int[specs.size()];
        for (int i = 0; i < specs.size(); i++) {
            Column c = specs.get(i).valueColumn();
            String sig = c.toString();
            Integer at = distinct.get(sig);
            if (at == null) {
                at = distinct.size();
                distinct.put(sig, at);
                ev.add(c.as(v(at)));
            }
            columnOf[i] = at;
        }
        Dataset<Row> e = events.where(col(keyColumn).isNotNull()).select(ev.toArray(Column[]::new));
        List<Column> rs = new ArrayList<>();
        rs.add(col(keyColumn).cast("string").as(K));
        rs.add(col(T).cast("long").as(T));
        rs.add(lit(KIND_ROW).as(KIND));
        rs.add(col(ROW_KEY).cast("string").as(ROW_KEY));
        StructField[] fields = e.schema().fields();
        for (int c = 0; c < distinct.size(); c++) {
            rs.add(lit(null).cast(fields[4 + c].dataType()).as(v(c)));
        }
        return new Union(rows.select(rs.toArray(Column[]::new)).unionByName(e), columnOf, distinct.size());
    }

    /** The final projection: {@code row_key} and every feature cast to its declared type. */
    static Dataset<Row> project(List<FeatureSpec> specs, Dataset<Row> raw) {
        List<Column> out = new ArrayList<>();
        out.add(col(ROW_KEY));
        for (int i = 0; i < specs.size(); i++) {
            out.add(col(v(i)).cast(specs.get(i).declaredType()).as(specs.get(i).name()));
        }
        return raw.select(out.toArray(Column[]::new));
    }

}
