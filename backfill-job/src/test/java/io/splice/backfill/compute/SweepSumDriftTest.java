package io.splice.backfill.compute;

import io.splice.core.api.Aggregation;
import io.splice.core.api.FeatureType;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Double sums of the sweep do not drift (issue 12, item 8): a sum (and avg) is the exact sum of the window's events
 * rounded once, so it is bit-identical whatever events streamed by before (other chunk sizes, other lookbacks).
 * Driven through {@link SweepFunction} directly, without Spark: input rows are (key, t, kind, row_key, v0), sorted as
 * the engine sorts them.
 */
class SweepSumDriftTest {
    static final long MIN = 60_000L;
    static final long HOUR = 60 * MIN;
    static final long DAY = 24 * HOUR;
    static final long T0 = 1_759_276_800_000L; // 2025-10-01T00:00Z
    static final int DAYS = 6;

    static final FeatureSpec[] SPECS = {
            new FeatureSpec("sum_1h", Aggregation.SUM, FeatureType.DOUBLE, "amount", null, HOUR),
            new FeatureSpec("sum_1d", Aggregation.SUM, FeatureType.DOUBLE, "amount", null, DAY),
            new FeatureSpec("avg_1d", Aggregation.AVG, FeatureType.DOUBLE, "amount", null, DAY),
            new FeatureSpec("sum_all", Aggregation.SUM, FeatureType.DOUBLE, "amount", null, FeatureSpec.UNBOUNDED)};

    record Ev(String key, long t, double amount) {
    }

    record LeftRow(String rowKey, String key, long t) {
    }

    /** Cents (not binary fractions), now and then a huge amount that later leaves the window, and sign changes. */
    static List<Ev> events(long seed) {
        Random rnd = new Random(seed);
        List<Ev> out = new ArrayList<>();
        for (long t = T0 - 2 * DAY; t < T0 + DAYS * DAY; t += 1 + rnd.nextInt(20) * MIN) {
            double cents = (rnd.nextInt(2_000_000) - 200_000) / 100.0;                  // -2000.00 .. 17999.99
            double amount = switch (rnd.nextInt(40)) {
                case 0 -> 1e17 + cents;                                                   // a huge one
                case 1 -> -(3e16 + rnd.nextInt(1000) / 10.0);
                case 2 -> 0.1 * rnd.nextInt(10) + 0.7;
                default -> cents;
            };
            out.add(new Ev("k" + rnd.nextInt(3), t, amount));
        }
        return out;
    }

