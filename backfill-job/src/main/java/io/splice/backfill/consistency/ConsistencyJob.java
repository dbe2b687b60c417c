package io.splice.backfill.consistency;

import io.splice.backfill.io.DayTable;
import io.splice.backfill.io.StitchedTable;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.PartDefinition;
import io.splice.core.definitions.SemanticHasher;
import io.splice.core.merge.Consistency;
import io.splice.core.merge.MergeRules;
import io.splice.core.merge.SourceLabel;
import io.splice.core.offline.OfflineColumns;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;

/**
 * The offline side of online/offline consistency: for every live row of the days, its latest revision in the
 * offline table (core's order) holds the served value of each feature whose source is {@code log}; the backfill's
 * output holds the computed value of the same row. Both valid for the part's current hash, they are compared with
 * core's {@link Consistency} rule, then counted per day (the row's {@code ds}) and feature.
 */
public final class ConsistencyJob {
    private static final String O = "__o_";
    private static final String B = "__b_";
    private static final StructType COMPARED = new StructType()
            .add("ds", DataTypes.StringType, false)
            .add("fidx", DataTypes.IntegerType, false)
            .add("feature", DataTypes.StringType, false)
            .add("row_key", DataTypes.StringType, false)
            .add("mismatch", DataTypes.BooleanType, false)
            .add("abs_diff", DataTypes.DoubleType, true)
            .add("log", DataTypes.StringType, true)
            .add("backfill", DataTypes.StringType, true);

    private ConsistencyJob() {
    }

    public static ConsistencyReport run(SparkSession spark, JoinDefinition join, StitchedTable offline, DayTable backfill,
                                        Collection<LocalDate> days, double tolerance, int examples) {
        List<FeatureDefinition> features = join.features();
        Dataset<Row> raw = offline.read(spark, days);
        Dataset<Row> bf = backfill.read(spark, days, "parquet");
        List<ConsistencyReport.Cell> cells = new ArrayList<>();
        if (raw == null || bf == null) {
            return new ConsistencyReport(join.id(), tolerance, offline.root(), backfill.root(), cells);
        }
        List<Column> payload = new ArrayList<>();
        payload.add(Arrays.asList(raw.columns()).contains(OfflineColumns.DS) ? col(OfflineColumns.DS).cast("string").as("ds")
                : to_date(col(OfflineColumns.TS)).cast("string").as("ds"));
        payload.add(col(OfflineColumns.SOURCES).as("sources"));
        payload.add(col(OfflineColumns.PART_HASHES).as("o_hashes"));
        List<String> needed = new ArrayList<>(List.of(OfflineColumns.SOURCES, OfflineColumns.PART_HASHES));
        for (FeatureDefinition f : features) {
            payload.add(col(f.name()).as(O + f.name()));
            needed.add(f.name());
        }
        Dataset<Row> latest = offline.latest(raw, needed, payload.toArray(Column[]::new))
                .where(col(OfflineColumns.IS_DELETED).equalTo(false));
        List<Column> bcols = new ArrayList<>();
        bcols.add(col(OfflineColumns.ROW_KEY));
        bcols.add(Arrays.asList(bf.columns()).contains(OfflineColumns.PART_HASHES) ? col(OfflineColumns.PART_HASHES).as("b_hashes")
                : lit(null).cast("map<string,string>").as("b_hashes"));
        for (FeatureDefinition f : features) {
            bcols.add(Arrays.asList(bf.columns()).contains(f.name()) ? col(f.name()).as(B + f.name())
                    : lit(null).as(B + f.name()));
        }
        // one computed row per row key (a day is written once per backfill run)
        Dataset<Row> computed = bf.select(bcols.toArray(Column[]::new)).dropDuplicates(OfflineColumns.ROW_KEY);
        Dataset<Row> joined = latest.join(computed, OfflineColumns.ROW_KEY);
        Dataset<Row> pairs = joined.flatMap(new Compare(join, joined.schema(), tolerance), Encoders.row(COMPARED)).cache();
        try {
            Map<String, List<ConsistencyReport.Example>> ex = new HashMap<>();
            if (examples > 0) {
                for (Row r : pairs.where(col("mismatch"))
                        .withColumn("rn", row_number().over(Window.partitionBy("ds", "feature").orderBy("row_key")))
                        .where(col("rn").leq(examples)).orderBy("ds", "fidx", "rn").collectAsList()) {
                    ex.computeIfAbsent(r.getString(0) + "\u0000" + r.getString(2), k -> new ArrayList<>())
                            .add(new ConsistencyReport.Example(r.getString(3), r.getString(6), r.getString(7)));
                }
            }
            for (Row r : pairs.groupBy("ds", "fidx", "feature")
                    .agg(count(lit(1)), sum(when(col("mismatch"), 1L).otherwise(0L)), avg("abs_diff"), max("abs_diff"))
                    .orderBy("ds", "fidx").collectAsList()) {
                cells.add(new ConsistencyReport.Cell(r.getString(0), r.getString(2), r.getLong(3), r.getLong(4),
                        r.isNullAt(5) ? null : r.getDouble(5), r.isNullAt(6) ? null : r.getDouble(6),
                        List.copyOf(ex.getOrDefault(r.getString(0) + "\u0000" + r.getString(2), List.of()))));
            }
        } finally {
            pairs.unpersist();
        }
        return new ConsistencyReport(join.id(), tolerance, offline.root(), backfill.root(), cells);
    }

