package io.splice.testing;

import org.apache.kafka.common.config.ConfigDef;
import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Reference pages generated from the code (docs/reference/): every config key from its {@link ConfigDef}, every
 * command's {@code --help} from picocli. A module's test renders its part and {@link #assertCurrent} fails when the
 * checked-in page is stale; {@code -Dsplice.docs.update=true} rewrites it instead.
 */
public final class ReferenceDocs {
    public static final String UPDATE_PROPERTY = "splice.docs.update";

    private ReferenceDocs() {
    }

    /** The repository's docs/reference folder, from a module's working directory. */
    public static Path folder() {
        return Path.of("..", "docs", "reference").toAbsolutePath().normalize();
    }

    /** A Markdown table of a ConfigDef's keys: name, type, default, valid values, importance, doc; sorted by name. */
    public static String configTable(ConfigDef def) {
        StringBuilder b = new StringBuilder("| key | type | default | valid values | importance | description |\n"
                + "| --- | --- | --- | --- | --- | --- |\n");
        List<ConfigDef.ConfigKey> keys = def.configKeys().values().stream()
                .sorted(Comparator.comparing((ConfigDef.ConfigKey k) -> k.name)).toList();
        for (ConfigDef.ConfigKey k : keys) {
            b.append("| `").append(k.name).append("` | ").append(k.type.name().toLowerCase())
                    .append(" | ").append(defaultOf(k))
                    .append(" | ").append(k.validator == null ? "" : cell(k.validator.toString()))
                    .append(" | ").append(k.importance == null ? "" : k.importance.name().toLowerCase())
                    .append(" | ").append(cell(k.documentation == null ? "" : k.documentation)).append(" |\n");
        }
        return b.toString();
    }

    private static String defaultOf(ConfigDef.ConfigKey k) {
        if (!k.hasDefault()) {
            return "(required)";
        }
        if (k.defaultValue == null) {
            return "null";
        }
        if (k.type == ConfigDef.Type.PASSWORD) {
            return "(hidden)";
        }
        String v = k.defaultValue instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList())
                : String.valueOf(k.defaultValue);
        return v.isEmpty() ? "\"\"" : "`" + cell(v) + "`";
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\r", "").replace("\n", " ");
    }

    /** A section per command (and subcommand) with its {@code --help}, as a user sees it, in a code block. */
    public static String commandHelp(CommandLine root) {
        StringBuilder b = new StringBuilder();
        appendHelp(b, root, root.getCommandName());
        return b.toString();
    }

    private static void appendHelp(StringBuilder b, CommandLine cmd, String path) {
        if (cmd.getCommandSpec().usageMessage().hidden() || cmd.getCommand() instanceof CommandLine.HelpCommand) {
            return;
        }
        b.append("## `").append(path).append("`\n\n```\n")
                .append(cmd.getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing()).append("\n```\n\n");
        for (Map.Entry<String, CommandLine> sub : cmd.getSubcommands().entrySet()) {
            if (sub.getValue().getCommandName().equals(sub.getKey())) { // once per command, not per alias
                appendHelp(b, sub.getValue(), path + " " + sub.getKey());
            }
        }
    }

    /** Fails when {@code docs/reference/<file>} differs from {@code content}; rewrites it with -Dsplice.docs.update=true. */
    public static void assertCurrent(String file, String content) {
        Path p = folder().resolve(file);
        try {
            if (Boolean.getBoolean(UPDATE_PROPERTY)) {
                Files.createDirectories(p.getParent());
                Files.writeString(p, content);
                return;
            }
            String current = Files.exists(p) ? Files.readString(p) : "";
            assertEquals(current, content, "docs/reference/" + file + " is stale: regenerate it with "
                    + "mvn -B -ntp test -pl <this module> -Dtest=<this test> -D" + UPDATE_PROPERTY + "=true");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
