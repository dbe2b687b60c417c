package io.splice.connectors.it;

import io.splice.connectors.testing.PluginJar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
        PluginJar.install(pluginDir);

        // When a child JVM without the connectors' classes runs a worker with that plugin.path
        Path out = pluginDir.resolve("child.log");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", PluginJar.classpathWithoutConnectors(), PluginJarMain.class.getName(), pluginDir.toString())
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
