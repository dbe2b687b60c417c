package io.splice.backfill.compute;

/** Ordering of feature values as Spark orders them: strings by code point (UTF-8 byte order), -0.0 equal to 0.0. */
final class Values {
    private Values() {
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compare(Object a, Object b) {
        if (a instanceof Double x && b instanceof Double y) {
            double p = x;
            double q = y;
            return p == q ? 0 : Double.compare(p, q);
        }
        if (a instanceof Float x && b instanceof Float y) {
            float p = x;
            float q = y;
            return p == q ? 0 : Float.compare(p, q);
        }
        if (a instanceof String x && b instanceof String y) {
            int n = Math.min(x.length(), y.length());
            for (int i = 0; i < n; i++) {
                char c = x.charAt(i);
                char d = y.charAt(i);
                if (c != d) {
                    boolean cs = Character.isSurrogate(c);
                    boolean ds = Character.isSurrogate(d);
                    if (cs != ds) {
                        return cs ? 1 : -1; // a supplementary code point sorts after every BMP char, as in UTF-8
                    }
                    return c - d;
                }
            }
            return x.length() - y.length();
        }
        return ((Comparable) a).compareTo(b);
    }
}
