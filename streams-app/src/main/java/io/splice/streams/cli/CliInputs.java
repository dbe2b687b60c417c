package io.splice.streams.cli;

import io.splice.core.cli.ConfigFiles;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.Errors;
import org.apache.kafka.common.config.ConfigException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reading what users pass to the streams commands; a mistake is a {@link BadInput}: one line, no stack trace. */
final class CliInputs {
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private CliInputs() {
    }

    /** A user's mistake, told as one line {@code error: <message>} (naming the file, option or key, and what to do). */
    static final class BadInput extends RuntimeException {
        BadInput(String message) {
            super(message);
        }
    }

    /** The settings of {@code --config FILE} (none without it). */
    static Map<String, Object> readConfig(Path file) {
        if (file == null) {
            return new HashMap<>();
        }
        requireReadable(file, "--config", "an existing .properties file (or leave --config out for the defaults)");
        try {
            return ConfigFiles.read(file);
        } catch (IOException | IllegalArgumentException e) {
            throw new BadInput("cannot read --config " + file + ": " + Errors.oneLine(e));
        }
    }

    /** The app's settings, every value checked; a bad one names its key. */
    static SpliceStreamsConfig config(Map<String, Object> props, Path file) {
        try {
            return new SpliceStreamsConfig(props);
        } catch (ConfigException e) {
            throw new BadInput("bad config " + (file == null ? "" : file + ": ") + e.getMessage());
        }
    }

    static void requireReadable(Path file, String option, String what) {
        if (Files.isDirectory(file)) {
            throw new BadInput(option + " " + file + " is a directory; pass " + what);
        }
        if (!Files.exists(file)) {
            throw new BadInput("cannot read " + option + " " + file + ": no such file; pass " + what);
        }
        if (!Files.isReadable(file)) {
            throw new BadInput("cannot read " + option + " " + file + ": permission denied; pass " + what);
        }
    }

    /** {@code PT1H}, {@code 1h}, {@code 30m}, {@code 90s}, {@code 500ms}, {@code 2d} or {@code 0}. */
    static Duration duration(String s, String option) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = SHORT_DURATION.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(s.trim());
        } catch (DateTimeParseException e) {
            throw new BadInput(option + " '" + s + "' is not a duration; write e.g. 1h, 30m, 90s or PT1H");
        }
    }
}
