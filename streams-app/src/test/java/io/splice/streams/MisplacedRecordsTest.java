package io.splice.streams;

import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.SpliceRuntime;
import io.splice.testing.Kafka;
import io.splice.testing.Prometheus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.splice.testing.Kafka.latestByKey;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * DESIGN §6 / issue 12.11: Splice never relies on the producer's partitioner. Logs keyed by row key
 * ({@code splice.fetch-log.keyed-by-row-key=true}) and backfill records are written on purpose to partitions other
 * than their row key's murmur2 partition (what a librdkafka producer's CRC32 default does); every row is still
 * stitched by one task: one revision 1, both sources merged, and the misplaced records counted.
 */
@ExtendWith(SpliceStackExtension.class)
class MisplacedRecordsTest {
    static final int PARTITIONS = 3;
    static final int ROWS = 30;

    static int murmur2(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    @Test
    void recordsInAnotherPartitionThanTheirRowKeysAreMergedByTheRowsTask(StackEndpoints stack) throws Exception {
        TestApp.Deployment d = TestApp.deployment(stack, "mp", StitchingIntegrationTest.YAML);
        Map<String, String> hashes = d.hashes("payments.v1");
        Map<String, Object> props = TestApp.props(stack, d.prefix(), PARTITIONS);
        props.put(SpliceStreamsConfig.LOG_KEYED_BY_ROW_KEY, true);
        SpliceStreamsConfig config = new SpliceStreamsConfig(props);
        String stitchedTopic = d.topics().stitched("payments", "v1");

        List<ConsumerRecord<String, StitchedRecord>> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = Kafka.consumer(stack.bootstrapServers());
             SpliceRuntime app = new SpliceRuntime(d.definitions(), config).start()) {
            consumer.subscribe(List.of(stitchedTopic));
            SpliceAvroDeserializer<StitchedRecord> deser = SpliceAvroDeserializer.of(d.registry(), StitchedRecord.class);
            int misplaced = 0;
            try (KafkaProducer<String, FetchLog> logs = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()), new StringSerializer(),
                    new SpliceAvroSerializer<>(d.registry()));
                 KafkaProducer<String, FeatureRow> rows = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()), new StringSerializer(),
                         new SpliceAvroSerializer<>(d.registry()))) {
                for (int i = 0; i < ROWS; i++) {
                    String row = "r" + i;
                    int right = murmur2(row);
                    // logs: every other row misplaced; backfill: every third row in place, the rest misplaced
                    int logPartition = i % 2 == 0 ? (right + 1) % PARTITIONS : right;
                    int backfillPartition = i % 3 == 0 ? right : (right + 2) % PARTITIONS;
                    misplaced += (logPartition != right ? 1 : 0) + (backfillPartition != right ? 1 : 0);
                    rows.send(new ProducerRecord<>(d.topics().backfill(d.definitions().joins().get(0)), backfillPartition, row, FeatureRow.newBuilder()
                            .setRowKey(row).setTs(1_759_320_000_000L + i).setKeys(Map.of("card_id", "card-" + (i % 3)))
                            .setValues(Map.of("cnt", (long) i)).setPartHashes(Map.of("card_txn", hashes.get("card_txn"))).build()));
                    logs.send(new ProducerRecord<>(d.topics().fetchLog(), logPartition, row, FetchLog.newBuilder()
                            .setJoin("payments").setVersion("v1").setTs(1_759_320_000_000L + i)
                            .setKeys(Map.of("card_id", "card-" + (i % 3))).setContext(Map.of("request_id", row))
                            .setValues(Map.of("risk", 0.5 + i)).setPartHashes(Map.of("risk_ext", hashes.get("risk_ext"))).build()));
                }
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.add(new ConsumerRecord<>(
                        r.topic(), r.partition(), r.offset(), r.key(), deser.deserialize(r.topic(), r.value()))));
                return latestByKey(seen).size() == ROWS && latestByKey(seen).values().stream()
                        .allMatch(r -> "backfill".equals(r.getSources().get("cnt")) && "log".equals(r.getSources().get("risk")));
            });
            // one task per row: revisions count 1, 2 with no second revision 1, each row in its murmur2 partition
            Map<String, Long> revision = new HashMap<>();
            for (ConsumerRecord<String, StitchedRecord> r : seen) {
                long prev = revision.getOrDefault(r.key(), 0L);
                assertEquals(prev + 1, r.value().getRevision(), "revisions of " + r.key());
                revision.put(r.key(), r.value().getRevision());
                assertEquals(murmur2(r.key()), r.partition(), "stitched " + r.key() + " in its row key's partition");
            }
            for (int i = 0; i < ROWS; i++) {
                StitchedRecord last = latestByKey(seen).get("r" + i);
                assertEquals((long) i, last.getValues().get("cnt"));
                assertEquals(0.5 + i, last.getValues().get("risk"));
            }
            String metrics = Prometheus.scrape(app.metricsPort());
            double counted = Prometheus.sum(metrics, "splice_records_misplaced_total");
            assertEquals(misplaced, counted, 0.0, "misplaced records counted: " + metrics.lines()
                    .filter(l -> l.startsWith("splice_records_misplaced")).toList());
        }
    }
}
