package io.splice.streams.internal;

import io.splice.core.api.BootstrapPart;
import io.splice.core.api.PartDefinition;
import io.splice.core.merge.JoinPlan;
import io.splice.core.merge.SourceLabel;
import org.apache.kafka.common.errors.SerializationException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The names a join's row states repeat (features, parts and their current hashes, key names, source labels and
 * bootstrap topics), so that the state format can write a name as its index here instead of its text
 * ({@link RowStateSerde} format 5). A table is what one plan wrote: definitions change between runs (a feature
 * added or removed), so every table a store's states refer to is kept in that store ({@link Dictionary}), and a
 * state names its table by its index there. Reading never depends on the plan that runs now.
 */
public final class PlanTable {
    final List<String> features;
    final List<String> parts;
    /** The part hashes of the plan, in the order of {@link #parts}. */
    final List<String> hashes;
    final List<String> keys;
    final List<String> labels;
    final List<String> bootstrapTopics;
    private final Map<String, Integer> featureIndex;
    private final Map<String, Integer> partIndex;
    private final Map<String, Integer> keyIndex;
    private final Map<String, Integer> labelIndex;
    private final Map<String, Integer> topicIndex;
    private final byte[] encoded;

    private PlanTable(List<String> features, List<String> parts, List<String> hashes, List<String> keys, List<String> labels,
                      List<String> bootstrapTopics) {
        this.features = List.copyOf(features);
        this.parts = List.copyOf(parts);
        this.hashes = List.copyOf(hashes);
        this.keys = List.copyOf(keys);
        this.labels = List.copyOf(labels);
        this.bootstrapTopics = List.copyOf(bootstrapTopics);
        this.featureIndex = index(this.features);
        this.partIndex = index(this.parts);
        this.keyIndex = index(this.keys);
        this.labelIndex = index(this.labels);
        this.topicIndex = index(this.bootstrapTopics);
        BinaryCodec.Writer out = new BinaryCodec.Writer(256);
        for (List<String> l : List.of(this.features, this.parts, this.hashes, this.keys, this.labels, this.bootstrapTopics)) {
            out.writeVarint(l.size());
            l.forEach(s -> BinaryCodec.writeString(out, s));
        }
        this.encoded = out.toByteArray();
    }

    public static PlanTable of(JoinPlan plan) {
        List<String> parts = new ArrayList<>();
        List<String> hashes = new ArrayList<>();
        for (PartDefinition p : plan.join().parts()) {
            parts.add(p.name());
            hashes.add(plan.hash(p));
        }
        List<String> topics = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (BootstrapPart bp : plan.bootstrapParts()) {
            topics.add(bp.topic());
            labels.add(SourceLabel.bootstrap(bp.topic()));
        }
        labels.addAll(List.of(SourceLabel.LOG, SourceLabel.BACKFILL, SourceLabel.MISSING));
        return new PlanTable(plan.featureNames(), parts, hashes, plan.join().keys(), labels, topics);
    }

    /** A table from its own lists (tests: a table as an older plan wrote it). */
    static PlanTable of(List<String> features, List<String> parts, List<String> hashes, List<String> keys, List<String> labels,
                        List<String> bootstrapTopics) {
        return new PlanTable(features, parts, hashes, keys, labels, bootstrapTopics);
    }

    private static Map<String, Integer> index(List<String> names) {
        Map<String, Integer> m = new HashMap<>(Math.max(4, names.size() * 2));
        for (int i = 0; i < names.size(); i++) {
            m.putIfAbsent(names.get(i), i);
        }
        return m;
    }

    /** Index of a name, or -1: such a name is written as text. */
    int feature(String name) {
        return featureIndex.getOrDefault(name, -1);
    }

    int part(String name) {
        return partIndex.getOrDefault(name, -1);
    }

    int key(String name) {
        return keyIndex.getOrDefault(name, -1);
    }

    int label(String name) {
        return labelIndex.getOrDefault(name, -1);
    }

    int topic(String name) {
        return topicIndex.getOrDefault(name, -1);
    }

    byte[] encoded() {
        return encoded;
    }

    static PlanTable read(BinaryCodec.Reader in) {
        List<List<String>> lists = new ArrayList<>(6);
        for (int l = 0; l < 6; l++) {
            int n = in.readVarint();
            if (n < 0 || n > in.remaining()) {
                throw new SerializationException("corrupt plan table: " + n + " names in " + in.remaining() + " bytes");
            }
            List<String> names = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                names.add(BinaryCodec.readString(in));
            }
            lists.add(names);
        }
        if (lists.get(1).size() != lists.get(2).size()) {
            throw new SerializationException("corrupt plan table: " + lists.get(1).size() + " parts, " + lists.get(2).size() + " hashes");
        }
        return new PlanTable(lists.get(0), lists.get(1), lists.get(2), lists.get(3), lists.get(4), lists.get(5));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PlanTable t && Arrays.equals(encoded, t.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    /**
     * The tables of one store, kept in the store itself under {@link #KEY} (and so in its changelog, restored with it):
     * a state names its table by its position here. Row keys are never empty (the routers refuse an empty key and a
     * row id), so the empty key is free. Tables are only appended: a state keeps meaning what it meant when written.
     */
    public static final class Dictionary {
        static final String KEY = "";
        /** First byte of the dictionary's value; not a state format version, so no state reader takes it for a row. */
        private static final byte MARKER = 'P';
        private final List<PlanTable> tables = new ArrayList<>();

        /** The dictionary in a store's value; null: a store without one (nothing written in format 5 yet). */
        static Dictionary read(byte[] data) {
            Dictionary d = new Dictionary();
            if (data == null) {
                return d;
            }
            BinaryCodec.Reader in = new BinaryCodec.Reader(data);
            byte marker = in.readByte();
            if (marker != MARKER) {
                throw new SerializationException("the state store's key \"\" holds no plan dictionary (first byte " + marker + ")");
            }
            int n = in.readVarint();
            for (int i = 0; i < n; i++) {
                d.tables.add(PlanTable.read(in));
            }
            return d;
        }

        byte[] encode() {
            BinaryCodec.Writer out = new BinaryCodec.Writer(1024);
            out.writeByte(MARKER);
            out.writeVarint(tables.size());
            tables.forEach(t -> out.writeBytes(t.encoded()));
            return out.toByteArray();
        }

        /** Position of the table, or -1. */
        int indexOf(PlanTable t) {
            return tables.indexOf(t);
        }

        /** Appends the table; returns its position. */
        public int add(PlanTable t) {
            tables.add(t);
            return tables.size() - 1;
        }

        /** The table at a position; a state naming another is corrupt. */
        PlanTable table(int id) {
            if (id < 0 || id >= tables.size()) {
                throw new SerializationException("row state names plan table " + id + " but the store holds " + tables.size());
            }
            return tables.get(id);
        }

        int size() {
            return tables.size();
        }
    }
}
