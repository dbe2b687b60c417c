package io.splice.core.definitions;

import java.util.List;
import java.util.stream.Collectors;

/** A definitions file is invalid; carries every problem found, not just the first. */
public class DefinitionsException extends RuntimeException {
    private final String source;
    private final List<Problem> problems;

    public DefinitionsException(String source, List<Problem> problems) {
        super(source + ": " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "\n"
                + problems.stream().map(p -> "  " + p).collect(Collectors.joining("\n")));
        this.source = source;
        this.problems = List.copyOf(problems);
    }

    public String source() {
        return source;
    }

    public List<Problem> problems() {
        return problems;
    }
}
