package io.splice.backfill.compute;

import io.splice.backfill.TestSpark;
import io.splice.core.api.Aggregation;
import io.splice.core.api.FeatureType;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.hash;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sweep against hand-computed values and against the RANGE BETWEEN reference on generated data. */
class SweepEngineTest {
    static final long MIN = 60_000L;
    static final long HOUR = 60 * MIN;
    static final long T = 1_759_300_000_000L - 1_759_300_000_000L % HOUR; // an hour boundary
    static final StructType EVENTS = DataTypes.createStructType(List.of(
            DataTypes.createStructField("card_id", DataTypes.StringType, true),
            DataTypes.createStructField("merchant_id", DataTypes.StringType, true),
            DataTypes.createStructField("amount", DataTypes.DoubleType, true),
            DataTypes.createStructField("cents", DataTypes.LongType, true),
            DataTypes.createStructField("status", DataTypes.StringType, true),
            DataTypes.createStructField(FeatureEngine.T, DataTypes.LongType, false)));
    static final StructType ROWS = DataTypes.createStructType(List.of(
            DataTypes.createStructField(FeatureEngine.ROW_KEY, DataTypes.StringType, false),
            DataTypes.createStructField(FeatureEngine.T, DataTypes.LongType, false),
            DataTypes.createStructField("card_id", DataTypes.StringType, true)));

    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = TestSpark.session();
    }

    static FeatureSpec spec(String name, Aggregation agg, FeatureType type, String of, String where, long window) {
        return new FeatureSpec(name, agg, type, of, where, window);
    }

    static final List<FeatureSpec> ALL_AGGS_1H = List.of(
            spec("cnt", Aggregation.COUNT, FeatureType.LONG, null, null, HOUR),
            spec("approved_sum", Aggregation.SUM, FeatureType.DOUBLE, "amount", "status = 'APPROVED'", HOUR),
            spec("max_amt", Aggregation.MAX, FeatureType.DOUBLE, "amount", null, HOUR),
            spec("min_amt", Aggregation.MIN, FeatureType.DOUBLE, "amount", null, HOUR),
            spec("avg_amt", Aggregation.AVG, FeatureType.DOUBLE, "amount", null, HOUR),
            spec("last_status", Aggregation.LAST, FeatureType.STRING, "status", null, HOUR),
            spec("merchants", Aggregation.COUNT_DISTINCT, FeatureType.LONG, "merchant_id", null, HOUR),
            spec("cents_all", Aggregation.SUM, FeatureType.LONG, "cents", null, FeatureSpec.UNBOUNDED),
            spec("cnt_all", Aggregation.COUNT, FeatureType.LONG, null, null, FeatureSpec.UNBOUNDED));

    static Row ev(String card, String merchant, double amount, String status, long ts) {
        return RowFactory.create(card, merchant, amount, Math.round(amount * 100), status, ts);
    }

    static Map<String, Row> byKey(Dataset<Row> result) {
        Map<String, Row> m = new HashMap<>();
        result.collectAsList().forEach(r -> m.put(r.getString(0), r));
        return m;
    }

    @Test
    @DisplayName("a row at t sees events in [t - window, t): not the one at t, the one at exactly t - window, ties resolved")
    void handComputedEdges() {
        // Given events of card c1 at t (excluded), t - 1h (included), t - 1h - 1 ms (outside 1h, inside unbounded),
        // and two at t - 10 ms (a tie for last)
        Dataset<Row> events = spark.createDataFrame(List.of(
                ev("c1", "m1", 100, "APPROVED", T),
                ev("c1", "m2", 5, "DECLINED", T - HOUR),
                ev("c1", "m3", 1000, "APPROVED", T - HOUR - 1),
                ev("c1", "m1", 7, "APPROVED", T - 10),
                ev("c1", "m2", 3, "PENDING", T - 10),
                ev(null, "m9", 50, "APPROVED", T - 5)), EVENTS);
        Dataset<Row> rows = spark.createDataFrame(List.of(
                RowFactory.create("r1", T, "c1"),
                RowFactory.create("r0", T - HOUR, "c1"),
                RowFactory.create("r2", T, "c2"),
                RowFactory.create("r3", T, null)), ROWS);
        for (FeatureEngine engine : List.of(new SweepEngine(), new RangeReference())) {
            // When
            Map<String, Row> out = byKey(engine.compute(ALL_AGGS_1H, rows, events, "card_id"));
            // Then
            String e = engine.name() + ": ";
            Row r1 = out.get("r1");
            assertEquals(3L, r1.getLong(1), e + "count over e(t-1h), e(t-10) x2");
            assertEquals(7.0, r1.getDouble(2), e + "sum of APPROVED amounts");
            assertEquals(7.0, r1.getDouble(3), e + "max");
            assertEquals(3.0, r1.getDouble(4), e + "min");
            assertEquals(5.0, r1.getDouble(5), e + "avg");
            assertEquals("PENDING", r1.getString(6), e + "last: tie at t-10 goes to the greatest value");
            assertEquals(2L, r1.getLong(7), e + "distinct merchants m1, m2");
            assertEquals(101_500L, r1.getLong(8), e + "unbounded sum excludes only the event at t");
            assertEquals(4L, r1.getLong(9), e + "unbounded count");
            Row r0 = out.get("r0");
            assertEquals(1L, r0.getLong(1), e + "the row at t-1h sees only the event 1 ms before its window's end");
            assertEquals(1000.0, r0.getDouble(2), e);
            assertEquals("APPROVED", r0.getString(6), e);
            for (String empty : List.of("r2", "r3")) {
                Row r = out.get(empty);
                assertEquals(0L, r.getLong(1), e + empty + " count over no events");
                assertTrue(r.isNullAt(2) && r.isNullAt(3) && r.isNullAt(4) && r.isNullAt(5) && r.isNullAt(6), e + empty);
                assertEquals(0L, r.getLong(7), e + empty + " count_distinct over no events");
                assertNull(r.get(8), e + empty + " sum over no events is null");
            }
            assertEquals(4, out.size(), e + "one output per row");
        }
    }

    @Test
    @DisplayName("on generated data with a hot key and times on a shared grid, the sweep equals the RANGE reference")
    void matchesReferenceOnGeneratedData() {
        // Given 2500 events over 3 days for 6 cards (one hot), times on a 10-minute grid so that events fall exactly
        // at row times and at window edges; amounts are multiples of 0.25 so sums are exact
        Dataset<Row> events = spark.range(2500).select(
                when(pmod(hash(col("id"), lit(1)), lit(3)).equalTo(0), lit("hot"))
                        .otherwise(concat(lit("c"), pmod(hash(col("id"), lit(2)), lit(5)))).as("card_id"),
                concat(lit("m"), pmod(hash(col("id"), lit(6)), lit(7))).as("merchant_id"),
                when(pmod(hash(col("id"), lit(4)), lit(20)).equalTo(0), lit(null).cast("double"))
                        .otherwise(pmod(hash(col("id"), lit(5)), lit(400)).multiply(0.25)).as("amount"),
                element_at(array(lit("APPROVED"), lit("DECLINED"), lit("PENDING")), pmod(hash(col("id"), lit(7)), lit(3)).plus(1)).as("status"),
                lit(T).plus(pmod(hash(col("id"), lit(3)), lit(3 * 24 * 6)).multiply(10 * MIN)).as(FeatureEngine.T))
                .withColumn("cents", round(col("amount").multiply(100)).cast("long"));
        Dataset<Row> rows = spark.range(400).select(
                concat(lit("r"), col("id")).as(FeatureEngine.ROW_KEY),
                lit(T).plus(pmod(hash(col("id"), lit(8)), lit(3 * 24 * 6 + 12)).multiply(10 * MIN)).as(FeatureEngine.T),
                when(pmod(hash(col("id"), lit(9)), lit(3)).equalTo(0), lit("hot")) // c5 has no events
                        .otherwise(concat(lit("c"), pmod(hash(col("id"), lit(10)), lit(6)))).as("card_id"));
        List<FeatureSpec> specs = new ArrayList<>(ALL_AGGS_1H);
        specs.add(spec("cnt_30m", Aggregation.COUNT, FeatureType.INT, "amount", null, 30 * MIN));
        specs.add(spec("sum_1d", Aggregation.SUM, FeatureType.DOUBLE, "amount", "status <> 'DECLINED'", 24 * HOUR));
        specs.add(spec("max_status_1d", Aggregation.MAX, FeatureType.STRING, "status", null, 24 * HOUR));
        specs.add(spec("min_cents_2d", Aggregation.MIN, FeatureType.LONG, "cents", "status = 'APPROVED'", 48 * HOUR));
        specs.add(spec("avg_all", Aggregation.AVG, FeatureType.DOUBLE, "amount", null, FeatureSpec.UNBOUNDED));
        specs.add(spec("last_amount_1d", Aggregation.LAST, FeatureType.DOUBLE, "amount", "status = 'APPROVED'", 24 * HOUR));
        specs.add(spec("distinct_status_1d", Aggregation.COUNT_DISTINCT, FeatureType.LONG, "status", "amount > 50", 24 * HOUR));
        // When
        Map<String, Row> sweep = byKey(new SweepEngine().compute(specs, rows, events, "card_id"));
        Map<String, Row> ref = byKey(new RangeReference().compute(specs, rows, events, "card_id"));
        // Then
        assertEquals(400, sweep.size());
        assertEquals(ref.keySet(), sweep.keySet());
        int nonTrivial = 0;
        for (String k : ref.keySet()) {
            Row a = sweep.get(k);
            Row b = ref.get(k);
            for (int i = 1; i <= specs.size(); i++) {
                assertEquals(b.get(i), a.get(i), "row " + k + " feature " + specs.get(i - 1).name());
            }
            if (b.getLong(1) > 0) {
                nonTrivial++;
            }
        }
        assertTrue(nonTrivial > 100, "most rows have events in their 1h window: " + nonTrivial);
    }
}
