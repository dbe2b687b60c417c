package io.splice.streams.internal;

import io.splice.core.merge.RowState;
import io.splice.core.merge.SourceLabel;
import io.splice.core.merge.SourceRecord;
import org.apache.kafka.common.errors.SerializationException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Encoding of the per-row state in the store and its changelog. The first byte is the format version; this build
 * writes {@link #VERSION} and reads every version a release has written (the changelog keeps old bytes for as long as
 * a row is not touched, so an upgrade must read them). Fixtures of each version's bytes live in the tests.
 * <ul>
 *   <li>3: revision, evicted, live, [last values, last sources], log, backfill, bootstraps</li>
 *   <li>4: adds the last emitted {@code ts} and {@code keys} (DESIGN §5.7 emits a change of either) and the stream
 *       time of an eviction (markers expire)</li>
 *   <li>5: names (features, parts, keys, source labels, bootstrap topics) as their index in the {@link PlanTable}
 *       the state names (text for a name the table lacks), a part hash equal to the table's as one byte, a last
 *       value that its source record holds as one byte, varints for the revision, small longs and later times;
 *       the records before the last emission, which refers to their values.</li>
 * </ul>
 */
public final class RowStateSerde {
    static final byte VERSION = 5;
    private static final byte V4 = 4;
    private static final byte V3 = 3;
    /** A v3 eviction marker has no eviction time: the stitcher stamps it with the stream time when it next sees it. */
    public static final long EVICTED_AT_UNKNOWN = -1L;

    // format 5: flags of the header
    private static final int EVICTED = 1, LIVE = 2, LOG = 4, BACKFILL = 8, LAST_TS = 16, LAST_KEYS = 32;
    // format 5: how a map is written
    private static final byte BY_INDEX = 0, BY_NAME = 1, SAME_KEYS = 2, AS_V4 = 3;
    /** Format 5, in place of a last value's scalar tag: the value its source record holds. */
    private static final byte FROM_SOURCE = 16;

    private RowStateSerde() {
    }

    /** Writes {@code s} in format 5 against {@code table}, which is at position {@code tableId} of the store's dictionary. */
    public static byte[] write(RowState s, PlanTable table, int tableId) {
        BinaryCodec.Writer out = new BinaryCodec.Writer(128);
        out.writeByte(VERSION);
        out.writeVarint(tableId);
        out.writeVarlong(s.revision());
        SourceRecord base = s.log() != null ? s.log() : s.backfill();
        boolean live = s.live();
        int flags = (s.evicted() ? EVICTED : 0) | (live ? LIVE : 0) | (s.log() != null ? LOG : 0) | (s.backfill() != null ? BACKFILL : 0);
        if (live && (base == null || base.ts() != s.lastTs())) {
            flags |= LAST_TS;
        }
        if (live && (base == null || !base.keys().equals(s.lastKeys()))) {
            flags |= LAST_KEYS;
        }
        out.writeByte(flags);
        if (s.evicted()) {
            out.writeLong(s.evictedAt());
        }
        long[] ref = {Long.MIN_VALUE};
        if (s.log() != null) {
            writeRecord(out, table, s.log(), ref, null);
        }
        if (s.backfill() != null) {
            writeRecord(out, table, s.backfill(), ref, s.log());
        }
        out.writeVarint(s.bootstraps().size());
        for (Map.Entry<String, SourceRecord> e : s.bootstraps().entrySet()) {
            writeName(out, table.topic(e.getKey()), e.getKey());
            writeRecord(out, table, e.getValue(), ref, base);
        }
        if (live) {
            if ((flags & LAST_TS) != 0) {
                writeTs(out, s.lastTs(), ref);
            }
            if ((flags & LAST_KEYS) != 0) {
                writeKeys(out, table, s.lastKeys());
            }
            writeEmitted(out, table, s);
        }
        return out.toByteArray();
    }

    /** Reads a state of any format this build knows; format 5 names its table in {@code tables}. */
    public static RowState read(byte[] data, PlanTable.Dictionary tables) {
        if (data.length > 0 && data[0] == VERSION) {
            return read5(new BinaryCodec.Reader(data), tables);
        }
        return readUpTo4(data);
    }

