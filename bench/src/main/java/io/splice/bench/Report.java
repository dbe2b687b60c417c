package io.splice.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Markdown report: title, machine, notes, tables; printed to stdout and written to {@code bench/results/<name>.md}. */
final class Report {
    private static volatile double loadAtStart = Double.NaN;
    private static volatile String startedAt;

    private final String name;
    private final StringBuilder body = new StringBuilder();

    /** Notes the load average and time at the start of a benchmark (the machine may be shared). */
    static void start() {
        loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        startedAt = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME).substring(0, 16);
    }

    Report(String name, String title) {
        this.name = name;
        body.append("## ").append(title).append("\n\n");
        body.append(machine()).append("\n");
    }

    Report line(String s) {
        body.append(s).append("\n");
        return this;
    }

    Report blank() {
        body.append("\n");
        return this;
    }

    Report table(List<String> header, List<List<String>> rows) {
        body.append("| ").append(String.join(" | ", header)).append(" |\n");
        List<String> sep = new ArrayList<>();
        header.forEach(h -> sep.add("---"));
        body.append("| ").append(String.join(" | ", sep)).append(" |\n");
        for (List<String> r : rows) {
            body.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        body.append("\n");
        return this;
    }

    @Override
    public String toString() {
        return body.toString();
    }

    /** Writes the report without printing it (partial results while a benchmark runs). */
    Path save() {
        Path dir = resultsDir();
        try {
            Files.createDirectories(dir);
            Path out = dir.resolve(name + ".md");
            Files.writeString(out, body.toString(), StandardCharsets.UTF_8);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Prints the report and writes it to {@code <root>/bench/results/<name>.md}; returns the path. */
    Path publish() {
        String text = body.toString();
        System.out.println();
        System.out.println(text);
        Path dir = resultsDir();
        try {
            Files.createDirectories(dir);
            Path out = dir.resolve(name + ".md");
            Files.writeString(out, text, StandardCharsets.UTF_8);
            Log.info("wrote %s", out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path resultsDir() {
        String explicit = System.getProperty("bench.results.dir");
        if (explicit != null && !explicit.isBlank()) {
            return Paths.get(explicit);
        }
        for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("bench/pom.xml"))) {
                return d.resolve("bench/results");
            }
        }
        return Paths.get("bench/results").toAbsolutePath();
    }

    /** One line on the machine: cores, memory, JVM, load at the start (the machine may be shared). */
    static String machine() {
        long memKb = -1;
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    memKb = Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        String cpu = "";
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    cpu = l.substring(l.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return String.format(Locale.ROOT, "Machine: %d cores%s, %s RAM, Java %s (%s); load average %.1f at start, %.1f at end "
                        + "(1-minute; other work shares this machine); run %s.%n",
                Runtime.getRuntime().availableProcessors(), cpu.isEmpty() ? "" : " (" + cpu + ")",
                memKb > 0 ? String.format(Locale.ROOT, "%.1f GiB", memKb / 1024.0 / 1024.0) : "?",
                System.getProperty("java.runtime.version"), System.getProperty("java.vm.name"), loadAtStart, load,
                startedAt != null ? startedAt : ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME).substring(0, 16));
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    static String num1(double v) {
        return String.format(Locale.ROOT, "%,.1f", v);
    }

    static String num2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String mb(double bytes) {
        return bytes < 0 ? "?" : String.format(Locale.ROOT, "%,.0f", bytes / 1024 / 1024);
    }
}
