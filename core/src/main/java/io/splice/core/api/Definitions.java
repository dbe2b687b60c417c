package io.splice.core.api;

import java.util.List;
import java.util.Optional;

/** Every join of a definitions file, and the file's text ({@code source}, null when built in code). */
public record Definitions(List<JoinDefinition> joins, String source) {
    public Definitions(List<JoinDefinition> joins) {
        this(joins, null);
    }

    public Optional<JoinDefinition> join(String name, String version) {
        return joins.stream().filter(j -> j.name().equals(name) && j.version().equals(version)).findFirst();
    }
}
