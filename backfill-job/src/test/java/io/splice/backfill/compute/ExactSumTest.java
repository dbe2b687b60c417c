package io.splice.backfill.compute;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ExactSum} against BigDecimal: any order of adds and removes gives the exact sum rounded once. */
class ExactSumTest {
    static String bits(double d) {
        return d + " (0x" + Long.toHexString(Double.doubleToRawLongBits(d)) + ")";
    }

    @Test
    @DisplayName("ExactSum: add and remove in any order, rounding once, non-finite values and subnormals")
    void exactSumUnit() {
        Random rnd = new Random(5);
        for (int round = 0; round < 2000; round++) {
            ExactSum s = new ExactSum();
            List<Double> in = new ArrayList<>();
            int n = 1 + rnd.nextInt(30);
            for (int i = 0; i < n; i++) {
                double x = switch (rnd.nextInt(6)) {
                    case 0 -> rnd.nextInt(100_000) / 100.0;
                    case 1 -> -rnd.nextDouble() * Math.pow(10, rnd.nextInt(40) - 20);
                    case 2 -> Double.longBitsToDouble(rnd.nextLong() & 0x7FEF_FFFF_FFFF_FFFFL) * (rnd.nextBoolean() ? 1 : -1);
                    case 3 -> Double.MIN_VALUE * rnd.nextInt(1000) * (rnd.nextBoolean() ? 1 : -1);
                    case 4 -> rnd.nextGaussian() * 1e300;
                    default -> rnd.nextGaussian();
                };
                in.add(x);
                s.add(x);
            }
            // remove a random half and add some back: only the multiset summed now counts
            List<Double> kept = new ArrayList<>();
            for (double x : in) {
                if (rnd.nextBoolean()) {
                    s.remove(x);
                } else {
                    kept.add(x);
                }
            }
            BigDecimal exact = BigDecimal.ZERO;
            for (double x : kept) {
                exact = exact.add(new BigDecimal(x));
            }
            double expected = exact.doubleValue();
            assertEquals(bits(expected == 0 ? 0.0 : expected), bits(s.value()), "round " + round + " " + kept);
        }
        ExactSum s = new ExactSum();
        s.add(Double.MAX_VALUE);
        s.add(Double.MAX_VALUE);
        assertEquals(Double.POSITIVE_INFINITY, s.value(), "overflow of the exact sum rounds to infinity");
        s.remove(Double.MAX_VALUE);
        assertEquals(Double.MAX_VALUE, s.value(), "and comes back once a value leaves");
        s.add(Double.NEGATIVE_INFINITY);
        assertEquals(Double.NEGATIVE_INFINITY, s.value());
        s.add(Double.POSITIVE_INFINITY);
        assertTrue(Double.isNaN(s.value()));
        s.remove(Double.NEGATIVE_INFINITY);
        s.remove(Double.POSITIVE_INFINITY);
        s.add(Double.NaN);
        assertTrue(Double.isNaN(s.value()));
        s.remove(Double.NaN);
        assertEquals(Double.MAX_VALUE, s.value());
        s.remove(Double.MAX_VALUE);
        assertEquals(0.0, s.value());
        s.add(0.1);
        s.add(0.2);
        assertEquals(new BigDecimal(0.1).add(new BigDecimal(0.2)).doubleValue(), s.value());
        assertEquals(0.30000000000000004, s.value(), "0.1 + 0.2 rounded once is still the nearest double");
    }
}
