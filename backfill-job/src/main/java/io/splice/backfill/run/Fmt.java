package io.splice.backfill.run;

import java.util.Locale;

/** Human-readable numbers for progress lines and plans. */
public final class Fmt {
    private Fmt() {
    }

    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    public static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    public static String secs(double s) {
        if (s < 60) {
            return String.format(Locale.ROOT, "%.1f s", s);
        }
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm%02ds", t / 3600, t / 60 % 60, t % 60)
                : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }

    public static String duration(java.time.Duration d) {
        if (d == null) {
            return "unbounded";
        }
        long m = d.toMinutes();
        if (m % 1440 == 0) {
            return m / 1440 + "d";
        }
        if (m % 60 == 0) {
            return m / 60 + "h";
        }
        return m + "m";
    }
}
