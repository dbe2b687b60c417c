package io.splice.streams.runtime;

/** Exceptions as one line for users: the innermost cause that says something, without a stack trace. */
public final class Errors {
    private Errors() {
    }

    /** {@code SimpleName: message} of the innermost cause with a message (newlines folded). */
    public static String oneLine(Throwable e) {
        Throwable pick = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                pick = t;
            }
        }
        String m = pick.getMessage();
        String name = pick.getClass().getSimpleName();
        return m == null || m.isBlank() ? name : name + ": " + m.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
