package io.splice.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Locale;
import java.util.Map;

/** What {@code splice demo} found, as text for people and as one JSON object for scripts. */
public record DemoSummary(
        String join,
        World world,
        Coverage coverage,
        long stitchedRecords,
        long revisions,
        Map<String, Long> dlqReasons,
        long otherJoinLogsSkipped,
        int s3Objects,
        long s3Rows,
        long s3LatestRows,
        long s3Bytes,
        int onlineRecords,
        int distinctRecordIdentifiers,
        Demo.Produced produced,
        long inputRecords,
        long backlogRecords,
        double backlogSeconds,
        Map<String, Double> phases,
        Path report,
        Consistency consistency,
        TrainingSet trainingSet,
        double seconds) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Online/offline consistency: the app's counters per feature ({compared, mismatched}) and {@code splice
     * consistency}'s report (null until it ran).
     */
    public record Consistency(Map<String, long[]> app, JsonNode report, Path reportFile) {
        public Consistency withReport(JsonNode report, Path file) {
            return new Consistency(app, report, file);
        }
    }

    /** The training set the demo wrote: rows, rows whose every non-external feature was served, rows with a label. */
    public record TrainingSet(long rows, long servedRows, long labelledRows, Path dir) {
    }

    /** The same summary with another total wall time. */
    public DemoSummary withSeconds(double total) {
        return new DemoSummary(join, world, coverage, stitchedRecords, revisions, dlqReasons, otherJoinLogsSkipped, s3Objects,
                s3Rows, s3LatestRows, s3Bytes, onlineRecords, distinctRecordIdentifiers, produced, inputRecords, backlogRecords,
                backlogSeconds, phases, report, consistency, trainingSet, total);
    }

    public long rowsStitched() {
        return coverage.rows();
    }

    public long dlqCount() {
        return dlqReasons.values().stream().mapToLong(Long::longValue).sum();
    }

    public ObjectNode json() {
        ObjectNode o = JSON.createObjectNode();
        o.put("join", join);
        o.put("rows_stitched", rowsStitched());
        ObjectNode vbs = o.putObject("values_by_source");
        coverage.totals().forEach(vbs::put);
        o.put("features", coverage.features().size());
        ObjectNode perDay = o.putObject("values_by_source_per_day");
        coverage.byDay().forEach((day, m) -> {
            ObjectNode d = perDay.putObject(day.toString());
            m.forEach(d::put);
        });
        ObjectNode missing = o.putObject("missing_share_by_feature");
        for (String f : coverage.features()) {
            missing.put(f, round(coverage.share(f, "missing"), 4));
        }
        o.put("stitched_records", stitchedRecords);
        o.put("revisions", revisions);
        ObjectNode dlq = o.putObject("dlq");
        dlq.put("count", dlqCount());
        ObjectNode reasons = dlq.putObject("reasons");
        dlqReasons.forEach(reasons::put);
        o.put("logs_of_unknown_joins_skipped", otherJoinLogsSkipped);
        ObjectNode s3 = o.putObject("s3");
        s3.put("objects", s3Objects);
        s3.put("rows", s3Rows);
        s3.put("latest_rows", s3LatestRows);
        s3.put("bytes", s3Bytes);
        o.put("online_records", onlineRecords);
        o.put("distinct_record_identifiers", distinctRecordIdentifiers);
        ObjectNode in = o.putObject("generated");
        in.put("days", world.days().size());
        in.put("first_day", world.firstDay().toString());
        in.put("cards", world.settings().cards());
        in.put("transactions", world.transactions().size());
        in.put("requests", world.requests().size());
        in.put("fetch_logs", produced.logs());
        in.put("bad_records", produced.bad());
        in.put("logs_of_another_join", produced.otherJoin());
        in.put("bootstrap_rows", produced.bootstrap());
        in.put("backfill_rows", world.backfillRows().size());
        in.put("outage", world.outageStart() + "/" + world.outageEnd());
        ObjectNode tp = o.putObject("throughput");
        tp.put("input_records", inputRecords);
        tp.put("backlog_records", backlogRecords);
        tp.put("backlog_seconds", round(backlogSeconds, 1));
        tp.put("backlog_records_per_second", Math.round(backlogRecords / Math.max(backlogSeconds, 1e-3)));
        tp.put("total_records_per_second", Math.round((inputRecords + stitchedRecords) / Math.max(seconds, 1e-3)));
        ObjectNode cons = o.putObject("consistency");
        ObjectNode byFeature = cons.putObject("app_counters");
        consistency.app().forEach((f, a) -> byFeature.putObject(f).put("compared", a[0]).put("mismatched", a[1]));
        if (consistency.report() != null) {
            cons.put("report_compared", consistency.report().path("compared").asLong());
            cons.put("report_mismatched", consistency.report().path("mismatched").asLong());
            cons.set("report_features", consistency.report().path("features"));
            cons.put("report_file", consistency.reportFile().toString());
        }
        ObjectNode ts = o.putObject("training_set");
        ts.put("rows", trainingSet.rows());
        ts.put("served_rows", trainingSet.servedRows());
        ts.put("served_share", round((double) trainingSet.servedRows() / Math.max(1, trainingSet.rows()), 4));
        ts.put("rows_with_label", trainingSet.labelledRows());
        ts.put("path", trainingSet.dir().toString());
        ObjectNode ph = o.putObject("phases_seconds");
        phases.forEach(ph::put);
        o.put("report", report.toString());
        o.put("seconds", round(seconds, 1));
        return o;
    }

    public String toJson() {
        return json().toString();
    }

    /** The summary for people. */
    public String toText() {
        StringBuilder b = new StringBuilder();
        Map<String, Long> t = coverage.totals();
        long values = coverage.values();
        b.append(String.format(Locale.ROOT, "%nSplice demo: %s, %d days from %s, %d cards%n", join, world.days().size(),
                world.firstDay(), world.settings().cards()));
        b.append(String.format(Locale.ROOT, "  rows stitched      %,d  (%,d stitched records, %,d revisions)%n",
                rowsStitched(), stitchedRecords, revisions));
        b.append(String.format(Locale.ROOT, "  values by source   %s%n", shares(t, values)));
        b.append(String.format(Locale.ROOT, "%n  %-12s %7s %10s %10s %10s %10s%n", "day", "rows", "bootstrap", "log", "backfill", "missing"));
        for (Map.Entry<LocalDate, Map<String, Long>> e : coverage.byDay().entrySet()) {
            long dayValues = e.getValue().values().stream().mapToLong(Long::longValue).sum();
            b.append(String.format(Locale.ROOT, "  %-12s %,7d", e.getKey(), coverage.rowsByDay().get(e.getKey())));
            for (String k : Coverage.KINDS) {
                b.append(String.format(Locale.ROOT, " %9.1f%%", 100.0 * e.getValue().get(k) / Math.max(1, dayValues)));
            }
            b.append('\n');
        }
        b.append(String.format(Locale.ROOT, "%n  missing share per feature: "));
        boolean first = true;
        for (String f : coverage.features()) {
            b.append(first ? "" : ", ").append(String.format(Locale.ROOT, "%s %.1f%%", f, 100 * coverage.share(f, "missing")));
            first = false;
        }
        b.append('\n');
        b.append(String.format(Locale.ROOT, "%n  dead letters       %d  %s%n", dlqCount(), dlqReasons));
        b.append(String.format(Locale.ROOT, "  skipped            %d logs of a join no definition names%n", otherJoinLogsSkipped));
        b.append(String.format(Locale.ROOT, "  S3 offline store   %d objects, %,d rows (all revisions), %,d latest rows%n",
                s3Objects, s3Rows, s3LatestRows));
        b.append(String.format(Locale.ROOT, "  online store       %d records (distinct card_id: %d)%n", onlineRecords, distinctRecordIdentifiers));
        b.append(String.format(Locale.ROOT, "  throughput         the stitching app consumed its backlog of %,d logs and bootstrap rows in "
                        + "%.1f s, start included (%,d records/s); %,d input records in all%n", backlogRecords, backlogSeconds,
                Math.round(backlogRecords / Math.max(backlogSeconds, 1e-3)), inputRecords));
        b.append(String.format(Locale.ROOT, "  training set       %,d rows, %,d (%.1f%%) with every computed feature as served "
                        + "(no training/serving skew), %,d with a label: %s%n", trainingSet.rows(), trainingSet.servedRows(),
                100.0 * trainingSet.servedRows() / Math.max(1, trainingSet.rows()), trainingSet.labelledRows(), trainingSet.dir()));
        b.append("  consistency        served vs computed values (app counters):");
        consistency.app().forEach((f, a) -> b.append(String.format(Locale.ROOT, " %s %,d of %,d mismatched (%.1f%%);", f, a[1], a[0],
                100.0 * a[1] / Math.max(1, a[0]))));
        b.append('\n');
        if (consistency.report() != null) {
            b.append(String.format(Locale.ROOT, "                     per day and feature: %s (and in the report)%n", consistency.reportFile()));
        }
        b.append(String.format(Locale.ROOT, "  phases             %s%n", phases));
        b.append(String.format(Locale.ROOT, "  report             %s%n", report));
        b.append(String.format(Locale.ROOT, "  total              %.1f s%n", seconds));
        return b.toString();
    }

    private static String shares(Map<String, Long> counts, long total) {
        StringBuilder b = new StringBuilder();
        for (String k : Coverage.KINDS) {
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append(String.format(Locale.ROOT, "%s %,d (%.1f%%)", k, counts.get(k), 100.0 * counts.get(k) / Math.max(1, total)));
        }
        return b.toString();
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
