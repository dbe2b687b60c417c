package io.splice.core.api;

/** Topic names under a configurable prefix ({@code splice} by default), as DESIGN §4 lists them. */
public record Topics(String prefix) {
    public static final String DEFAULT_PREFIX = "splice";

    public static Topics defaults() {
        return new Topics(DEFAULT_PREFIX);
    }

    public String fetchLog() {
        return prefix + ".fetch-log";
    }

    public String fetchLogReplay() {
        return prefix + ".fetch-log.replay";
    }

    public String backfill(JoinDefinition j) {
        return prefix + ".backfill." + j.name() + "." + j.version();
    }

    public String stitched(JoinDefinition j) {
        return stitched(j.name(), j.version());
    }

    public String stitched(String name, String version) {
        return prefix + ".stitched." + name + "." + version;
    }

    public String dlq() {
        return prefix + ".dlq";
    }
}
