package io.splice.backfill.compute;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * The per-key sweep over a partition sorted by (key, time, kind) with rows before events at equal time. Events are
 * appended to a buffer and added to each feature's running state as they stream by; when a row at {@code t}
 * arrives, each feature drops the events older than {@code t - window} (its own lower pointer) and reads its state.
 * Because rows sort before events of the same millisecond, the window is exactly {@code [t - window, t)}.
 *
 * <p>Input columns: key, t, kind, row_key, v0..vm (see {@link FeatureEngine#union}; features may share a value
 * column); output: row_key, r0..rn, one per feature.
 */
public final class SweepFunction implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final FeatureSpec[] specs;
    private final int[] columnOf;
    private final int columns;

    /** @param columnOf per feature, the value column it reads; {@code columns} distinct value columns in all */
    public SweepFunction(FeatureSpec[] specs, int[] columnOf, int columns) {
        this.specs = specs;
        this.columnOf = columnOf;
        this.columns = columns;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        return new Sweep(specs, columnOf, columns, input);
    }

    /** Lazily emits one output per row record. */
    private static final class Sweep implements Iterator<Row> {
        private final FeatureSpec[] specs;
        private final int[] columnOf;
        private final int columns;
        private final Iterator<Row> in;
        private final int nf;
        private final State[] states;
        private final int[] lo;
        // events of the current key still inside some window: times and per-feature values, from absolute index base
        private long[] ts = new long[64];
        private Object[][] vals = new Object[64][];
        private int base;   // absolute index of slot 0
        private int size;   // absolute index one past the last event
        private String key;
        private boolean first = true;
        private Row next;

        Sweep(FeatureSpec[] specs, int[] columnOf, int columns, Iterator<Row> in) {
            this.specs = specs;
            this.columnOf = columnOf;
            this.columns = columns;
            this.in = in;
            this.nf = specs.length;
            this.states = new State[nf];
            this.lo = new int[nf];
            for (int i = 0; i < nf; i++) {
                states[i] = State.of(specs[i]);
            }
        }

        @Override
        public boolean hasNext() {
            while (next == null && in.hasNext()) {
                next = consume(in.next());
            }
            return next != null;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Row r = next;
            next = null;
            return r;
        }

        private Row consume(Row r) {
            String k = r.isNullAt(0) ? null : r.getString(0);
            if (first || !Objects.equals(k, key)) {
                resetKey(k);
            }
            long t = r.getLong(1);
            if (r.getInt(2) == FeatureEngine.KIND_EVENT) {
                append(t, r);
                return null;
            }
            Object[] out = new Object[nf + 1];
            out[0] = r.getString(3);
            int minLo = Integer.MAX_VALUE;
            for (int i = 0; i < nf; i++) {
                FeatureSpec f = specs[i];
                if (!f.unbounded()) {
                    long bound = t - f.windowMillis();
                    int l = lo[i];
                    State s = states[i];
                    while (l < size && ts[l - base] < bound) {
                        Object v = vals[l - base][columnOf[i]];
                        if (v != null) {
                            s.remove(l, v);
                        }
                        l++;
                    }
                    lo[i] = l;
                    minLo = Math.min(minLo, l);
                }
                out[i + 1] = states[i].result();
            }
            // unbounded features never drop events, so they need no buffer
            trim(Math.min(minLo, size));
            return RowFactory.create(out);
        }

        private void resetKey(String k) {
            first = false;
            key = k;
            base = 0;
            size = 0;
            Arrays.fill(lo, 0);
            for (State s : states) {
                s.reset();
            }
            if (ts.length > 4096) {
                ts = new long[64];
                vals = new Object[64][];
            }
        }

        private void append(long t, Row r) {
            int slot = size - base;
            if (slot == ts.length) {
                ts = Arrays.copyOf(ts, ts.length * 2);
                vals = Arrays.copyOf(vals, vals.length * 2);
            }
            Object[] v = new Object[columns];
            for (int c = 0; c < columns; c++) {
                v[c] = r.get(4 + c);
            }
            for (int i = 0; i < nf; i++) {
                Object x = v[columnOf[i]];
                if (x != null) {
                    states[i].add(size, t, x);
                }
            }
            ts[slot] = t;
            vals[slot] = v;
            size++;
        }

        /** Drops the buffered events that every feature's window has left. */
        private void trim(int minLo) {
            int drop = minLo - base;
            if (drop <= 0 || drop < (size - base) / 2 && drop < 1024) {
                return;
            }
            int keep = size - minLo;
            System.arraycopy(ts, drop, ts, 0, keep);
            System.arraycopy(vals, drop, vals, 0, keep);
            Arrays.fill(vals, keep, keep + drop, null);
            base = minLo;
        }
    }

    /** Running aggregate of one feature over the events currently in its window. */
    abstract static class State {
        abstract void add(int idx, long t, Object v);

        abstract void remove(int idx, Object v);

        abstract Object result();

        abstract void reset();

        static State of(FeatureSpec f) {
            return switch (f.agg()) {
                case COUNT -> new Count();
                case SUM -> f.integralSum() ? new LongSum() : new DoubleSum(false);
                case AVG -> new DoubleSum(true);
                case MIN -> new Extreme(-1);
                case MAX -> new Extreme(1);
                case LAST -> new Last();
                case COUNT_DISTINCT -> new Distinct();
            };
        }
    }

    static final class Count extends State {
        long n;

        void add(int idx, long t, Object v) {
            n++;
        }

        void remove(int idx, Object v) {
            n--;
        }

        Object result() {
            return n;
        }

        void reset() {
            n = 0;
        }
    }

    static final class LongSum extends State {
        long n;
        long sum;

        void add(int idx, long t, Object v) {
            n++;
            sum += ((Number) v).longValue();
        }

        void remove(int idx, Object v) {
            n--;
            sum -= ((Number) v).longValue();
        }

        Object result() {
            return n == 0 ? null : sum;
        }

        void reset() {
            n = 0;
            sum = 0;
        }
    }

    /**
     * Sum or average of doubles, exact: {@link ExactSum} holds the window's values as one exact fixed-point integer, so
     * the result is the exact sum of the events in the window rounded once, bit-identical whatever came before (chunk
     * sizes, lookbacks, sweep order). The average divides that rounded sum by the count.
     */
    static final class DoubleSum extends State {
        private final boolean average;
        private final ExactSum sum = new ExactSum();
        long n;

        DoubleSum(boolean average) {
            this.average = average;
        }

        void add(int idx, long t, Object v) {
            n++;
            sum.add(((Number) v).doubleValue());
        }

        void remove(int idx, Object v) {
            n--;
            if (n == 0) {
                sum.reset();
            } else {
                sum.remove(((Number) v).doubleValue());
            }
        }

        Object result() {
            if (n == 0) {
                return null;
            }
            double s = sum.value();
            return average ? s / n : s;
        }

        void reset() {
            n = 0;
            sum.reset();
        }
    }

    /** Sliding min (sign -1) or max (sign 1) with a monotonic deque of (index, value). */
    static final class Extreme extends State {
        private final int sign;
        int[] idx = new int[16];
        Object[] val = new Object[16];
        int head;
        int tail;

        Extreme(int sign) {
            this.sign = sign;
        }

        void add(int i, long t, Object v) {
            while (tail > head && sign * Values.compare(val[tail - 1], v) < 0) {
                val[--tail] = null;
            }
            if (tail == idx.length) {
                if (head > 0) {
                    int n = tail - head;
                    System.arraycopy(idx, head, idx, 0, n);
                    System.arraycopy(val, head, val, 0, n);
                    Arrays.fill(val, n, tail, null);
                    head = 0;
                    tail = n;
                }
                if (tail == idx.length) {
                    idx = Arrays.copyOf(idx, idx.length * 2);
                    val = Arrays.copyOf(val, val.length * 2);
                }
            }
            idx[tail] = i;
            val[tail++] = v;
        }

        void remove(int i, Object v) {
            if (tail > head && idx[head] == i) {
                val[head++] = null;
            }
        }

        Object result() {
            return tail > head ? val[head] : null;
        }

        void reset() {
            Arrays.fill(val, head, tail, null);
            head = 0;
            tail = 0;
        }
    }

    /** The latest counting event; ties at the same millisecond go to the greatest value. */
    static final class Last extends State {
        int idx = -1;
        long t;
        Object v;

        void add(int i, long time, Object value) {
            if (v == null || time > t || time == t && Values.compare(value, v) > 0) {
                idx = i;
                t = time;
                v = value;
            }
        }

        void remove(int i, Object value) {
            if (i == idx) {
                idx = -1;
                v = null;
            }
        }

        Object result() {
            return v;
        }

        void reset() {
            idx = -1;
            v = null;
        }
    }

    static final class Distinct extends State {
        final Map<Object, int[]> counts = new HashMap<>();

        void add(int i, long t, Object v) {
            counts.computeIfAbsent(v, x -> new int[1])[0]++;
        }

        void remove(int i, Object v) {
            int[] c = counts.get(v);
            if (c != null && --c[0] == 0) {
                counts.remove(v);
            }
        }

        Object result() {
            return (long) counts.size();
        }

        void reset() {
            counts.clear();
        }
    }
}
