package io.splice.streams.internal;

import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.core.api.BootstrapPart;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.merge.JoinPlan;
import io.splice.core.merge.SourceKind;
import io.splice.streams.api.SpliceStreamsConfig;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.BranchedKStream;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Wires the topology's pieces; {@code SpliceTopology} is its public face. */
public final class TopologyParts {
    private final StreamsBuilder builder;
    private final Topics topics;
    private final SpliceStreamsConfig config;
    private final SpliceMetrics metrics;
    private final Serializer<StitchedRecord> stitchedSerializer;
    private final Deserializer<FetchLog> fetchLogDeserializer;
    private final SchemaRegistryClient registry;
    private final RoutedSerde routedSerde = new RoutedSerde();

    public TopologyParts(StreamsBuilder builder, Topics topics, SpliceStreamsConfig config, SpliceMetrics metrics,
                         Serializer<StitchedRecord> stitchedSerializer, Deserializer<FetchLog> fetchLogDeserializer,
                         SchemaRegistryClient registry) {
        this.builder = builder;
        this.topics = topics;
        this.config = config;
        this.metrics = metrics;
        this.stitchedSerializer = stitchedSerializer;
        this.fetchLogDeserializer = fetchLogDeserializer;
        this.registry = registry;
    }

    public void build(Map<String, JoinPlan> plans) {
        Map<String, List<KStream<String, Routed>>> inputsByJoin = new LinkedHashMap<>();
        plans.keySet().forEach(id -> inputsByJoin.put(id, new ArrayList<>()));

        // Logs: both log topics, same processing; routed to their join and re-keyed to the row key.
        KStream<byte[], byte[]> rawLogs = builder.stream(List.of(topics.fetchLog(), topics.fetchLogReplay()),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("fetch-logs"));
        KStream<String, Routed> logs = rawLogs.process(
                () -> new FetchLogRouter(plans, fetchLogDeserializer, config.maxValueBytes(), config.logKeyedByRowKey(), metrics), Named.as("route-fetch-logs"));
        Map<String, KStream<String, Routed>> logsByJoin = split(logs, plans, "logs-");
        logsByJoin.forEach((id, stream) -> {
            KStream<String, Routed> keyed = config.logKeyedByRowKey() ? inPlace(stream, "logs-" + id) : stream.repartition(
                    Repartitioned.<String, Routed>with(Serdes.String(), routedSerde)
                            .withName("logs-by-row-" + id)
                            .withNumberOfPartitions(config.partitions()));
            inputsByJoin.get(id).add(keyed);
        });

        // Compacted inputs keyed by row key: each topic is read once and fanned out to the joins that read it.
        Map<String, List<FeatureRowRouter.Reader>> readersByTopic = new LinkedHashMap<>();
        for (JoinPlan plan : plans.values()) {
            JoinDefinition j = plan.join();
            readersByTopic.computeIfAbsent(topics.backfill(j), t -> new ArrayList<>())
                    .add(new FeatureRowRouter.Reader(plan, SourceKind.BACKFILL));
            for (BootstrapPart bp : j.bootstrapParts()) {
                readersByTopic.computeIfAbsent(bp.topic(), t -> new ArrayList<>())
                        .add(new FeatureRowRouter.Reader(plan, SourceKind.BOOTSTRAP));
            }
        }
        readersByTopic.forEach((topic, readers) -> {
            Deserializer<SpecificRecord> deser = SpliceAvroDeserializer.<SpecificRecord>of(registry, FeatureRow.class, StitchedRecord.class);
            KStream<String, Routed> routed = builder.stream(topic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                            .withName("source-" + topic))
                    .process(() -> new FeatureRowRouter(topic, readers, deser, config.maxValueBytes(), metrics),
                            Named.as("route-" + topic));
            routed = inPlace(routed, topic);
            Map<String, JoinPlan> readerPlans = new LinkedHashMap<>();
            readers.forEach(r -> readerPlans.put(r.plan().id(), r.plan()));
            split(routed, readerPlans, "from-" + topic + "-").forEach((id, s) -> inputsByJoin.get(id).add(s));
        });

        // One state store and one stitcher per join.
        for (JoinPlan plan : plans.values()) {
            String id = plan.id();
            String storeName = storeName(id);
            builder.addStateStore(Stores.keyValueStoreBuilder(config.inMemoryState() ? Stores.inMemoryKeyValueStore(storeName)
                            : Stores.persistentKeyValueStore(storeName),
                    Serdes.String(), Serdes.ByteArray()).withCachingDisabled()); // row keys rarely repeat: the cache cost CPU and saved nothing (bench/stitch)
            List<KStream<String, Routed>> inputs = inputsByJoin.get(id);
            KStream<String, Routed> all = inputs.get(0);
            for (int i = 1; i < inputs.size(); i++) {
                all = all.merge(inputs.get(i), Named.as("merge-" + id + "-" + i));
            }
            KStream<String, StitchOutput> stitched = all.process(() -> new RowStitcher(plan, storeName, metrics, config.maxRowBytes(),
                    config.consistencyTolerance()),
                    Named.as("stitch-" + id), storeName);
            // One sink for both outcomes (the topic chosen per record): a split and two mappers per record cost more.
            String stitchedTopic = topics.stitched(plan.join());
            String dlqTopic = topics.dlq();
            stitched.to((k, v, ctx) -> v.isDead() ? dlqTopic : stitchedTopic,
                    Produced.with(Serdes.String(), outputSerde())
                            .withName("stitched-" + id));
        }
    }

