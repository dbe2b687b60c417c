package io.splice.connectors.s3;

import io.splice.avro.StitchedRecord;
import io.splice.connectors.common.StitchedInput.Decoded;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import io.splice.core.merge.ValueTypes;
import io.splice.core.offline.LatestRevision;
import io.splice.core.offline.OfflineColumns;
import io.splice.core.offline.TombstoneHeaders;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.sink.SinkRecord;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The offline table of one join: a typed column per feature plus the bookkeeping columns. One row per stitched
 * revision (or tombstone); the latest row per {@code row_key} is the row's current value.
 *
 * <pre>
 * row_key          string                 the row key
 * ts               timestamp(ms, UTC)     the row's time (tombstone: the time of the revision it ends)
 * keys             map&lt;string,string&gt;    entity keys
 * &lt;feature&gt; ...    boolean/int/long/float/double/string, nullable, in definition order
 * sources          map&lt;string,string&gt;    feature -&gt; bootstrap:&lt;topic&gt; | log | backfill | missing
 * feature_version  string                 the join version (v2)
 * part_hashes      map&lt;string,string&gt;    part -&gt; semantic hash
 * revision         long, nullable         1, 2, ... per row (tombstone: the revision it ends; null if unknown)
 * write_time       timestamp(ms, UTC)     the Kafka record time of the revision
 * stitched_at      timestamp(ms), null    when the app produced the revision (null: unknown)
 * is_deleted       boolean                true for a tombstone
 * kafka_partition  int                    source partition
 * kafka_offset     long                   source offset (the total order of a row's revisions)
 * </pre>
 *
 * Column names, the {@code ds} rule and the order of a row's revisions are {@link OfflineColumns} and
 * {@link LatestRevision} of core. A tombstone is filed with the row it deletes: {@link Ended} says which revision it
 * ends and that revision's {@code ts} (from the tombstone's {@link TombstoneHeaders} or the sink's memory).
 */
public final class OfflineSchema {
    public static final List<String> RESERVED = OfflineColumns.RESERVED;
    private static final Set<String> RESERVED_SET = Set.copyOf(RESERVED);

    private final JoinDefinition join;
    private final Schema schema;

    private OfflineSchema(JoinDefinition join, Schema schema) {
        this.join = join;
        this.schema = schema;
    }

    public static OfflineSchema of(JoinDefinition join) {
        Schema tsMillis = LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
        Schema strMap = Schema.createMap(Schema.create(Schema.Type.STRING));
        SchemaBuilder.FieldAssembler<Schema> f = SchemaBuilder.record(join.featureGroupName())
                .namespace("io.splice.offline")
                .doc("Offline store rows of join " + join.id())
                .fields()
                .name("row_key").type().stringType().noDefault()
                .name("ts").type(tsMillis).noDefault()
                .name("keys").type(strMap).noDefault();
        for (FeatureDefinition fd : join.features()) {
            if (RESERVED_SET.contains(fd.name())) {
                throw new ConfigException("Join " + join.id() + ": feature '" + fd.name()
                        + "' has the name of an offline bookkeeping column " + RESERVED + "; rename it");
            }
            Schema t = switch (fd.type()) {
                case BOOLEAN -> Schema.create(Schema.Type.BOOLEAN);
                case INT -> Schema.create(Schema.Type.INT);
                case LONG -> Schema.create(Schema.Type.LONG);
                case FLOAT -> Schema.create(Schema.Type.FLOAT);
                case DOUBLE -> Schema.create(Schema.Type.DOUBLE);
                case STRING -> Schema.create(Schema.Type.STRING);
            };
            f = f.name(fd.name()).type(Schema.createUnion(Schema.create(Schema.Type.NULL), t)).withDefault(null);
        }
        Schema schema = f
                .name("sources").type(strMap).noDefault()
                .name("feature_version").type().stringType().noDefault()
                .name("part_hashes").type(strMap).noDefault()
                .name("revision").type().optional().longType()
                .name("write_time").type(tsMillis).noDefault()
                .name("stitched_at").type(Schema.createUnion(Schema.create(Schema.Type.NULL), tsMillis)).withDefault(null)
                .name("is_deleted").type().booleanType().noDefault()
                .name("kafka_partition").type().intType().noDefault()
                .name("kafka_offset").type().longType().noDefault()
                .endRecord();
        return new OfflineSchema(join, schema);
    }

    public Schema schema() {
        return schema;
    }

    public JoinDefinition join() {
        return join;
    }

    /** The Kafka record time of {@code d}, falling back to the row time for records without one. */
    static long recordTime(Decoded d) {
        Long t = d.record().timestamp();
        if (t != null && t >= 0) {
            return t;
        }
        return d.value() != null ? d.value().getTs() : 0L;
    }

    /** What a tombstone ends: the row's last revision and its {@code ts}. */
    public record Ended(long ts, long revision) {
    }

    /** What the tombstone {@code r} says it ends in its {@link TombstoneHeaders}; null without both headers. */
    static Ended fromHeaders(SinkRecord r) {
        Long revision = null;
        Long ts = null;
        for (Header h : r.headers()) {
            if (TombstoneHeaders.REVISION.equals(h.key())) {
                revision = TombstoneHeaders.decode(h.value());
            } else if (TombstoneHeaders.TS.equals(h.key())) {
                ts = TombstoneHeaders.decode(h.value());
            }
        }
        return revision == null || ts == null ? null : new Ended(ts, revision);
    }

    /** When the app produced {@code d} ({@link TombstoneHeaders#STITCHED_AT} for a tombstone); null when unknown. */
    static Long stitchedAt(Decoded d) {
        if (d.value() != null) {
            long at = d.value().getStitchedAt();
            return at > 0 ? at : null;
        }
        Header h = d.record().headers().lastWithName(TombstoneHeaders.STITCHED_AT);
        return h == null ? null : TombstoneHeaders.decode(h.value());
    }

    /** The row time of a revision; a tombstone takes the time of the revision it ends, else its record time. */
    static long rowTime(Decoded d, Ended ended) {
        if (d.value() != null) {
            return d.value().getTs();
        }
        return ended != null ? ended.ts() : recordTime(d);
    }

    /** The {@code ds} partition of {@code d}: the UTC day of its row time (of a tombstone: see {@link #rowTime}). */
    public static String day(Decoded d, Ended ended) {
        return OfflineColumns.ds(rowTime(d, ended));
    }

    /** {@link #day(Decoded, Ended)} of a revision, or of a tombstone whose row is unknown. */
    public static String day(Decoded d) {
        return day(d, null);
    }

    /** {@link #row(Decoded, Ended)} of a revision, or of a tombstone whose row is unknown. */
    public GenericRecord row(Decoded d) {
        return row(d, null);
    }

    /**
     * The offline row of {@code d} ({@code ended}: what a tombstone ends, null if unknown); a value that cannot be
     * promoted to its declared type throws BadRecordException.
     */
    public GenericRecord row(Decoded d, Ended ended) {
        GenericData.Record r = new GenericData.Record(schema);
        StitchedRecord v = d.value();
        r.put("row_key", d.rowKey());
        r.put("ts", rowTime(d, ended));
        r.put("write_time", recordTime(d));
        r.put("stitched_at", stitchedAt(d));
        r.put("feature_version", join.version());
        r.put("kafka_partition", d.record().kafkaPartition());
        r.put("kafka_offset", d.record().kafkaOffset());
        if (v == null) {
            r.put("keys", Map.of());
            r.put("sources", Map.of());
            r.put("part_hashes", Map.of());
            r.put("revision", ended == null ? null : ended.revision());
            r.put("is_deleted", true);
            return r;
        }
        r.put("keys", copy(v.getKeys()));
        r.put("sources", copy(v.getSources()));
        r.put("part_hashes", copy(v.getPartHashes()));
        r.put("revision", v.getRevision());
        r.put("is_deleted", false);
        Map<String, Object> values = v.getValues();
        for (FeatureDefinition fd : join.features()) {
            Object raw = values == null ? null : values.get(fd.name());
            r.put(fd.name(), ValueTypes.promote(fd.name(), raw, fd.type()));
        }
        return r;
    }

    private static Map<String, String> copy(Map<String, String> m) {
        return m == null ? Map.of() : new LinkedHashMap<>(m);
    }
}
