package io.splice.testing;

import java.util.List;

/** One part of a {@link JoinYaml}: aggregated from {@code source} by {@code key}, or {@code external} (logged only). */
public record Part(String name, String source, String key, boolean external, List<Feature> features) {

    public Part {
        features = List.copyOf(features);
    }

    /** A part aggregated from {@code source}, keyed by {@code key}. */
    public static Part of(String name, String source, String key, Feature... features) {
        return new Part(name, source, key, false, List.of(features));
    }

    /** An external part: its values only ever come from logs and bootstrap tables. */
    public static Part external(String name, Feature... features) {
        return new Part(name, null, null, true, List.of(features));
    }

    void appendTo(StringBuilder b) {
        b.append("      - name: ").append(name).append('\n');
        if (external) {
            b.append("        external: true\n");
        } else {
            b.append("        source: ").append(source).append('\n');
            b.append("        key: ").append(key).append('\n');
        }
        b.append("        features:\n");
        for (Feature f : features) {
            b.append("          - ").append(f.yaml()).append('\n');
        }
    }
}
