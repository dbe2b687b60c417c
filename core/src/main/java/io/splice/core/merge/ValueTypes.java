package io.splice.core.merge;

import io.splice.core.api.FeatureType;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Promotes source values to the declared feature types as Avro resolves types: int to long, int/long to
 * float/double, float to double. A JSON-born double is accepted for a float feature (JSON has no float).
 * Anything else, such as a string for a long, is a bad record.
 */
public final class ValueTypes {
    private ValueTypes() {
    }

    public static Object promote(String feature, Object v, FeatureType type) {
        if (v == null) {
            return null;
        }
        switch (type) {
            case BOOLEAN:
                if (v instanceof Boolean) {
                    return v;
                }
                break;
            case INT:
                if (v instanceof Integer) {
                    return v;
                }
                break;
            case LONG:
                if (v instanceof Long) {
                    return v;
                }
                if (v instanceof Integer i) {
                    return i.longValue();
                }
                break;
            case FLOAT:
                if (v instanceof Float) {
                    return v;
                }
                if (v instanceof Integer || v instanceof Long || v instanceof Double) {
                    return ((Number) v).floatValue();
                }
                break;
            case DOUBLE:
                if (v instanceof Double) {
                    return v;
                }
                if (v instanceof Integer || v instanceof Long || v instanceof Float) {
                    return ((Number) v).doubleValue();
                }
                break;
            case STRING:
                if (v instanceof CharSequence) {
                    return v.toString();
                }
                break;
            default:
                break;
        }
        throw new BadRecordException(BadRecordException.WRONG_TYPE, "feature '" + feature + "' is declared "
                + type.yamlName() + " but the value " + describe(v) + " is a " + typeName(v)
                + " that cannot be promoted to " + type.yamlName() + branchHint(v, type));
    }

    /**
     * A number in too wide a branch is a producer's encoder choice, not a bad value: generic Avro encoders (Python's
     * avro, some JSON-to-Avro converters) write every number of a union-valued map in one branch. Say so, and where
     * the rule is written.
     */
    private static String branchHint(Object v, FeatureType type) {
        if (!(v instanceof Number) || type == FeatureType.STRING) {
            return "";
        }
        String natural = switch (type) {
            case BOOLEAN -> "'boolean'";
            case INT -> "'int'";
            case LONG -> "'int' or 'long'";
            default -> "a number branch";
        };
        return "; the producer wrote it in the values union's '" + typeName(v) + "' branch: write each value in its natural"
                + " branch (" + type.yamlName() + " feature: " + natural + "), see docs/concepts.md, 'Producers in other languages'";
    }

    /**
     * The values of the features {@code plan} defines, promoted. Unknown features are an error when
     * {@code rejectUnknown} (a log), and ignored otherwise (extra columns of backfill and bootstrap tables).
     */
    public static Map<String, Object> promoteAll(JoinPlan plan, Map<String, ?> values, boolean rejectUnknown) {
        return promoteValid(plan, values, rejectUnknown, null);
    }

    /**
     * As {@link #promoteAll}, keeping only the features of parts the record is valid for (rule 1, from its
     * {@code partHashes}; null: a plain table, valid for every part): the others would be ignored by the merge anyway, and a value written under an older
     * definition (say, before a feature's type changed) must not make the whole record bad.
     */
    public static Map<String, Object> promoteValid(JoinPlan plan, Map<String, ?> values, boolean rejectUnknown,
                                                   Map<String, String> partHashes) {
        if (values == null) {
            return new LinkedHashMap<>();
        }
        Map<String, Object> out = new LinkedHashMap<>(values.size() * 4 / 3 + 1);
        // A record's features mostly come part by part: check a part's hash once per run of its features (the plan
        // hands out one String per part, so identity finds the run).
        String lastPart = null;
        boolean lastValid = false;
        for (Map.Entry<String, ?> e : values.entrySet()) {
            String name = e.getKey();
            FeatureType t = plan.featureType(name);
            if (t == null) {
                if (rejectUnknown) {
                    throw new BadRecordException(BadRecordException.UNKNOWN_FEATURE, "log carries feature '" + name
                            + "' that join " + plan.id() + " does not define");
                }
                continue;
            }
            String part = plan.partOf(name);
            if (part != lastPart) {
                lastPart = part;
                lastValid = MergeRules.validFor(partHashes, plan.partHashes().get(part), part, false);
            }
            if (!lastValid) {
                continue;
            }
            out.put(name, promote(name, e.getValue(), t));
        }
        return out;
    }

    private static String typeName(Object v) {
        if (v instanceof CharSequence) {
            return "string";
        }
        return v.getClass().getSimpleName().toLowerCase();
    }

    private static String describe(Object v) {
        String s = v instanceof CharSequence ? "\"" + v + "\"" : String.valueOf(v);
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
