package io.splice.demo;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The coverage report: one self-contained HTML file (inline CSS and SVG, no script, nothing fetched from the
 * network) with, per day, a 100 % stacked bar of where the values came from (bootstrap / log / backfill / missing),
 * and per feature the share of missing values and the mix of sources, each chart followed by its numbers; with a
 * {@code splice consistency} report, the mismatch rate per feature and day too.
 */
public final class CoverageReport {
    /** Colours of the kinds, in {@link Coverage#KINDS} order. */
    static final Map<String, String> COLORS = Map.of(
            "bootstrap", "#7b4fd6",
            "log", "#2f6fdf",
            "backfill", "#f0a030",
            "missing", "#c9ccd3");

    private CoverageReport() {
    }

    public static void write(Path out, Coverage c, String title, String subtitle) {
        write(out, c, title, subtitle, null);
    }

    /**
     * The report, with a consistency section when {@code consistency} is the JSON of {@code splice consistency --out}
     * (null: none).
     */
    public static void write(Path out, Coverage c, String title, String subtitle, JsonNode consistency) {
        try {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(out, render(c, title, subtitle, consistency), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report " + out, e);
        }
    }

    public static String render(Coverage c, String title, String subtitle) {
        return render(c, title, subtitle, null);
    }

    public static String render(Coverage c, String title, String subtitle, JsonNode consistency) {
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(esc(title)).append("</title>\n<style>\n")
                .append("body{font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:24px 32px;color:#1d2330;background:#fff}\n")
                .append("h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}\n")
                .append(".sub{color:#5b6270;margin:0 0 16px}.kpis{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}\n")
                .append(".kpi{border:1px solid #e3e6ec;border-radius:6px;padding:8px 12px;min-width:110px}\n")
                .append(".kpi b{display:block;font-size:20px}.kpi span{color:#5b6270;font-size:12px}\n")
                .append("table{border-collapse:collapse;font-size:13px;margin:8px 0 4px}th,td{padding:4px 10px;text-align:right;border-bottom:1px solid #eceef2}\n")
                .append("th:first-child,td:first-child{text-align:left}th{color:#5b6270;font-weight:600}\n")
                .append(".legend{display:flex;gap:16px;font-size:13px;margin:6px 0}.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}\n")
                .append("svg text{font-family:inherit}.note{color:#5b6270;font-size:12px}\n")
                .append("</style>\n</head>\n<body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n");
        h.append("<p class=\"sub\">").append(esc(subtitle)).append(" &middot; generated ")
                .append(esc(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString())).append("</p>\n");

        Map<String, Long> totals = c.totals();
        long values = c.values();
        h.append("<div class=\"kpis\">\n");
        kpi(h, String.format(Locale.ROOT, "%,d", c.rows()), "rows");
        kpi(h, String.format(Locale.ROOT, "%,d", values), "values (" + c.features().size() + " features)");
        for (String k : Coverage.KINDS) {
            kpi(h, pct(totals.get(k), values), k);
        }
        h.append("</div>\n");
        legend(h);

        h.append("<h2>Sources of values per day</h2>\n");
        if (c.byDay().isEmpty()) {
            h.append("<p>No rows.</p>\n");
        } else {
            dayChart(h, c);
            h.append("<table id=\"by-day\"><tr><th>day</th><th>rows</th>");
            Coverage.KINDS.forEach(k -> h.append("<th>").append(k).append("</th>"));
            h.append("</tr>\n");
            for (Map.Entry<LocalDate, Map<String, Long>> e : c.byDay().entrySet()) {
                long dv = sum(e.getValue());
                h.append("<tr><td>").append(e.getKey()).append("</td><td>")
                        .append(String.format(Locale.ROOT, "%,d", c.rowsByDay().get(e.getKey()))).append("</td>");
                for (String k : Coverage.KINDS) {
                    h.append("<td>").append(String.format(Locale.ROOT, "%,d", e.getValue().get(k)))
                            .append(" <span class=\"note\">(").append(pct(e.getValue().get(k), dv)).append(")</span></td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table>\n");
        }

        h.append("<h2>Missing share per feature</h2>\n");
        missingChart(h, c);
        h.append("<h2>Sources per feature</h2>\n");
        featureChart(h, c);
        h.append("<table id=\"by-feature\"><tr><th>feature</th>");
        Coverage.KINDS.forEach(k -> h.append("<th>").append(k).append("</th>"));
        h.append("<th>missing share</th></tr>\n");
        for (String f : c.features()) {
            Map<String, Long> m = c.byFeature().get(f);
            h.append("<tr><td>").append(esc(f)).append("</td>");
            for (String k : Coverage.KINDS) {
                h.append("<td>").append(String.format(Locale.ROOT, "%,d", m.get(k))).append("</td>");
            }
            h.append("<td>").append(pct(m.get("missing"), sum(m))).append("</td></tr>\n");
        }
        h.append("</table>\n");
        if (!c.bootstrapTopics().isEmpty()) {
            h.append("<p class=\"note\">Bootstrap values by topic: ");
            boolean first = true;
            for (Map.Entry<String, Long> e : c.bootstrapTopics().entrySet()) {
                h.append(first ? "" : ", ").append(esc(e.getKey())).append(" ").append(String.format(Locale.ROOT, "%,d", e.getValue()));
                first = false;
            }
            h.append("</p>\n");
        }
        h.append("<p class=\"note\">Each row counts once, with its latest revision. Sources follow the merge rules: "
                + "bootstrap parts first, then the log, then the backfill; <i>missing</i> means no source held the feature "
                + "(an external feature is never backfilled).</p>\n");
        if (consistency != null) {
            consistencySection(h, consistency);
        }
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    /**
     * Online/offline consistency ({@code splice consistency --out}): a heat map of the mismatch rate per feature (rows)
     * and day (columns), then the totals per feature.
     */
    private static void consistencySection(StringBuilder h, JsonNode rep) {
        h.append("<h2>Online/offline consistency</h2>\n");
        h.append("<p class=\"note\">Served (log) values compared with the backfill's computed values of the same rows: ")
                .append(String.format(Locale.ROOT, "%,d compared, %,d mismatched", rep.path("compared").asLong(),
                        rep.path("mismatched").asLong()))
                .append(" (relative tolerance ").append(esc(rep.path("tolerance").asText())).append(").</p>\n");
        List<String> days = new ArrayList<>();
        List<String> features = new ArrayList<>();
        Map<String, JsonNode> cells = new LinkedHashMap<>();
        for (JsonNode c : rep.path("cells")) {
            String d = c.path("ds").asText();
            String f = c.path("feature").asText();
            if (!days.contains(d)) days.add(d);
            if (!features.contains(f)) features.add(f);
            cells.put(d + "\u0000" + f, c);
        }
        if (cells.isEmpty()) {
            h.append("<p>Nothing compared.</p>\n");
            return;
        }
        java.util.Collections.sort(days);
        int cw = 64;
        int ch = 24;
        int left = 10 + 7 * features.stream().mapToInt(String::length).max().orElse(8);
        int top = 40;
        int width = left + days.size() * cw + 10;
        int height = top + features.size() * ch + 10;
        h.append("<svg id=\"chart-consistency\" role=\"img\" aria-label=\"Mismatch rate per feature per day\" width=\"")
                .append(width).append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ')
                .append(height).append("\">\n");
        for (int i = 0; i < days.size(); i++) {
            h.append("<text x=\"").append(left + i * cw + cw / 2).append("\" y=\"").append(top - 8)
                    .append("\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6270\">").append(esc(days.get(i).substring(5)))
                    .append("</text>\n");
        }
        for (int r = 0; r < features.size(); r++) {
            int y = top + r * ch;
            h.append("<text x=\"").append(left - 6).append("\" y=\"").append(y + ch / 2 + 4)
                    .append("\" font-size=\"12\" text-anchor=\"end\">").append(esc(features.get(r))).append("</text>\n");
            for (int i = 0; i < days.size(); i++) {
                JsonNode c = cells.get(days.get(i) + "\u0000" + features.get(r));
                int x = left + i * cw;
                if (c == null) {
                    h.append("<rect x=\"").append(x + 1).append("\" y=\"").append(y + 1).append("\" width=\"").append(cw - 2)
                            .append("\" height=\"").append(ch - 2).append("\" fill=\"#f3f4f6\"/>\n");
                    continue;
                }
                double rate = c.path("mismatch_rate").asDouble();
                // white at 0, full red at 20 % and above: a few percent of skew must already show
                double t = Math.min(1, rate / 0.2);
                String fill = String.format(Locale.ROOT, "rgb(%d,%d,%d)", 255 - (int) (t * 35), 255 - (int) (t * 190), 255 - (int) (t * 190));
                h.append("<rect class=\"cell\" data-day=\"").append(esc(days.get(i))).append("\" data-feature=\"")
                        .append(esc(features.get(r))).append("\" data-rate=\"").append(String.format(Locale.ROOT, "%.6f", rate))
                        .append("\" x=\"").append(x + 1).append("\" y=\"").append(y + 1).append("\" width=\"").append(cw - 2)
                        .append("\" height=\"").append(ch - 2).append("\" fill=\"").append(fill).append("\"><title>")
                        .append(esc(days.get(i) + " " + features.get(r) + ": " + c.path("mismatched").asLong() + " of "
                                + c.path("compared").asLong() + " mismatched")).append("</title></rect>\n");
                h.append("<text x=\"").append(x + cw / 2).append("\" y=\"").append(y + ch / 2 + 4)
                        .append("\" font-size=\"11\" text-anchor=\"middle\">")
                        .append(String.format(Locale.ROOT, "%.1f%%", 100 * rate)).append("</text>\n");
            }
        }
        h.append("</svg>\n");
        h.append("<table id=\"consistency\"><tr><th>feature</th><th>compared</th><th>mismatched</th><th>mismatch rate</th></tr>\n");
        for (JsonNode f : rep.path("features")) {
            h.append("<tr><td>").append(esc(f.path("feature").asText())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%,d", f.path("compared").asLong())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%,d", f.path("mismatched").asLong())).append("</td><td>")
                    .append(pct(f.path("mismatched").asLong(), f.path("compared").asLong())).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static void kpi(StringBuilder h, String value, String label) {
        h.append("<div class=\"kpi\"><b>").append(esc(value)).append("</b><span>").append(esc(label)).append("</span></div>\n");
    }

    private static void legend(StringBuilder h) {
        h.append("<div class=\"legend\">");
        for (String k : Coverage.KINDS) {
            h.append("<span><i class=\"sw\" style=\"background:").append(COLORS.get(k)).append("\"></i>").append(k).append("</span>");
        }
        h.append("</div>\n");
    }

    /** One 100 % stacked column per day, bootstrap at the bottom. */
    private static void dayChart(StringBuilder h, Coverage c) {
        int n = c.byDay().size();
        int bar = Math.max(10, Math.min(56, 720 / n));
        int gap = Math.max(4, bar / 3);
        int left = 44;
        int top = 22;
        int plotH = 220;
        int width = left + n * (bar + gap) + gap + 10;
        int height = top + plotH + (n > 12 ? 70 : 40);
        h.append("<svg id=\"chart-days\" role=\"img\" aria-label=\"Sources of values per day\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\">\n");
        for (int p = 0; p <= 100; p += 25) {
            double y = top + plotH - plotH * p / 100.0;
            h.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e6ec\"/>", left, width - 6, y, y));
            h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6270\">%d%%</text>%n", left - 6, y + 4, p));
        }
        int i = 0;
        for (Map.Entry<LocalDate, Map<String, Long>> e : c.byDay().entrySet()) {
            long dv = sum(e.getValue());
            double x = left + gap + i * (bar + gap);
            double y = top + plotH;
            h.append("<g class=\"day\" data-day=\"").append(e.getKey()).append("\">");
            for (String k : Coverage.KINDS) {
                long v = e.getValue().get(k);
                if (v == 0) {
                    continue;
                }
                double hh = plotH * (double) v / Math.max(1, dv);
                y -= hh;
                h.append(String.format(Locale.ROOT, "<rect class=\"%s\" x=\"%.1f\" y=\"%.2f\" width=\"%d\" height=\"%.2f\" fill=\"%s\">"
                                + "<title>%s: %s %,d of %,d values (%s)</title></rect>", k, x, y, bar, hh, COLORS.get(k),
                        e.getKey(), k, v, dv, pct(v, dv)));
            }
            h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" fill=\"#5b6270\">%,d</text>",
                    x + bar / 2.0, top - 6, c.rowsByDay().get(e.getKey())));
            String label = n > 12 ? e.getKey().toString().substring(5) : e.getKey().toString();
            if (n > 12) {
                h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" transform=\"rotate(-60 %.1f %d)\">%s</text>",
                        x + bar / 2.0, top + plotH + 14, x + bar / 2.0, top + plotH + 14, label));
            } else {
                h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>",
                        x + bar / 2.0, top + plotH + 16, label));
            }
            h.append("</g>\n");
            i++;
        }
        h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#5b6270\">rows</text>%n", 4, top - 6));
        h.append("</svg>\n");
    }

    /** Horizontal bars: the share of missing values of each feature. */
    private static void missingChart(StringBuilder h, Coverage c) {
        List<String> features = c.features();
        int label = 170;
        int plotW = 420;
        int row = 24;
        int width = label + plotW + 70;
        int height = Math.max(1, features.size()) * row + 10;
        h.append("<svg id=\"chart-missing\" role=\"img\" aria-label=\"Missing share per feature\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\">\n");
        int i = 0;
        for (String f : features) {
            double share = c.share(f, "missing");
            int y = 5 + i * row;
            h.append("<g class=\"feature\" data-feature=\"").append(esc(f)).append("\">");
            h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">%s</text>", label - 8, y + 15, esc(f)));
            h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"#f3f4f7\"/>", label, y + 3, plotW));
            h.append(String.format(Locale.ROOT, "<rect class=\"missing\" x=\"%d\" y=\"%d\" width=\"%.2f\" height=\"16\" fill=\"#d9534f\">"
                    + "<title>%s: %.2f%% missing</title></rect>", label, y + 3, plotW * share, esc(f), 100 * share));
            h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">%.1f%%</text>", label + plotW * share + 6, y + 15, 100 * share));
            h.append("</g>\n");
            i++;
        }
        h.append("</svg>\n");
    }

    /** Horizontal 100 % stacked bars: the sources of each feature's values. */
    private static void featureChart(StringBuilder h, Coverage c) {
        List<String> features = c.features();
        int label = 170;
        int plotW = 420;
        int row = 24;
        int width = label + plotW + 20;
        int height = Math.max(1, features.size()) * row + 10;
        h.append("<svg id=\"chart-features\" role=\"img\" aria-label=\"Sources per feature\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\">\n");
        int i = 0;
        for (String f : features) {
            Map<String, Long> m = c.byFeature().get(f);
            long total = sum(m);
            int y = 5 + i * row;
            h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">%s</text>", label - 8, y + 15, esc(f)));
            double x = label;
            for (String k : Coverage.KINDS) {
                long v = m.get(k);
                if (v == 0) {
                    continue;
                }
                double w = plotW * (double) v / Math.max(1, total);
                h.append(String.format(Locale.ROOT, "<rect class=\"%s\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"16\" fill=\"%s\">"
                        + "<title>%s: %s %,d (%s)</title></rect>", k, x, y + 3, w, COLORS.get(k), esc(f), k, v, pct(v, total)));
                x += w;
            }
            h.append('\n');
            i++;
        }
        h.append("</svg>\n");
    }

    private static long sum(Map<String, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }

    static String pct(long part, long whole) {
        return String.format(Locale.ROOT, "%.1f%%", whole == 0 ? 0.0 : 100.0 * part / whole);
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
