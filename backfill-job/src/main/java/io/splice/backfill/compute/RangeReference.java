package io.splice.backfill.compute;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * The reference implementation: one {@code RANGE BETWEEN window PRECEDING AND 1 PRECEDING} window function per
 * feature over rows and events ordered by time. Obviously correct, but Spark re-aggregates a sliding frame for every
 * input row, so it costs rows x frame size and collapses on hot keys. Used by the tests as the oracle and by the
 * benchmark as the baseline; select it with {@code --engine range}.
 */
public final class RangeReference implements FeatureEngine {
    @Override
    public String name() {
        return "range";
    }

    @Override
    public Dataset<Row> compute(List<FeatureSpec> specs, Dataset<Row> rows, Dataset<Row> events, String keyColumn) {
        FeatureEngine.Union un = FeatureEngine.union(specs, rows, events, keyColumn);
        Dataset<Row> u = un.df();
        List<Column> out = new ArrayList<>();
        out.add(col(KIND));
        out.add(col(ROW_KEY));
        for (int i = 0; i < specs.size(); i++) {
            FeatureSpec f = specs.get(i);
            WindowSpec w = Window.partitionBy(K).orderBy(T);
            w = f.unbounded() ? w.rangeBetween(Window.unboundedPreceding(), -1) : w.rangeBetween(-f.windowMillis(), -1);
            Column v = col(FeatureEngine.v(un.columnOf()[i]));
            Column agg = switch (f.agg()) {
                case COUNT -> count(v);
                case COUNT_DISTINCT -> collect_set(v);
                case SUM -> sum(v);
                case AVG -> avg(v);
                case MIN -> min(v);
                case MAX -> max(v);
                case LAST -> max_by(v, when(v.isNotNull(), struct(col(T), v)));
            };
            Column windowed = agg.over(w);
            if (f.agg() == io.splice.core.api.Aggregation.COUNT_DISTINCT) {
                windowed = size(windowed).cast("long");
            }
            out.add(windowed.as(FeatureEngine.v(i)));
        }
        Dataset<Row> windowed = u.select(out.toArray(Column[]::new)).where(col(KIND).equalTo(KIND_ROW));
        return FeatureEngine.project(specs, windowed);
    }
}