    /** The plan table a state of format 5 names; -1 for older formats, which name none. */
    static int tableId(byte[] data) {
        return data.length > 1 && data[0] == VERSION ? new BinaryCodec.Reader(data, 1).readVarint() : -1;
    }

    /** Formats 3 and 4, as the releases before format 5 wrote them. */
    private static RowState readUpTo4(byte[] data) {
        BinaryCodec.Reader in = new BinaryCodec.Reader(data);
        byte v = in.readByte();
        if (v != V4 && v != V3) {
            throw new SerializationException("unknown row-state version " + v + " (this build reads " + V3 + " to "
                    + VERSION + "; the state was written by a newer Splice: run that version, or reset the app)");
        }
        RowState s = new RowState();
        long revision = in.readLong();
        boolean evicted = in.readBoolean();
        s.restoreEvicted(evicted, evicted ? (v == V3 ? EVICTED_AT_UNKNOWN : in.readLong()) : 0L);
        boolean live = in.readBoolean();
        long lastTs = 0L;
        Map<String, String> lastKeys = null;
        Map<String, Object> lastValues = null;
        Map<String, String> lastSources = null;
        if (live) {
            if (v != V3) {
                lastTs = in.readLong();
                lastKeys = BinaryCodec.readKeys(in);
            }
            lastValues = BinaryCodec.readScalars(in);
            lastSources = BinaryCodec.readStrings(in);
        }
        s.log(BinaryCodec.readRecord(in));
        s.backfill(BinaryCodec.readRecord(in));
        int n = in.readVarint();
        for (int i = 0; i < n; i++) {
            s.bootstrap(BinaryCodec.readString(in), BinaryCodec.readRecord(in));
        }
        if (live && v == V3) {
            // v3 kept no ts/keys of the emission; take the row's current ones (rule 5), so that reading old state
            // emits nothing by itself: a row whose ts changed unseen under v3 is corrected by its next change.
            SourceRecord base = s.log() != null ? s.log() : s.backfill();
            lastTs = base != null ? base.ts() : 0L;
            lastKeys = base != null ? base.keys() : Map.of();
        }
        s.restoreEmitted(lastTs, lastKeys, lastValues, lastSources, revision);
        return s;
    }

    // ---- format 5 ---------------------------------------------------------------------------------------------------

    private static RowState read5(BinaryCodec.Reader in, PlanTable.Dictionary tables) {
        in.readByte();
        PlanTable table = tables.table(in.readVarint());
        RowState s = new RowState();
        long revision = in.readVarlong();
        int flags = in.readByte() & 0xff;
        boolean evicted = (flags & EVICTED) != 0;
        s.restoreEvicted(evicted, evicted ? in.readLong() : 0L);
        long[] ref = {Long.MIN_VALUE};
        SourceRecord log = (flags & LOG) != 0 ? readRecord(in, table, ref, null) : null;
        SourceRecord backfill = (flags & BACKFILL) != 0 ? readRecord(in, table, ref, log) : null;
        SourceRecord base = log != null ? log : backfill;
        s.log(log);
        s.backfill(backfill);
        int n = in.readVarint();
        for (int i = 0; i < n; i++) {
            String topic = readName(in, table.bootstrapTopics);
            s.bootstrap(topic, readRecord(in, table, ref, base));
        }
        if ((flags & LIVE) == 0) {
            s.restoreEmitted(0L, null, null, null, revision);
            return s;
        }
        if (base == null && (flags & (LAST_TS | LAST_KEYS)) != (LAST_TS | LAST_KEYS)) {
            throw new SerializationException("corrupt row state: a live row without a log or backfill record");
        }
        long lastTs = (flags & LAST_TS) != 0 ? readTs(in, ref) : base.ts();
        Map<String, String> lastKeys = (flags & LAST_KEYS) != 0 ? readKeys(in, table) : base.keys();
        Map<String, Object> values;
        Map<String, String> sources;
        byte mode = in.readByte();
        if (mode == AS_V4) {
            values = BinaryCodec.readScalars(in);
            sources = BinaryCodec.readStrings(in);
        } else {
            int count = mode == BY_INDEX ? table.features.size() : in.readVarint();
            if (mode != BY_INDEX && mode != BY_NAME || count < 0 || count > in.remaining()) {
                throw new SerializationException("corrupt row state: last emission mode " + mode + ", " + count + " values");
            }
            values = new LinkedHashMap<>(Math.max(4, count * 2));
            sources = new LinkedHashMap<>(Math.max(4, count * 2));
            for (int i = 0; i < count; i++) {
                String feature = mode == BY_INDEX ? table.features.get(i) : BinaryCodec.readString(in);
                String label = readName(in, table.labels);
                byte tag = in.readByte();
                Object v;
                if (tag == FROM_SOURCE) {
                    SourceRecord src = sourceOf(s, label);
                    if (src == null) {
                        throw new SerializationException("corrupt row state: " + feature + " refers to " + label + ", which the row lacks");
                    }
                    v = src.values().get(feature);
                } else {
                    v = BinaryCodec.readScalar(in, tag);
                }
                values.put(feature, v);
                sources.put(feature, label);
            }
        }
        s.restoreEmitted(lastTs, lastKeys, values, sources, revision);
        return s;
    }

