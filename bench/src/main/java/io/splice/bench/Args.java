package io.splice.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} and {@code --flag} options; unknown names are refused so that typos do not go unnoticed. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    Args(String[] argv, Set<String> valued, Set<String> flags) {
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flags.contains(name)) {
                values.put(name, value == null ? "true" : value);
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= argv.length) {
                        throw new IllegalArgumentException("--" + name + " needs a value");
                    }
                    value = argv[++i];
                }
                values.put(name, value);
            } else {
                throw new IllegalArgumentException("unknown option --" + name + "; known: " + valued + " and flags " + flags);
            }
        }
    }

    String string(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    int integer(String name, int dflt) {
        return values.containsKey(name) ? parseInt(values.get(name)) : dflt;
    }

    long longValue(String name, long dflt) {
        return values.containsKey(name) ? parseLong(values.get(name)) : dflt;
    }

    boolean flag(String name) {
        return Boolean.parseBoolean(values.getOrDefault(name, "false"));
    }

    List<Integer> ints(String name, String dflt) {
        List<Integer> out = new ArrayList<>();
        for (String s : string(name, dflt).split(",")) {
            if (!s.isBlank()) {
                out.add(parseInt(s.trim()));
            }
        }
        return out;
    }

    List<Long> longs(String name, String dflt) {
        List<Long> out = new ArrayList<>();
        for (String s : string(name, dflt).split(",")) {
            if (!s.isBlank()) {
                out.add(parseLong(s.trim()));
            }
        }
        return out;
    }

    /** Accepts 250k, 1M, 2_000_000. */
    static long parseLong(String s) {
        String t = s.trim().replace("_", "").toLowerCase();
        long mult = 1;
        if (t.endsWith("k")) {
            mult = 1_000;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            mult = 1_000_000;
            t = t.substring(0, t.length() - 1);
        }
        return Long.parseLong(t) * mult;
    }

    static int parseInt(String s) {
        return Math.toIntExact(parseLong(s));
    }
}
