package io.splice.core.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** Reads a {@code .properties} config file into a map (keys as written; values may hold secrets: never log them). */
public final class ConfigFiles {
    private ConfigFiles() {
    }

    public static Map<String, Object> read(Path file) throws IOException {
        Map<String, Object> out = new HashMap<>();
        if (file == null) {
            return out;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        p.forEach((k, v) -> out.put(k.toString(), v.toString().trim()));
        return out;
    }
}
