package io.splice.connectors.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The shaded plugin jar that {@code package} builds, installed as users do: alone in a directory on plugin.path. */
public final class PluginJar {
    private PluginJar() {
    }

    /** {@code target/*-plugin.jar}; fails with a hint when the build has not packaged it. */
    public static Path locate() {
        try (Stream<Path> s = Files.list(Path.of("target"))) {
            return s.filter(p -> p.getFileName().toString().endsWith("-plugin.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no *-plugin.jar in target/: run mvn package first"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the plugin jar to {@code pluginPath/splice-connectors/} and returns {@code pluginPath} (for plugin.path). */
    public static Path install(Path pluginPath) {
        Path jar = locate();
        try {
            Path lib = Files.createDirectories(pluginPath.resolve("splice-connectors"));
            Files.copy(jar, lib.resolve(jar.getFileName()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pluginPath;
    }

    /** This JVM's class path without the connectors' own classes: a worker with it finds them only in the plugin jar. */
    public static String classpathWithoutConnectors() {
        List<String> cp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path entry = Path.of(e).normalize();
            boolean connectorsMain = entry.endsWith(Path.of("target", "classes"))
                    || entry.getFileName().toString().matches("splice-connectors-.*\\.jar"); // failsafe uses the jar
            if (!connectorsMain) {
                cp.add(e);
            }
        }
        return String.join(File.pathSeparator, cp);
    }
}