    /**
     * Records read from a partition other than their row key's (a producer with another partitioner) go through a
     * repartition topic of their own to their row's task; records in place go straight on (DESIGN §6).
     */
    private KStream<String, Routed> inPlace(KStream<String, Routed> routed, String name) {
        KStream<String, Routed> checked = routed.processValues(() -> new PartitionCheck(config.partitions(), metrics),
                Named.as("check-partition-" + name));
        Map<String, KStream<String, Routed>> b = checked.split(Named.as("placement-" + name + "-"))
                .branch((k, v) -> v.misplaced(), Branched.as("misplaced"))
                .defaultBranch(Branched.as("in-place"));
        KStream<String, Routed> rerouted = b.get("placement-" + name + "-misplaced").repartition(
                Repartitioned.<String, Routed>with(Serdes.String(), routedSerde)
                        .withName("misplaced-" + name)
                        .withNumberOfPartitions(config.partitions()));
        return b.get("placement-" + name + "-in-place").merge(rerouted, Named.as("rerouted-" + name));
    }

    /** The per-row state store of a join (and, with the app id, its changelog topic's name). */
    public static String storeName(String joinId) {
        return "rows-" + joinId;
    }

    /** Stitched records in the registry's Avro frame, tombstones as null, dead letters as the bytes they carry. */
    private Serde<StitchOutput> outputSerde() {
        Serializer<StitchOutput> serializer = new Serializer<>() {
            @Override
            public byte[] serialize(String topic, StitchOutput v) {
                return serialize(topic, null, v);
            }

            @Override
            public byte[] serialize(String topic, Headers headers, StitchOutput v) {
                if (v == null) {
                    return null;
                }
                if (v.isDead()) {
                    return v.dead().value();
                }
                return stitchedSerializer.serialize(topic, headers, v.record()); // a null record: a tombstone
            }
        };
        return Serdes.serdeFrom(serializer, (topic, data) -> {
            throw new UnsupportedOperationException("stitch outputs are only written");
        });
    }

    /** Splits routed records by join; dead letters go to the DLQ with their original bytes and headers. */
    private Map<String, KStream<String, Routed>> split(KStream<String, Routed> routed, Map<String, JoinPlan> plans, String prefix) {
        BranchedKStream<String, Routed> b = routed.split(Named.as(prefix));
        b = b.branch((k, v) -> v.isDead(), Branched.withConsumer(this::toDlq, "dlq"));
        for (String id : plans.keySet()) {
            b = b.branch((k, v) -> id.equals(v.joinId()), Branched.as(id));
        }
        Map<String, KStream<String, Routed>> branches = b.noDefaultBranch();
        Map<String, KStream<String, Routed>> out = new LinkedHashMap<>();
        for (String id : plans.keySet()) {
            out.put(id, branches.get(prefix + id));
        }
        return out;
    }

    private void toDlq(KStream<String, Routed> dead) {
        dead.map((k, v) -> KeyValue.pair(v.dead().key(), v.dead().value()))
                .to(topics.dlq(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    }
}
