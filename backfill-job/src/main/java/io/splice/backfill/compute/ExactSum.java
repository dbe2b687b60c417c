package io.splice.backfill.compute;

import java.util.Arrays;

/**
 * An exact running sum of doubles that values can be added to and removed from in any order.
 *
 * <p>Every finite double is an integer multiple of 2<sup>-1074</sup> below 2<sup>1024</sup>, so the sum is kept as
 * one signed fixed-point integer in units of 2<sup>-1074</sup>: 68 limbs of 32 bits, each held in a {@code long}
 * so that carries can wait (a value touches at most three limbs; carries are propagated before a read and every
 * 2<sup>30</sup> updates). Adding and removing are exact integer operations, so the state depends only on the
 * multiset of values currently in the sum, never on the order they came in or on values that came and left.
 * {@link #value()} rounds that exact sum once, to the nearest double (ties to even): the same result as a fresh
 * exact sum of the window, bit for bit, whatever the chunking or sweep order. An exact sum beyond the double range
 * is an infinity; infinities and NaN are counted apart and give what IEEE addition gives (+inf and -inf: NaN).
 *
 * <p>Cost: an add or a remove updates three limbs; a read propagates carries over the limbs in use (a few for
 * amounts of similar magnitude) and assembles the top 64 bits.
 */
final class ExactSum {
    private static final int LIMBS = 68; // 2176 bits: 2098 for any double, plus headroom for 2^31 pending updates
    private static final long MASK = 0xFFFF_FFFFL;
    private static final int CARRY_EVERY = 1 << 30;

    private final long[] limb = new long[LIMBS];
    private final long[] scratch = new long[LIMBS];
    private int lo = LIMBS; // lowest limb in use
    private int hi = -1;    // highest limb in use
    private int pending;
    private long nan;
    private long posInf;
    private long negInf;

    void add(double x) {
        update(x, 1);
    }

    void remove(double x) {
        update(x, -1);
    }

    void reset() {
        if (hi >= lo) {
            Arrays.fill(limb, lo, hi + 1, 0L);
        }
        lo = LIMBS;
        hi = -1;
        pending = 0;
        nan = 0;
        posInf = 0;
        negInf = 0;
    }

    private void update(double x, int dir) {
        long bits = Double.doubleToRawLongBits(x);
        int e = (int) ((bits >>> 52) & 0x7FF);
        long m = bits & 0x000F_FFFF_FFFF_FFFFL;
        if (e == 0x7FF) {
            if (m != 0) {
                nan += dir;
            } else if (bits < 0) {
                negInf += dir;
            } else {
                posInf += dir;
            }
            return;
        }
        if (e == 0) {
            if (m == 0) {
                return; // ±0 changes nothing
            }
        } else {
            m |= 1L << 52;
        }
        // x = m * 2^(e - 1075) for a normal, m * 2^-1074 for a subnormal: in units of 2^-1074, m shifted left by p
        int p = e == 0 ? 0 : e - 1;
        int i = p >>> 5;
        int s = p & 31;
        long p0 = (m << s) & MASK;
        long p1 = (m << s) >>> 32;                 // bits 32..63 of m * 2^s (m < 2^53: nothing above 2^64 is lost here)
        long p2 = s == 0 ? 0L : m >>> (64 - s);    // bits 64.. of m * 2^s
        if (bits < 0) {
            dir = -dir;
        }
        limb[i] += dir * p0;
        limb[i + 1] += dir * p1;
        limb[i + 2] += dir * p2;
        lo = Math.min(lo, i);
        hi = Math.max(hi, i + 2);
        if (++pending >= CARRY_EVERY) {
            carry();
        }
    }

    /** Propagates carries: afterwards every limb in use but the highest is in [0, 2^32). */
    private void carry() {
        pending = 0;
        if (hi < lo) {
            return;
        }
        for (int k = lo; k < LIMBS - 1; k++) {
            long c = limb[k] >> 32;
            limb[k] &= MASK;
            if (c != 0) {
                limb[k + 1] += c;
                if (k + 1 > hi) {
                    hi = k + 1;
                }
            } else if (k >= hi) {
                break;
            }
        }
        while (hi >= lo && limb[hi] == 0) {
            hi--;
        }
        while (lo <= hi && limb[lo] == 0) {
            lo++;
        }
        if (hi < lo) {
            lo = LIMBS;
            hi = -1;
        }
    }

    /** The exact sum rounded once to the nearest double (ties to even); 0.0 for an empty or zero sum. */
    double value() {
        if (nan > 0 || posInf > 0 && negInf > 0) {
            return Double.NaN;
        }
        if (posInf > 0) {
            return Double.POSITIVE_INFINITY;
        }
        if (negInf > 0) {
            return Double.NEGATIVE_INFINITY;
        }
        carry();
        if (hi < lo) {
            return 0.0;
        }
        boolean negative = limb[hi] < 0;
        long[] t = limb;
        if (negative) { // the magnitude: negate every limb and propagate carries again
            t = scratch;
            for (int k = lo; k <= hi; k++) {
                t[k] = -limb[k];
            }
            for (int k = lo; k < hi; k++) {
                long c = t[k] >> 32;
                t[k] &= MASK;
                t[k + 1] += c;
            }
        }
        int top = hi;
        while (t[top] == 0) {
            top--;
        }
        // magnitude M = sum t[k] * 2^(32k), limbs below top in [0, 2^32); its bit length:
        int length = 32 * top + 64 - Long.numberOfLeadingZeros(t[top]);
        int shift = Math.max(0, length - 63); // keep the top 63 bits, fold what is dropped into a sticky bit
        long h = 0;
        boolean sticky = false;
        for (int k = top; k >= lo; k--) {
            long v = t[k];
            int pos = 32 * k - shift;
            if (v == 0) {
                continue;
            }
            if (pos >= 0) {
                h |= v << pos;
            } else if (pos > -64) {
                h |= v >>> -pos;
                sticky |= (v & ((1L << -pos) - 1)) != 0;
            } else {
                sticky = true;
            }
        }
        if (sticky) {
            h |= 1L; // below the 53 bits kept: decides ties the way the dropped bits would
        }
        // (double) h rounds to 53 bits, once; scaling by a power of two is exact (M < 2^53 when the result is subnormal)
        double d = Math.scalb((double) h, shift - 1074);
        if (negative) {
            Arrays.fill(scratch, lo, hi + 1, 0L);
            d = -d;
        }
        return d;
    }
}
