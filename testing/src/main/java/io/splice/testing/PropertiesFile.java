package io.splice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/** A {@code .properties} file (e.g. the {@code --config} of a command) written from a map. */
public final class PropertiesFile {
    private PropertiesFile() {
    }

    /** Writes {@code props} (values by {@code String.valueOf}) to {@code file}; returns {@code file}. */
    public static Path write(Path file, Map<String, ?> props) {
        Properties p = new Properties();
        props.forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            p.store(w, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