    /** A name as 1 + its index in the table, or 0 and its text. */
    private static void writeName(BinaryCodec.Writer out, int index, String name) {
        if (index >= 0) {
            out.writeVarint(index + 1);
        } else {
            out.writeVarint(0);
            BinaryCodec.writeString(out, name);
        }
    }

    private static String readName(BinaryCodec.Reader in, List<String> names) {
        int i = in.readVarint();
        return i == 0 ? BinaryCodec.readString(in) : name(names, i - 1);
    }

    private static String name(List<String> names, int i) {
        if (i < 0 || i >= names.size()) {
            throw new SerializationException("corrupt row state: name " + i + " of a table of " + names.size());
        }
        return names.get(i);
    }

    /** The first time in full, later ones as their difference from it (a row's times are close together). */
    private static void writeTs(BinaryCodec.Writer out, long ts, long[] ref) {
        if (ref[0] == Long.MIN_VALUE) {
            out.writeLong(ts);
            ref[0] = ts;
        } else {
            out.writeZigzag(ts - ref[0]);
        }
    }

    private static long readTs(BinaryCodec.Reader in, long[] ref) {
        if (ref[0] == Long.MIN_VALUE) {
            ref[0] = in.readLong();
            return ref[0];
        }
        return ref[0] + in.readZigzag();
    }

    private static void writeKeys(BinaryCodec.Writer out, PlanTable table, Map<String, String> keys) {
        out.writeVarint(keys.size());
        for (Map.Entry<String, String> e : keys.entrySet()) {
            writeName(out, table.key(e.getKey()), e.getKey());
            BinaryCodec.writeString(out, e.getValue());
        }
    }

    private static Map<String, String> readKeys(BinaryCodec.Reader in, PlanTable table) {
        int n = in.readVarint();
        if (n < 0 || n > in.remaining()) {
            throw new SerializationException("corrupt row state: " + n + " keys in " + in.remaining() + " bytes");
        }
        Map<String, String> keys = new LinkedHashMap<>(Math.max(4, n * 2));
        for (int i = 0; i < n; i++) {
            keys.put(readName(in, table.keys), BinaryCodec.readValueString(in));
        }
        return keys;
    }

