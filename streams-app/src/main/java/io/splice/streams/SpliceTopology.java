package io.splice.streams;

import io.splice.avro.FetchLog;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.avro.StitchedRecord;
import io.splice.core.api.BootstrapPart;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.merge.JoinPlan;
import io.splice.core.merge.SourceKind;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.internal.SpliceMetrics;
import io.splice.streams.internal.TopologyParts;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The stitching topology (DESIGN §6), built by one factory that {@code splice run}, {@code splice simulate} and
 * the tests share. For every join: logs routed and re-keyed to the row key, the backfill topic and every bootstrap
 * topic decoded, one per-row state store, the merge rules of {@code core}, and changes to
 * {@code <prefix>.stitched.<name>.<version>}. Bad input goes to {@code <prefix>.dlq}.
 */
public final class SpliceTopology {
    private SpliceTopology() {
    }

    public static Topology build(StreamsBuilder builder, Definitions definitions, SpliceStreamsConfig config) {
        return build(builder, definitions, config, SpliceSerdeConfig.client(config.serdeConfigs()), SpliceMetrics.noop());
    }

    public static Topology build(StreamsBuilder builder, Definitions definitions, SpliceStreamsConfig config,
                                 SchemaRegistryClient registry, SpliceMetrics metrics) {
        return build(builder, definitions, config, registry, metrics, new SpliceAvroSerializer<>(registry));
    }

    /**
     * As above, writing stitched records (and tombstones: a null record) with {@code stitchedSerializer}, which gets
     * every one at the moment it is sent.
     */
    public static Topology build(StreamsBuilder builder, Definitions definitions, SpliceStreamsConfig config,
                                 SchemaRegistryClient registry, SpliceMetrics metrics, Serializer<StitchedRecord> stitchedSerializer) {
        Topics topics = new Topics(config.topicPrefix());
        Map<String, JoinPlan> plans = new LinkedHashMap<>();
        definitions.joins().forEach(j -> plans.put(j.id(), JoinPlan.of(j)));
        TopologyParts parts = new TopologyParts(builder, topics, config, metrics,
                stitchedSerializer,
                SpliceAvroDeserializer.of(registry, FetchLog.class),
                registry);
        parts.build(plans);
        return builder.build();
    }

    /** Every topic the topology reads or writes, by role; used to create and check topics at start. */
    public static Map<String, Set<String>> topicsByRole(Definitions definitions, Topics topics) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        Set<String> logs = new LinkedHashSet<>(List.of(topics.fetchLog(), topics.fetchLogReplay()));
        Set<String> compacted = new LinkedHashSet<>();
        for (JoinDefinition j : definitions.joins()) {
            compacted.add(topics.backfill(j));
            compacted.add(topics.stitched(j));
            for (BootstrapPart bp : j.bootstrapParts()) {
                compacted.add(bp.topic());
            }
        }
        out.put("delete", logs);
        out.get("delete").add(topics.dlq());
        out.put("compact", compacted);
        return out;
    }

    /** The inputs of a join that must be co-partitioned by row key. */
    public static List<String> coPartitioned(JoinDefinition j, Topics topics) {
        List<String> out = new ArrayList<>();
        out.add(topics.backfill(j));
        j.bootstrapParts().forEach(bp -> out.add(bp.topic()));
        return out;
    }

    static SourceKind kindOf(String topic, JoinDefinition j, Topics topics) {
        return topic.equals(topics.backfill(j)) ? SourceKind.BACKFILL : SourceKind.BOOTSTRAP;
    }
}
