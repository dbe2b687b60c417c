package io.splice.backfill.compute;

import io.splice.core.api.Aggregation;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.FeatureType;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import java.io.Serializable;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

/**
 * One computed feature, compiled for both engines. Each event carries, per feature, one "value" column that is null
 * when the event does not count for the feature (its {@code where} is false or null, or its {@code of} is null):
 * <ul>
 *   <li>count: 1; sum: the value as long (int/long features) or double; avg: double;</li>
 *   <li>min, max, last: the value cast to the declared type; count_distinct: the value as it is.</li>
 * </ul>
 * Results over an empty window follow SQL: count and count_distinct give 0, the others null. {@code last} is the value
 * of the latest counting event; among events at the same millisecond the greatest value wins (deterministic).
 */
public record FeatureSpec(String name, Aggregation agg, FeatureType type, String of, String where, long windowMillis)
        implements Serializable {

    /** windowMillis of an unbounded feature (no {@code window}). */
    public static final long UNBOUNDED = -1L;

    public static FeatureSpec of(FeatureDefinition f) {
        return new FeatureSpec(f.name(), f.agg(), f.type(), f.of(), f.where(),
                f.window() == null ? UNBOUNDED : f.window().millis());
    }

    public boolean unbounded() {
        return windowMillis == UNBOUNDED;
    }

    /** Spark type of a declared feature type. */
    public static DataType sparkType(FeatureType t) {
        return switch (t) {
            case BOOLEAN -> DataTypes.BooleanType;
            case INT -> DataTypes.IntegerType;
            case LONG -> DataTypes.LongType;
            case FLOAT -> DataTypes.FloatType;
            case DOUBLE -> DataTypes.DoubleType;
            case STRING -> DataTypes.StringType;
        };
    }

    public DataType declaredType() {
        return sparkType(type);
    }

    /** Whether a sum is computed exactly in long arithmetic. */
    boolean integralSum() {
        return type == FeatureType.INT || type == FeatureType.LONG;
    }

    /**
     * The per-event value column (null when the event does not count), evaluated over the source table's columns;
     * {@code valueType} is its type, needed to build the matching null column on the left rows' side.
     */
    public Column valueColumn() {
        Column included = where == null || where.isBlank() ? lit(true) : coalesce(expr(where), lit(false));
        Column value = switch (agg) {
            case COUNT -> of == null ? lit(1) : when(expr(of).isNotNull(), lit(1));
            case SUM -> expr(of).cast(integralSum() ? DataTypes.LongType : DataTypes.DoubleType);
            case AVG -> expr(of).cast(DataTypes.DoubleType);
            case MIN, MAX, LAST -> expr(of).cast(declaredType());
            case COUNT_DISTINCT -> expr(of);
        };
        return when(included, value);
    }

    /** Type of the engines' raw result before the final cast to the declared type. */
    public DataType resultType(DataType valueType) {
        return switch (agg) {
            case COUNT, COUNT_DISTINCT -> DataTypes.LongType;
            case SUM -> integralSum() ? DataTypes.LongType : DataTypes.DoubleType;
            case AVG -> DataTypes.DoubleType;
            case MIN, MAX, LAST -> valueType;
        };
    }
}
