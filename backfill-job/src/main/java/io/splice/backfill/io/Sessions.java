package io.splice.backfill.io;

import org.apache.spark.sql.SparkSession;

import java.util.Map;

/**
 * Obtains the SparkSession of a command. Under {@code spark-submit} the master comes from it; a plain {@code java}
 * launch defaults to {@code local[*]} bound to 127.0.0.1 with the UI off. A session that already exists in the JVM
 * (tests, notebooks) is reused and left running.
 */
public final class Sessions {
    private Sessions() {
    }

    public record Handle(SparkSession spark, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) {
                spark.stop();
            }
        }
    }

    public static Handle obtain(String appName, String master, Map<String, String> conf) {
        scala.Option<SparkSession> existing = SparkSession.getDefaultSession();
        if (existing.isDefined()) {
            SparkSession s = existing.get();
            s.conf().set("spark.sql.session.timeZone", "UTC");
            s.conf().set("spark.sql.sources.partitionColumnTypeInference.enabled", "false");
            conf.forEach((k, v) -> {
                if (k.startsWith("spark.sql.")) {
                    s.conf().set(k, v);
                } else if (k.startsWith("spark.hadoop.")) {
                    // e.g. an s3a endpoint and credentials: they apply to the running session's file systems too
                    s.sparkContext().hadoopConfiguration().set(k.substring("spark.hadoop.".length()), v);
                }
            });
            return new Handle(s, false);
        }
        SparkSession.Builder b = SparkSession.builder().appName(appName);
        String effective = master != null ? master : System.getProperty("spark.master");
        if (effective == null) {
            effective = "local[*]";
        }
        if (master != null || System.getProperty("spark.master") == null) {
            b.master(effective);
        }
        if (effective.startsWith("local")) {
            b.config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", String.valueOf(Math.max(4, 2 * Runtime.getRuntime().availableProcessors())));
        }
        b.config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
                .config("spark.sql.parquet.compression.codec", "zstd");
        conf.forEach(b::config);
        return new Handle(b.getOrCreate(), true);
    }

    /** A Spark session for tests and benchmarks: {@code local[n]}, few shuffle partitions, no UI. */
    public static SparkSession local(int threads, int shufflePartitions) {
        return SparkSession.builder()
                .appName("splice-local")
                .master("local[" + threads + "]")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", String.valueOf(shufflePartitions))
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
                .getOrCreate();
    }
}
