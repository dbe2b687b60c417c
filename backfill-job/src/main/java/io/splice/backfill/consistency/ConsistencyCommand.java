package io.splice.backfill.consistency;

import io.splice.backfill.cli.OfflineTableRange;
import io.splice.backfill.cli.SparkCommand;
import io.splice.backfill.io.DayTable;
import io.splice.backfill.io.Sessions;
import io.splice.backfill.io.StitchedTable;
import io.splice.core.api.JoinDefinition;
import io.splice.core.merge.Consistency;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code splice consistency}: the training/serving skew of each feature per day, from the offline table (served
 * values) and the backfill's output (computed values), with core's {@link Consistency} rule.
 */
@Command(name = "consistency", sortOptions = false, usageHelpWidth = 120,
        description = {
                "Reports online/offline consistency per day and feature: for live rows whose latest revision in the",
                "offline table took a feature from the log (the served value) and whose backfill output holds a valid",
                "value of it (the computed value, e.g. published with splice backfill --only-uncovered",
                "--consistency-sample R), how many were compared, how many disagree, the mismatch rate, the mean and",
                "largest absolute difference, and example rows. Numbers agree within --tolerance (relative); a null",
                "against a value is a mismatch. --out writes the JSON that splice report --consistency draws."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:reported", "1:failed", "2:bad arguments, definitions or missing inputs"})
public final class ConsistencyCommand extends SparkCommand implements Callable<Integer> {
    @Mixin
    OfflineTableRange range = new OfflineTableRange();

    @Option(names = "--backfill", paramLabel = "PATH", description = "the backfill's --output (its <name>_<version> folder is used)")
    String backfill;

    @Option(names = "--tolerance", paramLabel = "R", defaultValue = "1e-9",
            description = "relative tolerance of a numeric comparison (default ${DEFAULT-VALUE}; 0: exact); the app's splice.consistency.tolerance")
    double tolerance;

    @Option(names = "--examples", paramLabel = "N", defaultValue = "5", description = "example rows per day and feature (default ${DEFAULT-VALUE})")
    int examples;

    @Option(names = "--json", description = "print the report as JSON instead of text")
    boolean json;

    @Option(names = "--out", paramLabel = "FILE", description = "also write the JSON report to FILE (for splice report --consistency)")
    java.nio.file.Path out;

    @Override
    public Integer call() {
        PrintWriter o = out();
        PrintWriter e = err();
        List<String> problems = new ArrayList<>();
        range.missing().forEach(m -> problems.add("missing " + m));
        LocalDate startDate = range.startDate;
        LocalDate endDate = range.endDate;
        if (backfill == null) problems.add("missing --backfill (the backfill's --output)");
        if (startDate != null && endDate != null && endDate.isBefore(startDate)) {
            problems.add("--end-date " + endDate + " is before --start-date " + startDate);
        }
        if (!(tolerance >= 0 && tolerance <= 1)) {
            problems.add("--tolerance " + tolerance + ": a relative tolerance in [0, 1]");
        }
        if (examples < 0) {
            problems.add("--examples " + examples + ": a count >= 0");
        }
        JoinDefinition j = null;
        if (range.definitions != null && range.join != null && range.version != null) {
            j = loadJoin(range.definitions, range.join, range.version);
            if (j == null) {
                return 2; // loadJoin printed why
            }
        }
        String offlineRoot = range.offline != null ? range.offline : j != null && j.offline() != null ? j.offline().s3Prefix() : null;
        if (offlineRoot == null && j != null) {
            problems.add("missing --offline (join " + j.id() + " names no offline.s3_prefix)");
        }
        Configuration conf = hadoopConf();
        StitchedTable table = null;
        DayTable computed = null;
        List<LocalDate> days = new ArrayList<>();
        if (problems.isEmpty()) {
            table = StitchedTable.at(DayTable.s3a(offlineRoot), j.featureGroupName(), conf);
            computed = DayTable.at(DayTable.s3a(backfill).replaceAll("/+$", "") + "/" + j.featureGroupName(), conf);
            for (LocalDate d = startDate; !d.isAfter(endDate); d = d.plusDays(1)) {
                days.add(d);
            }
            if (!table.exists()) {
                problems.add("offline table " + table.root() + " does not exist");
            }
            if (!computed.exists()) {
                problems.add("backfill output " + computed.root() + " does not exist (run splice backfill --output " + backfill + ")");
            } else if (days.stream().noneMatch(computed.days()::containsKey)) {
                problems.add("backfill output " + computed.root() + " has no day in " + startDate + ".." + endDate);
            }
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> e.println("error: " + p));
            return 2;
        }
        ConsistencyReport report;
        try (Sessions.Handle h = session("splice consistency " + j.id())) {
            report = ConsistencyJob.run(h.spark(), j, table, computed, days, tolerance, examples);
        }
        if (json) {
            o.println(report.toJson());
        } else {
            report.lines().forEach(o::println);
        }
        if (out != null) {
            try {
                Files.writeString(out, report.toJson(), StandardCharsets.UTF_8);
            } catch (IOException ex) {
                e.println("error: cannot write " + out + ": " + ex.getMessage());
                return 1;
            }
            if (!json) {
                o.println("wrote " + out);
            }
        }
        return 0;
    }
}