    /** Compares one joined row's served and computed values, feature by feature (core's rule). */
    private static final class Compare implements FlatMapFunction<Row, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final String[] parts;
        private final String[] hashes;
        private final String[][] features;
        private final int[][] featureIndex;
        private final int[][] oCol;
        private final int[][] bCol;
        private final int ds;
        private final int rowKey;
        private final int sources;
        private final int oHashes;
        private final int bHashes;
        private final double tolerance;

        Compare(JoinDefinition join, StructType schema, double tolerance) {
            Map<String, String> h = SemanticHasher.hashes(join);
            List<PartDefinition> ps = join.parts().stream().filter(p -> !p.external()).toList();
            List<String> all = join.features().stream().map(FeatureDefinition::name).toList();
            parts = ps.stream().map(PartDefinition::name).toArray(String[]::new);
            hashes = ps.stream().map(p -> h.get(p.name())).toArray(String[]::new);
            features = ps.stream().map(p -> p.featureNames().toArray(String[]::new)).toArray(String[][]::new);
            featureIndex = new int[parts.length][];
            oCol = new int[parts.length][];
            bCol = new int[parts.length][];
            for (int i = 0; i < parts.length; i++) {
                featureIndex[i] = Arrays.stream(features[i]).mapToInt(all::indexOf).toArray();
                oCol[i] = Arrays.stream(features[i]).mapToInt(f -> schema.fieldIndex(O + f)).toArray();
                bCol[i] = Arrays.stream(features[i]).mapToInt(f -> schema.fieldIndex(B + f)).toArray();
            }
            ds = schema.fieldIndex("ds");
            rowKey = schema.fieldIndex(OfflineColumns.ROW_KEY);
            sources = schema.fieldIndex("sources");
            oHashes = schema.fieldIndex("o_hashes");
            bHashes = schema.fieldIndex("b_hashes");
            this.tolerance = tolerance;
        }

        @Override
        public Iterator<Row> call(Row r) {
            List<Row> out = new ArrayList<>();
            Map<String, String> src = r.isNullAt(sources) ? Map.of() : r.getJavaMap(sources);
            Map<String, String> oh = r.isNullAt(oHashes) ? null : r.getJavaMap(oHashes);
            Map<String, String> bh = r.isNullAt(bHashes) ? null : r.getJavaMap(bHashes);
            for (int i = 0; i < parts.length; i++) {
                // the served value counts when the row was stitched under the part's current hash (the log is
                // always hashed); the computed one under rule 1 (a plain table counts for every part)
                if (!MergeRules.validFor(oh, hashes[i], parts[i], true) || !MergeRules.validFor(bh, hashes[i], parts[i], false)) {
                    continue;
                }
                for (int k = 0; k < features[i].length; k++) {
                    if (!SourceLabel.LOG.equals(src.get(features[i][k]))) {
                        continue;
                    }
                    Object served = r.get(oCol[i][k]);
                    Object computed = r.get(bCol[i][k]);
                    Consistency.Comparison c = Consistency.comparison(parts[i], features[i][k], served, computed, tolerance);
                    out.add(RowFactory.create(r.getString(ds), featureIndex[i][k], features[i][k], r.getString(rowKey),
                            c.mismatch(), c.absDiff(), served == null ? null : served.toString(),
                            computed == null ? null : computed.toString()));
                }
            }
            return out.iterator();
        }
    }
}
