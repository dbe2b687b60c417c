package io.splice.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The command-line tools the deploy tests run (Debian's {@code prometheus} package) and the kit's files. */
final class Tools {
    /** deploy/ (the module's base directory, where Surefire runs the tests). */
    static final Path DEPLOY = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    /** The repository's root (docker/, examples/). */
    static final Path REPO = DEPLOY.getParent();
    static final Path RULES_DIR = DEPLOY.resolve("prometheus");
    static final Path RULES = RULES_DIR.resolve("splice-rules.yaml");
    static final Path RULE_TESTS = RULES_DIR.resolve("splice-rules.test.yaml");
    static final Path DASHBOARD = DEPLOY.resolve("grafana/splice.json");
    static final Path KUBERNETES = DEPLOY.resolve("kubernetes");

    private Tools() {
    }

    /** The absolute path of {@code name} on PATH; fails the test with how to install it when missing. */
    static String require(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError(name + " is not on PATH: install Debian's prometheus package "
                + "(apt-get install -y prometheus; .ci/run does it when missing)");
    }

    record Result(int exitCode, String output) {
    }

    /** Runs {@code command} (stdout and stderr together), at most {@code timeoutSeconds}. */
    static Result run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(command));
        cmd.set(0, require(cmd.get(0)));
        Process p = new ProcessBuilder(cmd).directory(DEPLOY.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
