package io.splice.streams;

import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.SpliceRuntime;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.splice.streams.StitchingIntegrationTest.consumer;
import static io.splice.streams.StitchingIntegrationTest.latestByKey;
import static io.splice.streams.StitchingIntegrationTest.producerProps;
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
        String prefix = "mp" + UUID.randomUUID().toString().substring(0, 8);
        Topics topics = new Topics(prefix);
        Definitions defs = DefinitionsLoader.parse(StitchingIntegrationTest.YAML, "it.yaml", topics);
        Map<String, String> hashes = SemanticHasher.hashes(defs).get("payments.v1");
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", stack.bootstrapServers());
        props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        props.put("application.id", prefix + "-app");
        props.put(SpliceStreamsConfig.TOPIC_PREFIX, prefix);
        props.put(SpliceStreamsConfig.TOPIC_PARTITIONS, PARTITIONS);
        props.put(SpliceStreamsConfig.TOPIC_REPLICATION, 1);
        props.put(SpliceStreamsConfig.LOG_KEYED_BY_ROW_KEY, true);
        props.put(SpliceStreamsConfig.METRICS_PORT, 0);
        props.put("commit.interval.ms", 100);
        props.put("state.dir", Files.createTempDirectory(Path.of("target"), "mp-state-").toAbsolutePath().toString());
        SpliceStreamsConfig config = new SpliceStreamsConfig(props);
        HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        String stitchedTopic = topics.stitched("payments", "v1");

        List<ConsumerRecord<String, StitchedRecord>> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer(stack);
             SpliceRuntime app = new SpliceRuntime(defs, config).start()) {
            consumer.subscribe(List.of(stitchedTopic));
            SpliceAvroDeserializer<StitchedRecord> deser = SpliceAvroDeserializer.of(registry, StitchedRecord.class);
            int misplaced = 0;
            try (KafkaProducer<String, FetchLog> logs = new KafkaProducer<>(producerProps(stack), new StringSerializer(),
                    new SpliceAvroSerializer<>(registry));
                 KafkaProducer<String, FeatureRow> rows = new KafkaProducer<>(producerProps(stack), new StringSerializer(),
                         new SpliceAvroSerializer<>(registry))) {
                for (int i = 0; i < ROWS; i++) {
                    String row = "r" + i;
                    int right = murmur2(row);
                    // logs: every other row misplaced; backfill: every third row in place, the rest misplaced
                    int logPartition = i % 2 == 0 ? (right + 1) % PARTITIONS : right;
                    int backfillPartition = i % 3 == 0 ? right : (right + 2) % PARTITIONS;
                    misplaced += (logPartition != right ? 1 : 0) + (backfillPartition != right ? 1 : 0);
                    rows.send(new ProducerRecord<>(topics.backfill(defs.joins().get(0)), backfillPartition, row, FeatureRow.newBuilder()
                            .setRowKey(row).setTs(1_759_320_000_000L + i).setKeys(Map.of("card_id", "card-" + (i % 3)))
                            .setValues(Map.of("cnt", (long) i)).setPartHashes(Map.of("card_txn", hashes.get("card_txn"))).build()));
                    logs.send(new ProducerRecord<>(topics.fetchLog(), logPartition, row, FetchLog.newBuilder()
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
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.metricsPort()
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            double counted = metrics.lines().filter(l -> l.startsWith("splice_records_misplaced_total{"))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
            assertEquals(misplaced, counted, 0.0, "misplaced records counted: " + metrics.lines()
                    .filter(l -> l.startsWith("splice_records_misplaced")).toList());
        }
    }
}
