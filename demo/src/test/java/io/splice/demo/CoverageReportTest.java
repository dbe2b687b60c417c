package io.splice.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CoverageReportTest {
    private static final List<String> FEATURES = List.of("txn_count_1h", "risk_score");

    private static long ts(String day, int hour) {
        return LocalDate.parse(day).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli() + hour * 3_600_000L;
    }

    /** Day 1: 4 rows, backfill + bootstrap/missing; day 2: 2 rows from the log. */
    private static Coverage twoDays() {
        Coverage c = new Coverage(FEATURES);
        for (int i = 0; i < 4; i++) {
            c.add(ts("2025-10-01", i), Map.of("txn_count_1h", "backfill",
                    "risk_score", i < 3 ? "bootstrap:splice.bootstrap.dump" : "missing"), "card-" + i);
        }
        for (int i = 0; i < 2; i++) {
            c.add(ts("2025-10-02", i), Map.of("txn_count_1h", "log", "risk_score", "log"), "card-0");
        }
        return c;
    }

    @Test
    void theReportIsOneSelfContainedHtmlFileWithAStackedBarPerDayAndTheMissingSharePerFeature(@TempDir Path dir) throws Exception {
        // Given the coverage of two days
        Coverage c = twoDays();

        // When the report is written
        Path out = dir.resolve("report.html");
        CoverageReport.write(out, c, "Coverage <payments.v1>", "test input");
        String html = Files.readString(out);

        // Then it is one HTML document with inline SVG charts, no script and nothing loaded from elsewhere
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("<svg id=\"chart-days\""));
        assertTrue(html.contains("<svg id=\"chart-missing\""));
        assertFalse(html.contains("<script"), "no script");
        assertFalse(html.contains("http://") || html.contains("https://"), "no network reference");
        assertFalse(Pattern.compile("\\b(src|href)\\s*=").matcher(html).find(), "no external resource");
        assertTrue(html.contains("Coverage &lt;payments.v1&gt;"), "the title is escaped");

        // and a bar per day whose segments are the shares of the sources (plot height 220 px)
        String day1 = group(html, "<g class=\"day\" data-day=\"2025-10-01\">");
        assertEquals(110.0, height(day1, "backfill"), 0.01);  // 4 of 8 values
        assertEquals(82.5, height(day1, "bootstrap"), 0.01);  // 3 of 8
        assertEquals(27.5, height(day1, "missing"), 0.01);    // 1 of 8
        assertFalse(day1.contains("class=\"log\""));
        String day2 = group(html, "<g class=\"day\" data-day=\"2025-10-02\">");
        assertEquals(220.0, height(day2, "log"), 0.01);
        assertTrue(day1.contains("2025-10-01: bootstrap 3 of 8 values (37.5%)"), "a tooltip with the numbers");

        // and the missing share per feature: risk_score 1 of 6 values, txn_count_1h none
        String risk = group(html, "<g class=\"feature\" data-feature=\"risk_score\">");
        assertTrue(risk.contains(">16.7%</text>"), risk);
        assertTrue(group(html, "<g class=\"feature\" data-feature=\"txn_count_1h\">").contains(">0.0%</text>"));

        // and the tables carry the same numbers
        assertTrue(html.contains("<tr><td>2025-10-01</td><td>4</td>"));
        assertTrue(html.contains("splice.bootstrap.dump 3"));
    }

    @Test
    void aConsistencyReportAddsTheMismatchRatePerFeatureAndDay(@TempDir Path dir) throws Exception {
        // Given the JSON of splice consistency --out: two days of one feature, 3 of 8 then 0 of 8 mismatched
        JsonNode rep = new ObjectMapper().readTree("""
                {"join":"payments.v1","tolerance":1.0E-9,"compared":16,"mismatched":3,
                 "features":[{"feature":"txn_count_1h","compared":16,"mismatched":3,"mismatch_rate":0.1875}],
                 "cells":[{"ds":"2025-10-01","feature":"txn_count_1h","compared":8,"mismatched":3,"mismatch_rate":0.375,"examples":[]},
                          {"ds":"2025-10-02","feature":"txn_count_1h","compared":8,"mismatched":0,"mismatch_rate":0.0,"examples":[]}]}
                """);

        // When the report is written with it
        Path out = dir.resolve("report.html");
        CoverageReport.write(out, twoDays(), "Coverage", "test input", rep);
        String html = Files.readString(out);

        // Then a heat map cell per day and feature carries its rate, red for the skewed day, white for the clean one
        assertTrue(html.contains("<svg id=\"chart-consistency\""), html);
        assertTrue(html.contains("data-day=\"2025-10-01\" data-feature=\"txn_count_1h\" data-rate=\"0.375000\""), html);
        assertTrue(html.contains("fill=\"rgb(220,65,65)\"><title>2025-10-01 txn_count_1h: 3 of 8 mismatched</title>"), html);
        assertTrue(html.contains("data-rate=\"0.000000\" x=\"") && html.contains("fill=\"rgb(255,255,255)\""), html);
        assertTrue(html.contains("<tr><td>txn_count_1h</td><td>16</td><td>3</td><td>18.8%</td></tr>"), html);
        // and without it, no such section
        assertFalse(CoverageReport.render(twoDays(), "Coverage", "x").contains("chart-consistency"));
    }

    @Test
    void theReportRendersInHeadlessChromium(@TempDir Path dir) throws Exception {
        Path chromium = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome").stream()
                .map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (apt-get install -y chromium)");

        // Given the report of two days
        Path html = dir.resolve("report.html");
        CoverageReport.write(html, twoDays(), "Coverage", "test input");

        // When headless Chromium renders it to a PNG (no network, no profile of its own)
        Path png = dir.resolve("report.png");
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + dir.resolve("profile"), "--hide-scrollbars", "--window-size=1000,1000",
                "--screenshot=" + png, html.toUri().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }

        // Then the screenshot shows the charts: pixels of the log, backfill and bootstrap colours
        assertTrue(done && Files.size(png) > 0, () -> "no screenshot: " + read(dir.resolve("chromium.log")));
        BufferedImage img = ImageIO.read(png.toFile());
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (String kind : List.of("log", "backfill", "bootstrap")) {
            int rgb = Integer.parseInt(CoverageReport.COLORS.get(kind).substring(1), 16);
            int n = 0;
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    if ((img.getRGB(x, y) & 0xFFFFFF) == rgb) {
                        n++;
                    }
                }
            }
            seen.put(kind, n);
        }
        assertTrue(seen.values().stream().allMatch(n -> n > 500), "colour pixels per kind: " + seen);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (Exception e) {
            return "(no log)";
        }
    }

    private static String group(String html, String start) {
        int i = html.indexOf(start);
        assertTrue(i >= 0, "missing " + start);
        return html.substring(i, html.indexOf("</g>", i));
    }

    private static double height(String group, String kind) {
        Matcher m = Pattern.compile("<rect class=\"" + kind + "\"[^>]* height=\"([0-9.]+)\"").matcher(group);
        assertTrue(m.find(), "no " + kind + " segment in " + group);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void theReportCommandReadsSimulateOutput(@TempDir Path dir) throws Exception {
        // Given stitched.jsonl as `splice simulate` writes it: two revisions of r1, r2, and r3 deleted
        Path in = dir.resolve("stitched.jsonl");
        long t = ts("2025-10-01", 5);
        Files.writeString(in, String.join("\n",
                "{\"topic\":\"splice.stitched.payments.v1\",\"key\":\"r1\",\"value\":{\"row_key\":\"r1\",\"ts\":" + t
                        + ",\"keys\":{\"card_id\":\"c1\"},\"sources\":{\"a\":\"log\",\"b\":\"missing\"},\"revision\":1}}",
                "{\"topic\":\"splice.stitched.payments.v1\",\"key\":\"r1\",\"value\":{\"row_key\":\"r1\",\"ts\":" + t
                        + ",\"keys\":{\"card_id\":\"c1\"},\"sources\":{\"a\":\"log\",\"b\":\"backfill\"},\"revision\":2}}",
                "{\"topic\":\"splice.stitched.payments.v1\",\"key\":\"r2\",\"value\":{\"row_key\":\"r2\",\"ts\":" + t
                        + ",\"keys\":{\"card_id\":\"c2\"},\"sources\":{\"a\":\"bootstrap:x\",\"b\":\"missing\"},\"revision\":1}}",
                "{\"topic\":\"splice.stitched.payments.v1\",\"key\":\"r3\",\"value\":{\"row_key\":\"r3\",\"ts\":" + t
                        + ",\"keys\":{\"card_id\":\"c3\"},\"sources\":{\"a\":\"log\",\"b\":\"log\"},\"revision\":1}}",
                "{\"topic\":\"splice.stitched.payments.v1\",\"key\":\"r3\",\"value\":null}") + "\n");
        Path out = dir.resolve("r.html");

        // When `splice report --input stitched.jsonl` runs
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int code;
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            code = DemoCli.commandLine().execute("report", "--input", in.toString(), "--out", out.toString());
        } finally {
            System.setOut(saved);
        }

        // Then the latest revision of the two live rows is reported
        assertEquals(0, code);
        assertTrue(stdout.toString(StandardCharsets.UTF_8).contains("2 rows, 4 values, 1 days, 2 features"), stdout.toString());
        String day = group(Files.readString(out), "<g class=\"day\" data-day=\"2025-10-01\">");
        assertEquals(55.0, height(day, "bootstrap"), 0.01);
        assertEquals(55.0, height(day, "log"), 0.01);
        assertEquals(55.0, height(day, "backfill"), 0.01);
        assertEquals(55.0, height(day, "missing"), 0.01);
    }
}
