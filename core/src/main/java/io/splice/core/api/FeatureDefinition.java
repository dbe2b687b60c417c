package io.splice.core.api;

/**
 * One feature of a part. For a computed part: {@code agg} over column {@code of} of the part's source, within
 * {@code window} (null: unbounded), filtered by the Spark SQL predicate {@code where}. External features have only
 * a name and a type.
 */
public record FeatureDefinition(String name, FeatureType type, Aggregation agg, String of, Window window, String where) {
}
