package io.splice.core.merge;

import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.PartDefinition;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Online/offline consistency: where the log (what was served) and a valid backfill (what the definition computes)
 * both hold a value of the same feature, the two should agree; the rate at which they do not is the training/serving
 * skew of that feature. The stitching app counts it per join and feature, {@code splice consistency} reports it per
 * day; both use this rule. It never changes a merge: a part the log covers still ignores the backfill (rule 2).
 *
 * <p>A feature is compared when its part is not external, the log carries the part's current hash and the feature
 * (even as null), and the backfill is valid for the part (rule 1) and carries the feature. Two values agree when both
 * are null, when both are numbers within {@code relativeTolerance} of the larger magnitude (0: exactly equal), or when
 * they are equal otherwise; a null against a value is a mismatch.
 */
public final class Consistency {
    /** The default relative tolerance: floating-point noise of a different summation order, not a real skew. */
    public static final double DEFAULT_TOLERANCE = 1e-9;

    private Consistency() {
    }

    /**
     * One compared feature. {@code absDiff}: the absolute difference of two numbers (null when either is not a
     * number).
     */
    public record Comparison(String part, String feature, Object logValue, Object backfillValue, boolean mismatch,
                             Double absDiff) {
    }

    /** Every feature of {@code plan}'s join that {@code log} and {@code backfill} both hold, compared. */
    public static List<Comparison> compare(JoinPlan plan, SourceRecord log, SourceRecord backfill, double relativeTolerance) {
        List<Comparison> out = new ArrayList<>();
        if (log == null || backfill == null) {
            return out;
        }
        for (PartDefinition part : plan.join().parts()) {
            String hash = plan.hash(part);
            if (part.external() || !MergeRules.validFor(log, hash, part.name(), true)
                    || !MergeRules.validFor(backfill, hash, part.name(), false)) {
                continue;
            }
            for (FeatureDefinition f : part.features()) {
                Map<String, Object> lv = log.values();
                Map<String, Object> bv = backfill.values();
                if (lv.containsKey(f.name()) && bv.containsKey(f.name())) {
                    out.add(comparison(part.name(), f.name(), lv.get(f.name()), bv.get(f.name()), relativeTolerance));
                }
            }
        }
        return out;
    }

    /** The comparison of one feature's served and computed values. */
    public static Comparison comparison(String part, String feature, Object logValue, Object backfillValue,
                                        double relativeTolerance) {
        Double diff = logValue instanceof Number a && backfillValue instanceof Number b
                ? Math.abs(a.doubleValue() - b.doubleValue()) : null;
        return new Comparison(part, feature, logValue, backfillValue,
                !agrees(logValue, backfillValue, relativeTolerance), diff);
    }

    /** Whether a served value and a computed value agree (see the class comment). */
    public static boolean agrees(Object a, Object b, double relativeTolerance) {
        if (a == null || b == null) {
            return a == null && b == null;
        }
        if (a instanceof Number x && b instanceof Number y && !(a instanceof Boolean)) {
            double dx = x.doubleValue();
            double dy = y.doubleValue();
            if (Double.isNaN(dx) || Double.isNaN(dy)) {
                return Double.isNaN(dx) && Double.isNaN(dy);
            }
            if (dx == dy) {
                return true;
            }
            return Math.abs(dx - dy) <= relativeTolerance * Math.max(Math.abs(dx), Math.abs(dy));
        }
        return a.equals(b) || a.toString().equals(b.toString());
    }

    /** Refuses a tolerance that is not a number in [0, 1]. */
    public static double checkTolerance(double relativeTolerance) {
        if (!(relativeTolerance >= 0 && relativeTolerance <= 1)) {
            throw new IllegalArgumentException("consistency tolerance must be in [0, 1], got " + relativeTolerance);
        }
        return relativeTolerance;
    }
}
