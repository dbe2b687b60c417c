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
import io.splice.streams.replay.Replayer;
import io.splice.streams.runtime.SpliceRuntime;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The app against a real broker and schema registry from {@code local}: stitch, restart, nothing emitted twice. */
@ExtendWith(SpliceStackExtension.class)
class StitchingIntegrationTest {
    static final String YAML = """
            joins:
              - name: payments
                version: v1
                row_ids: [request_id]
                keys: [card_id]
                bootstrap_from_log: true
                parts:
                  - name: card_txn
                    source: transactions
                    key: card_id
                    features:
                      - {name: cnt, type: long, agg: count, window: 1h}
                  - name: risk_ext
                    external: true
                    features:
                      - {name: risk, type: double}
            """;

    @Test
    void stitchesLogsAndBackfillExactlyOnceAcrossARestart(StackEndpoints stack) throws Exception {
        // Given a fresh prefix, the app's config and the definitions
        String prefix = "it" + UUID.randomUUID().toString().substring(0, 8);
        Topics topics = new Topics(prefix);
        Definitions defs = DefinitionsLoader.parse(YAML, "it.yaml", topics);
        Map<String, String> hashes = SemanticHasher.hashes(defs).get("payments.v1");
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", stack.bootstrapServers());
        props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        props.put("application.id", prefix + "-app");
        props.put(SpliceStreamsConfig.TOPIC_PREFIX, prefix);
        props.put(SpliceStreamsConfig.TOPIC_PARTITIONS, 2);
        props.put(SpliceStreamsConfig.TOPIC_REPLICATION, 1);
        props.put(SpliceStreamsConfig.METRICS_PORT, 0);
        props.put("commit.interval.ms", 100);
        props.put("session.timeout.ms", 6000); // the restarted instance takes over sooner than the 45 s default
        props.put("heartbeat.interval.ms", 1500);
        props.put("state.dir", Files.createTempDirectory(Path.of("target"), "it-state-").toAbsolutePath().toString());
        SpliceStreamsConfig config = new SpliceStreamsConfig(props);
        HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        String stitchedTopic = topics.stitched("payments", "v1");

        List<ConsumerRecord<String, StitchedRecord>> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer(stack)) {
            consumer.subscribe(List.of(stitchedTopic));
            SpliceAvroDeserializer<StitchedRecord> deser = SpliceAvroDeserializer.of(registry, StitchedRecord.class);
            Runnable poll = () -> consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.add(new ConsumerRecord<>(
                    r.topic(), r.partition(), r.offset(), r.key(), deser.deserialize(r.topic(), r.value()))));

