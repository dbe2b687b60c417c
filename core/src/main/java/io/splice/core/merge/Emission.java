package io.splice.core.merge;

/** What a row's change produces on the stitched topic. */
public sealed interface Emission {
    /** A new revision of the row. */
    record Upsert(MergedRow row, long revision) implements Emission {
    }

    /** The row no longer exists (rule 8). */
    record Tombstone() implements Emission {
    }

    /** Nothing visible changed (rule 7). */
    record Unchanged() implements Emission {
    }

    Emission UNCHANGED = new Unchanged();
    Emission TOMBSTONE = new Tombstone();
}
