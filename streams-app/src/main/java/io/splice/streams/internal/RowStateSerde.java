package io.splice.streams.internal;

import io.splice.core.merge.RowState;
import io.splice.core.merge.SourceRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.util.Map;

/**
 * Serde of the per-row state in the store and its changelog. The first byte is the format version; this build writes
 * {@link #VERSION} and reads every version a release has written (the changelog keeps old bytes for as long as a row
 * is not touched, so an upgrade must read them). Fixtures of each version's bytes live in the tests.
 * <ul>
 *   <li>3: revision, evicted, live, [last values, last sources], log, backfill, bootstraps</li>
 *   <li>4: adds the last emitted {@code ts} and {@code keys} (DESIGN §5.7 emits a change of either) and the stream
 *       time of an eviction (markers expire)</li>
 * </ul>
 */
public final class RowStateSerde implements Serde<RowState> {
    static final byte VERSION = 4;
    private static final byte V3 = 3;
    /** A v3 eviction marker has no eviction time: the stitcher stamps it with the stream time when it next sees it. */
    public static final long EVICTED_AT_UNKNOWN = -1L;

    @Override
    public Serializer<RowState> serializer() {
        return (topic, s) -> s == null ? null : write(s);
    }

    @Override
    public Deserializer<RowState> deserializer() {
        return (topic, data) -> data == null ? null : read(data);
    }

    public static byte[] write(RowState s) {
        BinaryCodec.Writer out = new BinaryCodec.Writer(256);
        out.writeByte(VERSION);
        out.writeLong(s.revision());
        out.writeBoolean(s.evicted());
        if (s.evicted()) {
            out.writeLong(s.evictedAt());
        }
        out.writeBoolean(s.live());
        if (s.live()) {
            out.writeLong(s.lastTs());
            BinaryCodec.writeStrings(out, s.lastKeys());
            BinaryCodec.writeScalars(out, s.lastValues());
            BinaryCodec.writeStrings(out, s.lastSources());
        }
        BinaryCodec.writeRecord(out, s.log());
        BinaryCodec.writeRecord(out, s.backfill());
        out.writeVarint(s.bootstraps().size());
        for (Map.Entry<String, SourceRecord> e : s.bootstraps().entrySet()) {
            BinaryCodec.writeString(out, e.getKey());
            BinaryCodec.writeRecord(out, e.getValue());
        }
        return out.toByteArray();
    }

    public static RowState read(byte[] data) {
        BinaryCodec.Reader in = new BinaryCodec.Reader(data);
        byte v = in.readByte();
        if (v != VERSION && v != V3) {
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
                lastKeys = BinaryCodec.readStrings(in);
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
}
