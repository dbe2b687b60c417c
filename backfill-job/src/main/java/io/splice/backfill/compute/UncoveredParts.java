package io.splice.backfill.compute;

import io.splice.backfill.io.StitchedTable;
import io.splice.core.api.PartDefinition;
import io.splice.core.merge.PartCoverage;
import io.splice.core.offline.OfflineColumns;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * Hole filling (DESIGN §5.2): which rows still need a part backfilled, judged from the stitched offline output. A part
 * is covered for a row when the row's latest stitched revision is live, was stitched with the part's current hash, and
 * took every feature of the part from a bootstrap part or the log. A covered part is never taken from the backfill,
 * so computing it would be wasted work. (What a backfill run reads to find the parts each row still needs, per row;
 * not the report of where served values came from.)
 */
public final class UncoveredParts {
    private UncoveredParts() {
    }

    /** The coverage rule for one stitched row: core's {@link PartCoverage#coveredIn} ({@code partHashes} null: unknown, not checked). */
    public static boolean covered(PartDefinition part, String currentHash, Map<String, String> sources,
                                  Map<String, String> partHashes, boolean deleted) {
        return PartCoverage.coveredIn(part, currentHash, sources, partHashes, deleted);
    }

    /**
     * The stitched output's latest revision per row (columns row_key, sources, part_hashes, is_deleted) in core's
     * {@link io.splice.core.offline.LatestRevision} order, read from {@code <stitched>/<feature group>} when that
     * folder exists, else from {@code stitched} itself; only the given days when the table is partitioned by
     * {@code ds}. Null when there is nothing to read.
     */
    public static Dataset<Row> latest(SparkSession spark, Configuration conf, String stitched, String featureGroup,
                                      Collection<LocalDate> days) {
        StitchedTable t = StitchedTable.at(stitched, featureGroup, conf);
        Dataset<Row> raw = t.read(spark, days);
        if (raw == null) {
            return null;
        }
        Column hashes = Arrays.asList(raw.columns()).contains(OfflineColumns.PART_HASHES) ? col(OfflineColumns.PART_HASHES)
                : lit(null).cast(DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType));
        return t.latest(raw, List.of(OfflineColumns.SOURCES), col(OfflineColumns.SOURCES).as("sources"),
                hashes.as("part_hashes"));
    }

    public static String needColumn(PartDefinition p) {
        return "__need_" + p.name();
    }

    /**
     * {@code left} plus one boolean column {@code __need_<part>} per part (true: not covered, or in the consistency
     * sample: compute it) and {@link #SAMPLED} (the row is in the consistency sample of {@code consistencySample}).
     */
    public static Dataset<Row> needs(Dataset<Row> left, Dataset<Row> latest, List<PartDefinition> parts,
                                     Map<String, String> hashes, double consistencySample) {
        Dataset<Row> needs = needs(left, latest, parts, hashes);
        Column sampled = consistencySample > 0
                ? RowSample.keeps(consistencySample, RowSample.CONSISTENCY_SEED, col(FeatureEngine.ROW_KEY)) : lit(false);
        needs = needs.withColumn(SAMPLED, sampled);
        for (PartDefinition p : parts) {
            needs = needs.withColumn(needColumn(p), col(needColumn(p)).or(col(SAMPLED)));
        }
        return needs;
    }

    /** Whether a row is in the consistency sample (computed although covered). */
    public static final String SAMPLED = "__consistency_sample";

    /** {@code left} plus one boolean column {@code __need_<part>} per part (true: not covered, compute it). */
    static Dataset<Row> needs(Dataset<Row> left, Dataset<Row> latest, List<PartDefinition> parts,
                              Map<String, String> hashes) {
        Dataset<Row> joined = latest == null
                ? left.withColumn("__sources", lit(null).cast(DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType)))
                        .withColumn("__part_hashes", lit(null).cast(DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType)))
                        .withColumn("__is_deleted", lit(false))
                : left.join(latest.select(col("row_key"), col("sources").as("__sources"),
                        col("part_hashes").as("__part_hashes"), col("is_deleted").as("__is_deleted")), "row_key", "left");
        StructType in = joined.schema();
        int nLeft = left.schema().size();
        List<StructField> fields = new ArrayList<>(Arrays.asList(in.fields()).subList(0, nLeft));
        for (PartDefinition p : parts) {
            fields.add(DataTypes.createStructField(needColumn(p), DataTypes.BooleanType, false));
        }
        List<String> leftCols = Arrays.asList(joined.columns()).subList(0, nLeft);
        List<Column> select = new ArrayList<>();
        leftCols.forEach(c -> select.add(col(c)));
        select.add(col("__sources"));
        select.add(col("__part_hashes"));
        select.add(col("__is_deleted"));
        String[] hashArr = parts.stream().map(p -> hashes.get(p.name())).toArray(String[]::new);
        return joined.select(select.toArray(Column[]::new)).mapPartitions(
                new NeedFunction(nLeft, parts.stream().map(PartDefinition::name).toArray(String[]::new),
                        parts.stream().map(p -> p.featureNames().toArray(String[]::new)).toArray(String[][]::new), hashArr),
                Encoders.row(DataTypes.createStructType(fields)));
    }

    private static final class NeedFunction implements MapPartitionsFunction<Row, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final int nLeft;
        private final String[] parts;
        private final String[][] features;
        private final String[] hashes;

        NeedFunction(int nLeft, String[] parts, String[][] features, String[] hashes) {
            this.nLeft = nLeft;
            this.parts = parts;
            this.features = features;
            this.hashes = hashes;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> it) {
            return new Iterator<>() {
                public boolean hasNext() {
                    return it.hasNext();
                }

                public Row next() {
                    Row r = it.next();
                    Map<String, String> sources = r.isNullAt(nLeft) ? null : r.getJavaMap(nLeft);
                    Map<String, String> ph = r.isNullAt(nLeft + 1) ? null : r.getJavaMap(nLeft + 1);
                    boolean deleted = !r.isNullAt(nLeft + 2) && r.getBoolean(nLeft + 2);
                    Object[] out = new Object[nLeft + parts.length];
                    for (int i = 0; i < nLeft; i++) {
                        out[i] = r.get(i);
                    }
                    for (int i = 0; i < parts.length; i++) {
                        out[nLeft + i] = !PartCoverage.coveredIn(parts[i], features[i], hashes[i], sources, ph, deleted);
                    }
                    return RowFactory.create(out);
                }
            };
        }
    }
}
