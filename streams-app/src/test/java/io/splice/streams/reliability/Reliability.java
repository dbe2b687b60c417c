package io.splice.streams.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Shared bits of the reliability tests (app settings: {@link io.splice.streams.TestApp}; Kafka: {@link io.splice.testing.Kafka}). */
final class Reliability {
    static final String TAG = "reliability";

    private Reliability() {
    }

    static Path write(Path file, String text) {
        try {
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