    /**
     * A source record: time, keys (or "those of {@code sameKeysAs}"), values by feature index when the table has every
     * feature (a bitmap of those present, then their values in table order), part hashes (one byte for a hash equal
     * to the table's).
     */
    private static void writeRecord(BinaryCodec.Writer out, PlanTable table, SourceRecord r, long[] ref, SourceRecord sameKeysAs) {
        writeTs(out, r.ts(), ref);
        if (sameKeysAs != null && r.keys().equals(sameKeysAs.keys())) {
            out.writeByte(SAME_KEYS);
        } else {
            out.writeByte(BY_NAME);
            writeKeys(out, table, r.keys());
        }
        Map<String, Object> values = r.values();
        // one pass over the entries, one index lookup each (lookups per table feature showed in the wide profile)
        int n = table.features.size();
        byte[] present = new byte[(n + 7) >>> 3];
        Object[] slots = new Object[n];
        boolean byIndex = true;
        for (Map.Entry<String, Object> e : values.entrySet()) {
            int i = table.feature(e.getKey());
            if (i < 0) {
                byIndex = false;
                break;
            }
            present[i >>> 3] |= (byte) (1 << (i & 7));
            slots[i] = e.getValue();
        }
        if (byIndex) {
            out.writeByte(BY_INDEX);
            out.writeBytes(present);
            for (int i = 0; i < n; i++) {
                if ((present[i >>> 3] & (1 << (i & 7))) != 0) {
                    BinaryCodec.writeScalarCompact(out, slots[i]);
                }
            }
        } else {
            out.writeByte(BY_NAME);
            out.writeVarint(values.size());
            for (Map.Entry<String, Object> e : values.entrySet()) {
                BinaryCodec.writeString(out, e.getKey());
                BinaryCodec.writeScalarCompact(out, e.getValue());
            }
        }
        Map<String, String> hashes = r.partHashes();
        if (hashes == null) {
            out.writeVarint(0);
            return;
        }
        out.writeVarint(hashes.size() + 1);
        for (Map.Entry<String, String> e : hashes.entrySet()) {
            int p = table.part(e.getKey());
            writeName(out, p, e.getKey());
            boolean current = p >= 0 && table.hashes.get(p).equals(e.getValue());
            out.writeBoolean(current);
            if (!current) {
                BinaryCodec.writeString(out, e.getValue());
            }
        }
    }

    private static SourceRecord readRecord(BinaryCodec.Reader in, PlanTable table, long[] ref, SourceRecord sameKeysAs) {
        long ts = readTs(in, ref);
        Map<String, String> keys;
        byte keysMode = in.readByte();
        if (keysMode == SAME_KEYS && sameKeysAs != null) {
            keys = sameKeysAs.keys();
        } else if (keysMode == BY_NAME) {
            keys = readKeys(in, table);
        } else {
            throw new SerializationException("corrupt row state: keys mode " + keysMode);
        }
        byte mode = in.readByte();
        Map<String, Object> values;
        if (mode == BY_INDEX) {
            int n = table.features.size();
            int bytes = (n + 7) >>> 3;
            if (bytes > in.remaining()) {
                throw new SerializationException("corrupt row state: a bitmap of " + bytes + " bytes in " + in.remaining());
            }
            byte[] present = new byte[bytes];
            for (int i = 0; i < bytes; i++) {
                present[i] = in.readByte();
            }
            values = new LinkedHashMap<>(Math.max(4, n * 2));
            for (int i = 0; i < n; i++) {
                if ((present[i >>> 3] & (1 << (i & 7))) != 0) {
                    values.put(table.features.get(i), BinaryCodec.readScalar(in));
                }
            }
        } else if (mode == BY_NAME) {
            int n = in.readVarint();
            if (n < 0 || n > in.remaining()) {
                throw new SerializationException("corrupt row state: " + n + " values in " + in.remaining() + " bytes");
            }
            values = new LinkedHashMap<>(Math.max(4, n * 2));
            for (int i = 0; i < n; i++) {
                values.put(BinaryCodec.readString(in), BinaryCodec.readScalar(in));
            }
        } else {
            throw new SerializationException("corrupt row state: values mode " + mode);
        }
        int h = in.readVarint();
        Map<String, String> hashes = null;
        if (h > 0) {
            if (h - 1 > in.remaining()) {
                throw new SerializationException("corrupt row state: " + (h - 1) + " part hashes in " + in.remaining() + " bytes");
            }
            hashes = new LinkedHashMap<>(Math.max(4, h * 2));
            for (int i = 0; i < h - 1; i++) {
                int p = in.readVarint();
                String part = p == 0 ? BinaryCodec.readString(in) : name(table.parts, p - 1);
                boolean current = in.readBoolean();
                if (current && p == 0) {
                    throw new SerializationException("corrupt row state: part " + part + " has the table's hash but is not in it");
                }
                hashes.put(part, current ? table.hashes.get(p - 1) : BinaryCodec.readString(in));
            }
        }
        return new SourceRecord(ts, keys, values, hashes);
    }

