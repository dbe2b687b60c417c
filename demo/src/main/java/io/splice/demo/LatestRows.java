package io.splice.demo;

import io.splice.core.offline.LatestRevision;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The latest revision of every row of a stitched output (topic, offline table or simulate output), fed in any order
 * with the record's place in the stitched topic; the latest is the greatest place in core's
 * {@link LatestRevision.Position} order (partition, then offset: all revisions of a row share a partition). A
 * tombstone or {@code is_deleted} row as the latest means the row is gone.
 */
public final class LatestRows {

    /** One stitched revision (or a deletion when {@code deleted}). */
    public record Row(String rowKey, long ts, long revision, Map<String, String> keys, Map<String, String> sources,
                      boolean deleted) {
    }

    private record Entry(LatestRevision.Position position, Row row) {
    }

    private final Map<String, Entry> latest = new HashMap<>();
    private long records;
    private long revised;
    private long deletions;

    /** Adds a revision at {@code offset} of a topic read partition by partition (later wins within a row). */
    public void accept(long offset, Row row) {
        accept(new LatestRevision.Position(0, offset), row);
    }

    /** Adds a revision at {@code position} in the stitched topic; the latest position of a row wins. */
    public void accept(LatestRevision.Position position, Row row) {
        records++;
        if (row.deleted()) {
            deletions++;
        } else if (row.revision() > 1) {
            revised++;
        }
        Entry e = latest.get(row.rowKey());
        if (e == null || !e.position().isAfter(position)) {
            latest.put(row.rowKey(), new Entry(position, row));
        }
    }

    /** Every record seen (all revisions and tombstones). */
    public long records() {
        return records;
    }

    /** Records with a revision above 1: emissions that revised an already emitted row. */
    public long revisions() {
        return revised;
    }

    public long deletions() {
        return deletions;
    }

    /** Rows whose latest revision is not a deletion. */
    public long liveRows() {
        return latest.values().stream().filter(e -> !e.row().deleted()).count();
    }

    public Collection<Row> live() {
        return latest.values().stream().map(Entry::row).filter(r -> !r.deleted()).toList();
    }

    /**
     * The coverage of the live rows; {@code features} first in that order (may be empty), {@code identifierKey} the
     * key whose distinct values are the online records (may be null).
     */
    public Coverage coverage(List<String> features, String identifierKey) {
        Coverage c = new Coverage(features);
        latest.values().stream().map(Entry::row).filter(r -> !r.deleted())
                .sorted((a, b) -> a.rowKey().compareTo(b.rowKey()))
                .forEach(r -> c.add(r.ts(), r.sources(), identifierKey == null || r.keys() == null ? null : r.keys().get(identifierKey)));
        return c;
    }
}
