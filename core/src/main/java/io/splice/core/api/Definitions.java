package io.splice.core.api;

import java.util.List;
import java.util.Optional;

/** Every join of a definitions file. */
public record Definitions(List<JoinDefinition> joins) {
    public Optional<JoinDefinition> join(String name, String version) {
        return joins.stream().filter(j -> j.name().equals(name) && j.version().equals(version)).findFirst();
    }
}
