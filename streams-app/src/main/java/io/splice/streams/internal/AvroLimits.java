package io.splice.streams.internal;

import java.lang.reflect.Method;

/**
 * Bounds the lengths Avro trusts while decoding input. An Avro string, bytes or map length is a varint read from the
 * payload, and Avro allocates that much before reading: a corrupt 10-byte record can claim a 2 GB string and take
 * the app down with an {@link OutOfMemoryError}. No length inside an input record can exceed the record itself, which
 * the routers cap at {@code splice.max.value.bytes} before decoding; the bound is that or {@value #FLOOR} bytes,
 * whichever is larger (stitched records, merged from several inputs, may be larger than one input). A longer length
 * is reported as an undecodable record. Settings the user gave as system properties are left alone.
 */
public final class AvroLimits {
    static final String[] PROPERTIES = {
            "org.apache.avro.limits.string.maxLength",
            "org.apache.avro.limits.bytes.maxLength",
            "org.apache.avro.limits.collectionItems.maxLength"};
    static final int FLOOR = 16 * 1024 * 1024;
    private static int applied;
    private static boolean userSet;

    private AvroLimits() {
    }

    /** Bounds every Avro length by {@code max(maxValueBytes, FLOOR)} (the largest of any config seen in this JVM). */
    public static synchronized void atLeast(int maxValueBytes) {
        if (applied == 0) {
            for (String p : PROPERTIES) {
                userSet |= System.getProperty(p) != null;
            }
        }
        int limit = Math.max(FLOOR, maxValueBytes);
        if (userSet || limit <= applied) {
            return;
        }
        applied = limit;
        for (String p : PROPERTIES) {
            System.setProperty(p, Integer.toString(limit));
        }
        try {
            // Avro reads the properties once, when the class loads; reload them in case it already has.
            Method reset = Class.forName("org.apache.avro.SystemLimitException").getDeclaredMethod("resetLimits");
            reset.setAccessible(true);
            reset.invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Another Avro version: the properties still apply if it loads later.
        }
    }
}
