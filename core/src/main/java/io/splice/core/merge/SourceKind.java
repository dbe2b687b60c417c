package io.splice.core.merge;

/** The three kinds of source of a row (DESIGN §1). */
public enum SourceKind {
    BOOTSTRAP, LOG, BACKFILL
}
