package io.splice.core.offline;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

/**
 * The bookkeeping columns of the offline table (the S3 sink's Parquet, one row per stitched revision or tombstone)
 * and its {@code ds} rule. The sink writes them; the backfill, {@code splice validate} and the demo's readers read
 * them. Feature columns sit between {@link #KEYS} and {@link #SOURCES}, one per feature in definition order.
 */
public final class OfflineColumns {
    public static final String ROW_KEY = "row_key";
    /** The row's time; for a tombstone, the time of the revision it ends (see {@link TombstoneHeaders}). */
    public static final String TS = "ts";
    public static final String KEYS = "keys";
    public static final String SOURCES = "sources";
    public static final String FEATURE_VERSION = "feature_version";
    public static final String PART_HASHES = "part_hashes";
    /** 1, 2, … per row; for a tombstone, the revision it ends. */
    public static final String REVISION = "revision";
    /** The Kafka record time of the revision (for a tombstone: of the deletion). */
    public static final String WRITE_TIME = "write_time";
    /**
     * When the revision was produced: the stitching app's clock as it emitted the revision (for a tombstone: the
     * deletion), never the event time the record inherits. Null when unknown (revisions stitched before the app set
     * it, which carry 0, and tombstones without {@link TombstoneHeaders#STITCHED_AT}). {@code splice training-set --as-of} reads it.
     */
    public static final String STITCHED_AT = "stitched_at";
    public static final String IS_DELETED = "is_deleted";
    /** The stitched topic's partition and offset of the record: the order of a row's revisions. */
    public static final String KAFKA_PARTITION = "kafka_partition";
    public static final String KAFKA_OFFSET = "kafka_offset";
    /** The Hive-style partition column: the UTC day of {@link #TS}. */
    public static final String DS = "ds";

    /** Column names a feature may not take. */
    public static final List<String> RESERVED = List.of(ROW_KEY, TS, KEYS, SOURCES, FEATURE_VERSION, PART_HASHES,
            REVISION, WRITE_TIME, STITCHED_AT, IS_DELETED, KAFKA_PARTITION, KAFKA_OFFSET);

    private OfflineColumns() {
    }

    /** The {@code ds} of a row (or of a tombstone) whose {@link #TS} is {@code tsMillis}: its UTC day. */
    public static String ds(long tsMillis) {
        return LocalDate.ofInstant(Instant.ofEpochMilli(tsMillis), ZoneOffset.UTC).toString();
    }
}
