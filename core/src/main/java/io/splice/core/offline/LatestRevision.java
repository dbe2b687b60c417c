package io.splice.core.offline;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

import static io.splice.core.offline.OfflineColumns.IS_DELETED;
import static io.splice.core.offline.OfflineColumns.KAFKA_OFFSET;
import static io.splice.core.offline.OfflineColumns.KAFKA_PARTITION;
import static io.splice.core.offline.OfflineColumns.ROW_KEY;

/**
 * "The latest revision of a row" in the offline table, defined once for every reader (the backfill's
 * {@code --only-uncovered}, {@code splice validate}, the demo's reader, the Athena query in docs/sinks.md).
 *
 * <p>The offline table is an append log of the stitched topic. That topic is keyed by row key, so all records of a
 * row — its revisions and its tombstones — are in one partition, in the order the stitcher emitted them; the
 * table's {@link OfflineColumns#KAFKA_PARTITION} and {@link OfflineColumns#KAFKA_OFFSET} carry that position. The
 * latest revision of a row is its row with the greatest ({@code kafka_partition}, {@code kafka_offset}), compared
 * lexicographically: within a row that is the offset order, and the pair is unique per record, so the order is
 * total and never needs {@code revision} (which a tombstone may lack, and which ties between a tombstone and the
 * revision it ends). The row is live when that latest row is not {@code is_deleted}.
 */
public final class LatestRevision {
    /** The order columns, most significant first; a greater tuple is a later record. */
    public static final List<String> ORDER = List.of(KAFKA_PARTITION, KAFKA_OFFSET);

    /** The columns a reader needs to find the latest live revision of every row. */
    public static final List<String> REQUIRED = List.of(ROW_KEY, KAFKA_PARTITION, KAFKA_OFFSET, IS_DELETED);

    private LatestRevision() {
    }

    /** SQL (Spark, Athena/Trino) ORDER BY list, latest first: {@code kafka_partition DESC, kafka_offset DESC}. */
    public static String newestFirstSql() {
        return String.join(", ", ORDER.stream().map(c -> c + " DESC").toList());
    }

    /** Spark SQL ordering key for {@code max_by(value, key)}: {@code struct(kafka_partition, kafka_offset)}. */
    public static String orderKeySql() {
        return "struct(" + String.join(", ", ORDER) + ")";
    }

    /**
     * A query (Spark SQL and Athena/Trino alike) giving every column of the latest row per {@code row_key} of
     * {@code table}; with {@code liveOnly} the rows whose latest revision is a deletion are left out.
     */
    public static String latestSql(String table, boolean liveOnly) {
        return "SELECT *\nFROM (\n  SELECT t.*, row_number() OVER (PARTITION BY " + ROW_KEY + " ORDER BY " + newestFirstSql()
                + ") AS rn\n  FROM " + table + " t\n) WHERE rn = 1" + (liveOnly ? " AND NOT " + IS_DELETED : "") + ";";
    }

    /** The {@link #REQUIRED} columns missing from {@code columns} (empty: the table can be read). */
    public static List<String> missing(Collection<String> columns) {
        return REQUIRED.stream().filter(c -> columns.stream().noneMatch(x -> x.toLowerCase(Locale.ROOT).equals(c))).toList();
    }

    /** A record's place in the stitched topic, for readers in Java. */
    public record Position(int partition, long offset) implements Comparable<Position> {
        private static final Comparator<Position> ORDER = Comparator.comparingInt(Position::partition)
                .thenComparingLong(Position::offset);

        @Override
        public int compareTo(Position o) {
            return ORDER.compare(this, o);
        }

        /** Whether this record comes after {@code other}, so that its row supersedes the other's. */
        public boolean isAfter(Position other) {
            return other == null || compareTo(other) > 0;
        }
    }
}
