package io.splice.testing;

/**
 * One feature of a {@link JoinYaml} part, written as the flow mapping {@code {name: …, type: …, agg: …, of: …, window: …,
 * where: …}}; {@code null} fields are left out.
 */
public record Feature(String name, String type, String agg, String of, String window, String where) {

    /** A feature of an external part: only a name and a type. */
    public static Feature of(String name, String type) {
        return new Feature(name, type, null, null, null, null);
    }

    /** {@code {name, type: long, agg: count, window}}. */
    public static Feature count(String name, String window) {
        return new Feature(name, "long", "count", null, window, null);
    }

    /** {@code {name, type: double, agg: sum, of, window}}. */
    public static Feature sum(String name, String of, String window) {
        return new Feature(name, "double", "sum", of, window, null);
    }

    /** Any aggregation; {@code of} and {@code window} may be {@code null}. */
    public static Feature agg(String name, String type, String agg, String of, String window) {
        return new Feature(name, type, agg, of, window, null);
    }

    /** This feature with a {@code where} filter. */
    public Feature where(String condition) {
        return new Feature(name, type, agg, of, window, condition);
    }

    String yaml() {
        StringBuilder b = new StringBuilder("{name: ").append(name);
        field(b, "type", type);
        field(b, "agg", agg);
        field(b, "of", of);
        field(b, "window", window);
        if (where != null) {
            b.append(", where: \"").append(where.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return b.append('}').toString();
    }

    private static void field(StringBuilder b, String key, String value) {
        if (value != null) {
            b.append(", ").append(key).append(": ").append(value);
        }
    }
}
