package io.splice.core.api;

import java.util.Locale;

/** Declared type of a feature. Values are promoted to it as Avro promotes (int to long, long to double, ...). */
public enum FeatureType {
    BOOLEAN, INT, LONG, FLOAT, DOUBLE, STRING;

    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isNumeric() {
        return this == INT || this == LONG || this == FLOAT || this == DOUBLE;
    }

    public static FeatureType parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }
}
