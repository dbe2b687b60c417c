package io.splice.core.merge;

/** The three kinds of source of a row (DESIGN §1). */
public enum SourceKind {
    BOOTSTRAP, LOG, BACKFILL;

    /** The {@code source} tag of input metrics: bootstrap, log, backfill. */
    public String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
