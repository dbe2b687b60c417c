package io.splice.streams.internal;

import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * DESIGN §6: Splice never relies on the producer's partitioner. A record read (already keyed by its row key) from a
 * partition other than the one Kafka's default partitioner gives its row key — murmur2 of the UTF-8 key, as Kafka
 * Streams' own repartition topics use — is marked misplaced and counted, so that the topology re-routes it to its
 * row's task instead of merging it where it landed (librdkafka's default, CRC32, puts keys elsewhere). Records in
 * place, the usual case, pay one hash of the key.
 */
final class PartitionCheck implements FixedKeyProcessor<String, Routed, Routed> {
    private final int partitions;
    private final SpliceMetrics metrics;
    private FixedKeyProcessorContext<String, Routed> context;

    PartitionCheck(int partitions, SpliceMetrics metrics) {
        this.partitions = partitions;
        this.metrics = metrics;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, Routed> context) {
        this.context = context;
    }

    /** The partition Kafka's default partitioner (and Kafka Streams) assigns a row key. */
    static int partitionOf(String rowKey, int partitions) {
        return Utils.toPositive(Utils.murmur2(rowKey.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    @Override
    public void process(FixedKeyRecord<String, Routed> record) {
        Optional<RecordMetadata> meta = context.recordMetadata();
        if (record.key() != null && !record.value().isDead() && meta.isPresent()
                && meta.get().partition() != partitionOf(record.key(), partitions)) {
            metrics.misplaced(meta.get().topic());
            context.forward(record.withValue(record.value().asMisplaced()));
            return;
        }
        context.forward(record);
    }
}