    static List<LeftRow> rows(long seed) {
        Random rnd = new Random(seed * 31 + 1);
        List<LeftRow> out = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            out.add(new LeftRow("r" + i, "k" + rnd.nextInt(3), T0 + (long) (rnd.nextDouble() * DAYS * DAY)));
        }
        return out;
    }

    /** The sweep over {@code events} and {@code rows}: row key -> outputs (one per spec). */
    static Map<String, Object[]> sweep(List<Ev> events, List<LeftRow> rows) {
        List<Row> in = new ArrayList<>();
        for (Ev e : events) {
            in.add(RowFactory.create(e.key(), e.t(), FeatureEngine.KIND_EVENT, null, e.amount()));
        }
        for (LeftRow r : rows) {
            in.add(RowFactory.create(r.key(), r.t(), FeatureEngine.KIND_ROW, r.rowKey(), null));
        }
        in.sort(Comparator.comparing((Row r) -> r.getString(0)).thenComparingLong(r -> r.getLong(1))
                .thenComparingInt(r -> r.getInt(2)));
        int[] columnOf = new int[SPECS.length];
        Iterator<Row> it = new SweepFunction(SPECS, columnOf, 1).call(in.iterator());
        Map<String, Object[]> out = new HashMap<>();
        while (it.hasNext()) {
            Row r = it.next();
            Object[] v = new Object[SPECS.length];
            for (int i = 0; i < SPECS.length; i++) {
                v[i] = r.get(i + 1);
            }
            out.put(r.getString(0), v);
        }
        return out;
    }

    /** What one chunk [from, to) reads: its rows, and the events of [from - longest window, to). */
    static Map<String, Object[]> chunked(List<Ev> events, List<LeftRow> rows, int chunkDays, long lookback) {
        Map<String, Object[]> out = new HashMap<>();
        for (long from = T0; from < T0 + DAYS * DAY; from += chunkDays * DAY) {
            long f = from;
            long to = from + chunkDays * DAY;
            out.putAll(sweep(events.stream().filter(e -> e.t() >= f - lookback && e.t() < to).toList(),
                    rows.stream().filter(r -> r.t() >= f && r.t() < to).toList()));
        }
        return out;
    }

    static String bits(Object o) {
        return o == null ? "null" : o + " (0x" + Long.toHexString(Double.doubleToRawLongBits((Double) o)) + ")";
    }

    @Test
    @DisplayName("a double sum or avg is the exact sum of its window rounded once (amounts in cents, huge values leaving)")
    void sumsAreTheExactSumRoundedOnce() {
        for (long seed = 1; seed <= 3; seed++) {
            List<Ev> events = events(seed);
            List<LeftRow> rows = rows(seed);
            Map<String, Object[]> got = sweep(events, rows);
            int checked = 0;
            for (LeftRow r : rows) {
                for (int i = 0; i < SPECS.length; i++) {
                    FeatureSpec f = SPECS[i];
                    BigDecimal exact = BigDecimal.ZERO;
                    long n = 0;
                    for (Ev e : events) {
                        if (e.key().equals(r.key()) && e.t() < r.t() && (f.unbounded() || e.t() >= r.t() - f.windowMillis())) {
                            exact = exact.add(new BigDecimal(e.amount()));
                            n++;
                        }
                    }
                    Object actual = got.get(r.rowKey())[i];
                    if (n == 0) {
                        assertNull(actual, r + " " + f.name());
                        continue;
                    }
                    double sum = exact.doubleValue(); // BigDecimal -> double rounds to nearest, once
                    double expected = f.agg() == Aggregation.AVG ? sum / n : sum;
                    assertEquals(bits(expected), bits(actual), "seed " + seed + ", " + r + ", " + f.name());
                    checked++;
                }
            }
            assertTrue(checked > 1500, "rows with events in their windows: " + checked);
        }
    }

    @Test
    @DisplayName("double sums are bit-identical across chunk sizes (1, 2, 3 and 6 days) and equal to one pass")
    void sumsAreBitIdenticalAcrossChunkSizes() {
        List<Ev> events = events(11);
        List<LeftRow> rows = rows(11);
        Map<String, Object[]> whole = sweep(events, rows);
        // unbounded sums read everything before the chunk; the 1h/1d sums only the lookback of the longest window
        long everything = 10 * DAY;
        for (int chunk : new int[] {1, 2, 3, 6}) {
            Map<String, Object[]> c = chunked(events, rows, chunk, everything);
            assertEquals(whole.keySet(), c.keySet());
            for (String k : whole.keySet()) {
                for (int i = 0; i < SPECS.length; i++) {
                    assertEquals(bits(whole.get(k)[i]), bits(c.get(k)[i]),
                            "chunk " + chunk + " day(s), row " + k + ", " + SPECS[i].name());
                }
            }
        }
        // a chunk that reads only the windowed features' lookback gives the same windowed values
        FeatureSpec[] windowed = {SPECS[0], SPECS[1], SPECS[2]};
        for (int chunk : new int[] {1, 4}) {
            Map<String, Object[]> c = chunked(events, rows, chunk, DAY);
            for (String k : whole.keySet()) {
                for (int i = 0; i < windowed.length; i++) {
                    assertEquals(bits(whole.get(k)[i]), bits(c.get(k)[i]),
                            "lookback 1d, chunk " + chunk + " day(s), row " + k + ", " + windowed[i].name());
                }
            }
        }
    }
}
