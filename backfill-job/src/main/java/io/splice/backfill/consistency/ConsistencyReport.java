package io.splice.backfill.consistency;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code splice consistency} found: per day and feature, how many served (log) values a valid backfill also
 * computed, how many disagreed, the mismatch rate, the mean and largest absolute difference of the numeric pairs,
 * and a few example rows. Its JSON is what {@code splice report --consistency} draws.
 */
public record ConsistencyReport(String join, double tolerance, String offline, String backfill, List<Cell> cells) {
    /** One mismatching row. */
    public record Example(String rowKey, String logValue, String backfillValue) {
    }

    /** One day and feature. {@code meanAbsDiff}/{@code maxAbsDiff}: over the numeric pairs compared; null without any. */
    public record Cell(String ds, String feature, long compared, long mismatched, Double meanAbsDiff, Double maxAbsDiff,
                       List<Example> examples) {
        public double mismatchRate() {
            return compared == 0 ? 0 : (double) mismatched / compared;
        }
    }

    /** Per feature over every day, in the cells' feature order. */
    public Map<String, long[]> totals() {
        Map<String, long[]> t = new LinkedHashMap<>();
        for (Cell c : cells) {
            long[] a = t.computeIfAbsent(c.feature(), f -> new long[2]);
            a[0] += c.compared();
            a[1] += c.mismatched();
        }
        return t;
    }

    public long compared() {
        return cells.stream().mapToLong(Cell::compared).sum();
    }

    public long mismatched() {
        return cells.stream().mapToLong(Cell::mismatched).sum();
    }

    public String toJson() {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("join", join);
        root.put("tolerance", tolerance);
        root.put("offline", offline);
        root.put("backfill", backfill);
        root.put("compared", compared());
        root.put("mismatched", mismatched());
        ArrayNode features = root.putArray("features");
        totals().forEach((f, a) -> features.addObject().put("feature", f).put("compared", a[0]).put("mismatched", a[1])
                .put("mismatch_rate", a[0] == 0 ? 0 : (double) a[1] / a[0]));
        ArrayNode days = root.putArray("cells");
        for (Cell c : cells) {
            ObjectNode o = days.addObject();
            o.put("ds", c.ds());
            o.put("feature", c.feature());
            o.put("compared", c.compared());
            o.put("mismatched", c.mismatched());
            o.put("mismatch_rate", c.mismatchRate());
            if (c.meanAbsDiff() == null) {
                o.putNull("mean_abs_diff");
                o.putNull("max_abs_diff");
            } else {
                o.put("mean_abs_diff", c.meanAbsDiff());
                o.put("max_abs_diff", c.maxAbsDiff());
            }
            ArrayNode ex = o.putArray("examples");
            c.examples().forEach(e -> ex.addObject().put("row_key", e.rowKey()).put("log", e.logValue())
                    .put("backfill", e.backfillValue()));
        }
        try {
            return m.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The report as text: a table per day and feature, then the example rows of the mismatches. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "consistency of %s: %,d values compared, %,d mismatched (%s), relative tolerance %s",
                join, compared(), mismatched(), pct(mismatched(), compared()), tolerance));
        if (cells.isEmpty()) {
            out.add("nothing to compare: no row has both a served (log) value and a valid backfill value in these days"
                    + " (publish a sample with splice backfill --only-uncovered --consistency-sample R)");
            return out;
        }
        int w = Math.max(7, cells.stream().mapToInt(c -> c.feature().length()).max().orElse(7));
        out.add(String.format(Locale.ROOT, "%-10s  %-" + w + "s  %10s  %10s  %8s  %13s  %13s", "ds", "feature", "compared",
                "mismatched", "rate", "mean |diff|", "max |diff|"));
        for (Cell c : cells) {
            out.add(String.format(Locale.ROOT, "%-10s  %-" + w + "s  %,10d  %,10d  %8s  %13s  %13s", c.ds(), c.feature(),
                    c.compared(), c.mismatched(), pct(c.mismatched(), c.compared()), num(c.meanAbsDiff()), num(c.maxAbsDiff())));
        }
        for (Cell c : cells) {
            if (!c.examples().isEmpty()) {
                out.add("examples " + c.ds() + " " + c.feature() + ":");
                c.examples().forEach(e -> out.add("  " + e.rowKey() + ": log " + e.logValue() + ", backfill " + e.backfillValue()));
            }
        }
        return out;
    }

    static String pct(long part, long whole) {
        return whole == 0 ? "-" : String.format(Locale.ROOT, "%.2f%%", 100.0 * part / whole);
    }

    private static String num(Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.6g", d);
    }
}
