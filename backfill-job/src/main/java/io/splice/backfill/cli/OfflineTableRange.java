package io.splice.backfill.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/** The options of the commands that read a join version's offline table over a range of days (a picocli mixin). */
public final class OfflineTableRange {
    @Option(names = "--definitions", paramLabel = "FILE", description = "joins.yaml")
    public Path definitions;

    @Option(names = "--join", paramLabel = "NAME")
    public String join;

    @Option(names = "--version", paramLabel = "V")
    public String version;

    @Option(names = "--start-date", paramLabel = "YYYY-MM-DD", description = "first day (UTC) of the rows' ts, inclusive")
    public LocalDate startDate;

    @Option(names = "--end-date", paramLabel = "YYYY-MM-DD", description = "last day (UTC) of the rows' ts, inclusive")
    public LocalDate endDate;

    @Option(names = "--offline", paramLabel = "PATH",
            description = "the offline table: the S3 sink's prefix (its <name>_<version> folder is used) or the folder itself; s3a://, s3:// or a path (default: the join's offline.s3_prefix)")
    public String offline;

    /** The options of these that are not given, by name. */
    public List<String> missing() {
        List<String> missing = new ArrayList<>();
        if (definitions == null) missing.add("--definitions");
        if (join == null) missing.add("--join");
        if (version == null) missing.add("--version");
        if (startDate == null) missing.add("--start-date");
        if (endDate == null) missing.add("--end-date");
        return missing;
    }
}
