package io.splice.core.merge;

/**
 * The labels of a stitched record's {@code sources} (DESIGN §4): {@code bootstrap:<topic>}, {@code log},
 * {@code backfill}, {@code missing}. The one place that builds and reads them; everything else (the merge, metrics,
 * the backfill's coverage filter, the coverage report) asks this class.
 */
public final class SourceLabel {
    public static final String LOG = "log";
    public static final String BACKFILL = "backfill";
    public static final String MISSING = "missing";
    private static final String BOOTSTRAP_PREFIX = "bootstrap:";

    /** What a label names, in priority order (DESIGN §5), then missing. */
    public enum Kind {
        BOOTSTRAP, LOG, BACKFILL, MISSING;

        /** The lower-case name used in metrics tags and reports: bootstrap, log, backfill, missing. */
        public String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private SourceLabel() {
    }

    /** The label of a bootstrap part read from {@code topic}. */
    public static String bootstrap(String topic) {
        return BOOTSTRAP_PREFIX + topic;
    }

    /** The label of a source kind; a bootstrap needs its topic. */
    public static String of(SourceKind kind, String topic) {
        return switch (kind) {
            case BOOTSTRAP -> bootstrap(topic);
            case LOG -> LOG;
            case BACKFILL -> BACKFILL;
        };
    }

    /** The kind a label names; null or an unknown label is missing (nothing known about the value). */
    public static Kind kindOf(String label) {
        if (label == null) {
            return Kind.MISSING;
        }
        if (label.startsWith(BOOTSTRAP_PREFIX)) {
            return Kind.BOOTSTRAP;
        }
        return switch (label) {
            case LOG -> Kind.LOG;
            case BACKFILL -> Kind.BACKFILL;
            default -> Kind.MISSING;
        };
    }

    /** The topic of a bootstrap label; null for any other label. */
    public static String bootstrapTopic(String label) {
        return label != null && label.startsWith(BOOTSTRAP_PREFIX) ? label.substring(BOOTSTRAP_PREFIX.length()) : null;
    }

    /** Rule 2 as an output shows it: a value taken from (or a null held by) a bootstrap part or the log covers its feature. */
    public static boolean covers(String label) {
        Kind k = kindOf(label);
        return k == Kind.BOOTSTRAP || k == Kind.LOG;
    }
}