    /**
     * The last emission: by feature index when it has exactly the table's features (what the merge emits), each a
     * source label and its value, or {@link #FROM_SOURCE} when the record the label names holds that very value (the
     * usual case: the merge took it from there).
     */
    private static void writeEmitted(BinaryCodec.Writer out, PlanTable table, RowState s) {
        Map<String, Object> values = s.lastValues();
        Map<String, String> sources = s.lastSources();
        int n = table.features.size();
        boolean byIndex = values.size() == n;
        boolean paired = values.size() == sources.size();
        String[] labels = new String[values.size()];
        int[] index = new int[values.size()];
        int k = 0;
        for (String f : values.keySet()) {
            String label = sources.get(f);
            if (label == null) {
                paired = false;
                break;
            }
            labels[k] = label;
            index[k++] = byIndex ? table.feature(f) : -1;
            byIndex &= index[k - 1] >= 0;
        }
        if (!paired) {
            out.writeByte(AS_V4); // not what the merge emits: kept as it is
            BinaryCodec.writeScalars(out, values);
            BinaryCodec.writeStrings(out, sources);
            return;
        }
        EmittedWriter w = new EmittedWriter(out, table, s);
        if (byIndex) {
            // the values in table order (distinct names, as many as the table's: every index once)
            Object[] slotValues = new Object[n];
            String[] slotLabels = new String[n];
            k = 0;
            for (Object v : values.values()) {
                slotValues[index[k]] = v;
                slotLabels[index[k]] = labels[k];
                k++;
            }
            out.writeByte(BY_INDEX);
            for (int i = 0; i < n; i++) {
                w.write(table.features.get(i), slotValues[i], slotLabels[i]);
            }
        } else {
            out.writeByte(BY_NAME);
            out.writeVarint(values.size());
            k = 0;
            for (Map.Entry<String, Object> e : values.entrySet()) {
                BinaryCodec.writeString(out, e.getKey());
                w.write(e.getKey(), e.getValue(), labels[k++]);
            }
        }
    }

    /** Writes last values; consecutive features mostly share a label, so its index and record are looked up once. */
    private static final class EmittedWriter {
        private final BinaryCodec.Writer out;
        private final PlanTable table;
        private final RowState s;
        private String label;
        private int labelIndex;
        private SourceRecord src;

        EmittedWriter(BinaryCodec.Writer out, PlanTable table, RowState s) {
            this.out = out;
            this.table = table;
            this.s = s;
        }

        void write(String feature, Object value, String label) {
            if (!label.equals(this.label)) {
                this.label = label;
                this.labelIndex = table.label(label);
                this.src = sourceOf(s, label);
            }
            writeName(out, labelIndex, label);
            if (src != null) {
                Object held = src.values().get(feature);
                if (held != null ? identical(value, held) : value == null && src.values().containsKey(feature)) {
                    out.writeByte(FROM_SOURCE);
                    return;
                }
            }
            BinaryCodec.writeScalarCompact(out, value);
        }
    }

    /** The record a source label names in this row; null for missing, or a source the row does not hold. */
    private static SourceRecord sourceOf(RowState s, String label) {
        return switch (SourceLabel.kindOf(label)) {
            case LOG -> s.log();
            case BACKFILL -> s.backfill();
            case BOOTSTRAP -> s.bootstraps().get(SourceLabel.bootstrapTopic(label));
            case MISSING -> null;
        };
    }

    /** Same type and same bits (a double's -0.0 and NaN payloads included): what reading back must give. */
    private static boolean identical(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.getClass() != b.getClass()) {
            return false;
        }
        if (a instanceof Double d) {
            return Double.doubleToRawLongBits(d) == Double.doubleToRawLongBits((Double) b);
        }
        if (a instanceof Float f) {
            return Float.floatToRawIntBits(f) == Float.floatToRawIntBits((Float) b);
        }
        return a.equals(b);
    }
}
