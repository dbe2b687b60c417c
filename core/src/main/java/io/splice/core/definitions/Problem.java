package io.splice.core.definitions;

/** One thing wrong with a definitions file, located by its path ({@code joins[0].parts[1].features[2].window}). */
public record Problem(String path, String message) {
    @Override
    public String toString() {
        return path + ": " + message;
    }
}
