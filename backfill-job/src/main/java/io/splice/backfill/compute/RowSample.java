package io.splice.backfill.compute;

import org.apache.spark.sql.Column;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.conv;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.substring;

/**
 * Deterministic sampling by row key: a row is kept when the first 15 hex digits of
 * {@code sha256("<seed>:<row_key>")}, read as a number in [0, 16^15), are below {@code rate * 16^15}. It depends on
 * the row key and the seed only, so v1 and v2 of a join (same row ids) keep the same rows, and any tool can redo it.
 * {@code splice training-set --sample-rate} and {@code splice backfill --consistency-sample} both sample with it.
 */
public final class RowSample {
    /** 16^15 = 2^60: the range of the hash prefix. */
    static final long RANGE = 1L << 60;

    /** The seed of {@code splice backfill --consistency-sample}: the same covered rows are compared run after run. */
    public static final long CONSISTENCY_SEED = 0;

    private RowSample() {
    }

    /** The threshold: rows whose hash prefix is below it are kept. */
    public static long threshold(double rate) {
        if (rate >= 1.0) {
            return RANGE;
        }
        return (long) Math.floor(rate * RANGE);
    }

    /** The hash prefix of a row key, in Java (the reference of {@link #hashColumn}). */
    public static long hash(long seed, String rowKey) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((seed + ":" + rowKey).getBytes(StandardCharsets.UTF_8));
            return Long.parseLong(HexFormat.of().formatHex(d).substring(0, 15), 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether a row key is in the sample, in Java. */
    public static boolean keeps(double rate, long seed, String rowKey) {
        return hash(seed, rowKey) < threshold(rate);
    }

    /** The hash prefix of the string column {@code rowKey}, in Spark SQL (a long). */
    public static Column hashColumn(long seed, Column rowKey) {
        return conv(substring(sha2(concat(lit(seed + ":"), rowKey), 256), 1, 15), 16, 10).cast("long");
    }

    /** The sampling predicate over the string column {@code rowKey}. */
    public static Column keeps(double rate, long seed, Column rowKey) {
        return hashColumn(seed, rowKey).lt(lit(threshold(rate)));
    }
}
