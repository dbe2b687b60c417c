package io.splice.backfill.compute;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * The main path: rows and events of a part are shuffled once by key and sorted by (key, time, rows-before-events);
 * one streaming pass per partition then computes every feature of the part for every row with a two-pointer sweep
 * per window (see {@link SweepFunction}). Cost: one sort plus O(events + rows) per feature, whatever the skew; memory:
 * the events inside the longest window of the current key.
 */
public final class SweepEngine implements FeatureEngine {
    private final int partitions;

    /** @param partitions shuffle partitions of the sweep; 0 uses {@code spark.sql.shuffle.partitions}. */
    public SweepEngine(int partitions) {
        this.partitions = partitions;
    }

    public SweepEngine() {
        this(0);
    }

    @Override
    public String name() {
        return "sweep";
    }

    @Override
    public Dataset<Row> compute(List<FeatureSpec> specs, Dataset<Row> rows, Dataset<Row> events, String keyColumn) {
        FeatureEngine.Union un = FeatureEngine.union(specs, rows, events, keyColumn);
        Dataset<Row> u = un.df();
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField(ROW_KEY, DataTypes.StringType, true));
        for (int i = 0; i < specs.size(); i++) {
            FeatureSpec f = specs.get(i);
            fields.add(DataTypes.createStructField(FeatureEngine.v(i), f.resultType(un.valueType(i)), true));
        }
        StructType outSchema = DataTypes.createStructType(fields);
        int n = partitions > 0 ? partitions
                : Integer.parseInt(u.sparkSession().conf().get("spark.sql.shuffle.partitions"));
        // sorting by a 64-bit hash of the key first lets Spark's prefix sort decide almost every comparison on the prefix
        Dataset<Row> sorted = u.repartition(n, col(K))
                .sortWithinPartitions(xxhash64(col(K)), col(K), col(T), col(KIND));
        Dataset<Row> raw = sorted.mapPartitions(new SweepFunction(specs.toArray(FeatureSpec[]::new), un.columnOf(), un.columns()),
                Encoders.row(outSchema));
        return FeatureEngine.project(specs, raw);
    }
}