            try (SpliceRuntime app = new SpliceRuntime(defs, config).start()) {
                // When logs keyed by card (not by row) and backfill rows arrive
                try (KafkaProducer<String, FetchLog> logs = new KafkaProducer<>(producerProps(stack), new StringSerializer(),
                        new SpliceAvroSerializer<>(registry));
                     KafkaProducer<String, FeatureRow> rows = new KafkaProducer<>(producerProps(stack), new StringSerializer(),
                             new SpliceAvroSerializer<>(registry))) {
                    for (int i = 0; i < 20; i++) {
                        logs.send(new ProducerRecord<>(topics.fetchLog(), "card-" + (i % 3), FetchLog.newBuilder()
                                .setJoin("payments").setVersion("v1").setTs(1_759_320_000_000L + i)
                                .setKeys(Map.of("card_id", "card-" + (i % 3))).setContext(Map.of("request_id", "r" + i))
                                .setValues(Map.of("risk", 0.5 + i)).setPartHashes(Map.of("risk_ext", hashes.get("risk_ext"))).build()));
                    }
                    logs.flush();
                    for (int i = 0; i < 10; i++) {
                        rows.send(new ProducerRecord<>(topics.backfill(defs.joins().get(0)), "r" + i, FeatureRow.newBuilder()
                                .setRowKey("r" + i).setTs(1_759_320_000_000L + i).setKeys(Map.of("card_id", "card-" + (i % 3)))
                                .setValues(Map.of("cnt", (long) i)).setPartHashes(Map.of("card_txn", hashes.get("card_txn"))).build()));
                    }
                    rows.flush();
                }
                // Then every row is stitched, rows with a backfill twice (log first, then backfill; or one merged emission)
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    poll.run();
                    return latestByKey(seen).size() == 20
                            && latestByKey(seen).values().stream().filter(r -> "backfill".equals(r.getSources().get("cnt"))).count() == 10;
                });
                StitchedRecord r3 = latestByKey(seen).get("r3");
                assertEquals(3L, r3.getValues().get("cnt"));
                assertEquals(3.5, r3.getValues().get("risk"));
                assertEquals("log", r3.getSources().get("risk"));
                assertEquals(Map.of("cnt", "missing", "risk", "log"), latestByKey(seen).get("r15").getSources());

                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.metricsPort() + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode(), health.body());
                String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.metricsPort() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(metrics.contains("splice_stitched_out_total"), "metrics expose stitched records");
                // and the store's size per join, which Kafka Streams keeps per task
                assertTrue(gauge(metrics, "splice_store_rows{join=\"payments.v1\"}") >= 20, "rows of the store: " + metrics);
                assertTrue(gauge(metrics, "splice_store_bytes{join=\"payments.v1\"}") > 0, "bytes of the store");
            }
            int before = seen.size();

            // When the app restarts and one more log arrives
            try (SpliceRuntime again = new SpliceRuntime(defs, config).start();
                 KafkaProducer<String, FetchLog> logs = new KafkaProducer<>(producerProps(stack), new StringSerializer(),
                         new SpliceAvroSerializer<>(registry))) {
                logs.send(new ProducerRecord<>(topics.fetchLog(), "card-x", FetchLog.newBuilder()
                        .setJoin("payments").setVersion("v1").setTs(1_759_330_000_000L).setKeys(Map.of("card_id", "card-x"))
                        .setContext(Map.of("request_id", "late")).setValues(Map.of("risk", 1.0))
                        .setPartHashes(Map.of("risk_ext", hashes.get("risk_ext"))).build()));
                logs.flush();
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    poll.run();
                    return latestByKey(seen).containsKey("late");
                });
                // Then exactly one new record appeared: nothing from before the restart was emitted twice
                assertEquals(before + 1, seen.size());

                // When every log is replayed (a dry run first writes nothing)
                Replayer dry = new Replayer(config.clientProperties(), registry, Instant.EPOCH, Instant.now().plusSeconds(3600), "payments", true);
                assertEquals(new Replayer.Counts(21, 21, 0), dry.fromTopic(topics.fetchLog(), topics.fetchLogReplay()));
                Replayer replayer = new Replayer(config.clientProperties(), registry, Instant.EPOCH, Instant.now().plusSeconds(3600), null, false);
                assertEquals(new Replayer.Counts(21, 21, 21), replayer.fromTopic(topics.fetchLog(), topics.fetchLogReplay()));
                // Then once the app has consumed the replay topic, the stitched output is unchanged
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
                    await().atMost(Duration.ofSeconds(90)).until(() -> consumedToEnd(admin, prefix + "-app", topics.fetchLogReplay(), 2));
                }
                int stitchedSoFar = seen.size();
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    poll.run();
                    return caughtUp(consumer);
                });
                assertEquals(stitchedSoFar, seen.size(), "a replay of logs already stitched emits nothing");
                assertEquals(before + 1, seen.size());
            }
            Map<String, Long> maxRevision = new HashMap<>();
            for (ConsumerRecord<String, StitchedRecord> r : seen) {
                long prev = maxRevision.getOrDefault(r.key(), 0L);
                assertEquals(prev + 1, r.value().getRevision(), "revisions of " + r.key() + " count 1, 2, ... with no repeat");
                maxRevision.put(r.key(), r.value().getRevision());
            }
        }
    }

    /** Whether the group's committed offsets on every partition of {@code topic} reached the end offsets. */
    static boolean consumedToEnd(Admin admin, String group, String topic, int partitions) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        var ends = admin.listOffsets(latest).all().get();
        for (var e : ends.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            if (e.getValue().offset() > 0 && (c == null || c.offset() < e.getValue().offset())) {
                return false;
            }
        }
        return true;
    }

    /** Whether the consumer's position reached the end of every assigned partition. */
    static boolean caughtUp(KafkaConsumer<String, byte[]> consumer) {
        var ends = consumer.endOffsets(consumer.assignment());
        return ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }

    static Map<String, StitchedRecord> latestByKey(List<ConsumerRecord<String, StitchedRecord>> seen) {
        Map<String, StitchedRecord> out = new HashMap<>();
        seen.forEach(r -> out.put(r.key(), r.value()));
        return out;
    }

    static Map<String, Object> producerProps(StackEndpoints stack) {
        return Map.of("bootstrap.servers", stack.bootstrapServers(), "acks", "all", "linger.ms", 5);
    }

    static KafkaConsumer<String, byte[]> consumer(StackEndpoints stack) {
        return new KafkaConsumer<>(Map.of("bootstrap.servers", stack.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** The value of a Prometheus sample line {@code name{labels} value}; NaN when absent. */
    private static double gauge(String scrape, String nameAndLabels) {
        return scrape.lines().filter(l -> l.startsWith(nameAndLabels + " ")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElse(Double.NaN);
    }
}
