package io.splice.core.api;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A feature window written as {@code <n>m}, {@code <n>h} or {@code <n>d}. */
public record Window(String text, Duration duration) {
    private static final Pattern FORMAT = Pattern.compile("(\\d{1,9})([mhd])");

    /** Parses a window or returns null when {@code text} is not one. */
    public static Window parseOrNull(String text) {
        Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        if (n <= 0) {
            return null;
        }
        Duration d = switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        return new Window(text.trim(), d);
    }

    public long millis() {
        return duration.toMillis();
    }
}
