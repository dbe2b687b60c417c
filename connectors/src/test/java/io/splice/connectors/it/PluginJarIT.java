package io.splice.connectors.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plugin jar that {@code package} builds works as users deploy it: dropped into plugin.path of a worker whose
 * class path does not have the connectors, found by service_load, isolated in its own class loader.
 */
class PluginJarIT {

    @Test
    void thePluginJarRunsBothSinksFromPluginPath(@TempDir Path pluginDir) throws Exception {
        // Given the shaded plugin jar alone in a plugin directory
        Path jar;
        try (Stream<Path> s = Files.list(Path.of("target"))) {
            jar = s.filter(p -> p.getFileName().toString().endsWith("-plugin.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no *-plugin.jar in target/: run mvn package first"));
        }
        Path lib = Files.createDirectories(pluginDir.resolve("splice-connectors"));
        Files.copy(jar, lib.resolve(jar.getFileName()));

        // When a child JVM without the connectors' classes runs a worker with that plugin.path
        List<String> cp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path entry = Path.of(e).normalize();
            boolean connectorsMain = entry.endsWith(Path.of("target", "classes"))
                    || entry.getFileName().toString().matches("splice-connectors-.*\\.jar"); // failsafe uses the jar
            if (!connectorsMain) {
                cp.add(e);
            }
        }
        Path out = pluginDir.resolve("child.log");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", String.join(File.pathSeparator, cp), PluginJarMain.class.getName(), pluginDir.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean exited = child.waitFor(180, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String log = Files.readString(out);

        // Then both sinks ran from the plugin jar: tombstones became one Parquet object and 25 DeleteRecords
        assertTrue(exited, "child JVM did not finish:\n" + tail(log));
        assertEquals(0, child.exitValue(), tail(log));
        String ok = log.lines().filter(l -> l.startsWith("PLUGIN-OK")).findFirst().orElseThrow(() -> new AssertionError(tail(log)));
        assertTrue(ok.contains("objects=1 lookups=25 deletes=0") && ok.contains(pluginDir.getFileName() + "/splice-connectors/"), ok);
    }

    private static String tail(String log) {
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }
}
