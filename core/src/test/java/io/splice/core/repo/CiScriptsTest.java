package io.splice.core.repo;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The project's own CI definitions can fail: no step swallows a failure ({@code || true}), and every script they run
 * lives in this repository (the checks never depend on a folder outside it, except the optional shared scenarios
 * that {@code .ci/run} guards with a test for the folder).
 */
class CiScriptsTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Pattern SCRIPT = Pattern.compile("(?:python3|bash|sh)\\s+([\\w./-]+\\.(?:py|sh))");

    static List<Path> ciFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        Path workflows = ROOT.resolve(".github/workflows");
        if (Files.isDirectory(workflows)) {
            try (Stream<Path> s = Files.list(workflows)) {
                s.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).forEach(files::add);
            }
        }
        files.add(ROOT.resolve(".ci/run"));
        return files;
    }

    @Test
    void noStepSwallowsAFailure() throws IOException {
        for (Path f : ciFiles()) {
            String text = Files.readString(f);
            assertTrue(!text.contains("|| true") && !text.contains("continue-on-error: true"), f + " swallows a failure");
        }
    }

    @Test
    void everyScriptACiStepRunsExists() throws IOException {
        List<String> missing = new ArrayList<>();
        for (Path f : ciFiles()) {
            Matcher m = SCRIPT.matcher(Files.readString(f));
            while (m.find()) {
                String script = m.group(1);
                // ../shared/… is the optional shared folder, run by .ci/run only where it exists
                if (!script.startsWith("../shared/") && !Files.exists(ROOT.resolve(script))) {
                    missing.add(ROOT.relativize(f) + " runs " + script + ", which is not in the repository");
                }
            }
        }
        assertTrue(missing.isEmpty(), String.join("\n", missing));
    }
}
