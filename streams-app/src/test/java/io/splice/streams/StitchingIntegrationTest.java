package io.splice.streams;

import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.replay.Replayer;
import io.splice.streams.runtime.SpliceRuntime;
import io.splice.testing.Http;
import io.splice.testing.Joins;
import io.splice.testing.Kafka;
import io.splice.testing.Prometheus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.splice.testing.Kafka.latestByKey;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The app against a real broker and schema registry from {@code local}: stitch, restart, nothing emitted twice. */
@ExtendWith(SpliceStackExtension.class)
class StitchingIntegrationTest {
    /** payments/v1 with card_txn (cnt only) and risk_ext. */
    static final String YAML = Joins.payments("v1").part("card_txn", "transactions", "card_id", Joins.CNT).parts(Joins.RISK_EXT).yaml();

    @Test
    void stitchesLogsAndBackfillExactlyOnceAcrossARestart(StackEndpoints stack) throws Exception {
        // Given a fresh prefix, the app's config and the definitions
        TestApp.Deployment d = TestApp.deployment(stack, "it", YAML);
        Map<String, String> hashes = d.hashes("payments.v1");
        SpliceStreamsConfig config = new SpliceStreamsConfig(TestApp.props(stack, d.prefix(), 2));
        String stitchedTopic = d.topics().stitched("payments", "v1");

        List<ConsumerRecord<String, StitchedRecord>> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = Kafka.consumer(stack.bootstrapServers())) {
            consumer.subscribe(List.of(stitchedTopic));
            SpliceAvroDeserializer<StitchedRecord> deser = SpliceAvroDeserializer.of(d.registry(), StitchedRecord.class);
            Runnable poll = () -> consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.add(new ConsumerRecord<>(
                    r.topic(), r.partition(), r.offset(), r.key(), deser.deserialize(r.topic(), r.value()))));

            try (SpliceRuntime app = new SpliceRuntime(d.definitions(), config).start()) {
                // When logs keyed by card (not by row) and backfill rows arrive
                try (KafkaProducer<String, FetchLog> logs = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()), new StringSerializer(),
                        new SpliceAvroSerializer<>(d.registry()));
                     KafkaProducer<String, FeatureRow> rows = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()), new StringSerializer(),
                             new SpliceAvroSerializer<>(d.registry()))) {
                    for (int i = 0; i < 20; i++) {
                        logs.send(new ProducerRecord<>(d.topics().fetchLog(), "card-" + (i % 3), FetchLog.newBuilder()
                                .setJoin("payments").setVersion("v1").setTs(1_759_320_000_000L + i)
                                .setKeys(Map.of("card_id", "card-" + (i % 3))).setContext(Map.of("request_id", "r" + i))
                                .setValues(Map.of("risk", 0.5 + i)).setPartHashes(Map.of("risk_ext", hashes.get("risk_ext"))).build()));
                    }
                    logs.flush();
                    for (int i = 0; i < 10; i++) {
                        rows.send(new ProducerRecord<>(d.topics().backfill(d.definitions().joins().get(0)), "r" + i, FeatureRow.newBuilder()
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

                HttpResponse<String> health = Http.get(app.metricsPort(), "/health");
                assertEquals(200, health.statusCode(), health.body());
                String metrics = Prometheus.scrape(app.metricsPort());
                assertTrue(metrics.contains("splice_stitched_out_total"), "metrics expose stitched records");
                // and the store's size per join, which Kafka Streams keeps per task
                assertTrue(Prometheus.value(metrics, "splice_store_rows{join=\"payments.v1\"}") >= 20, "rows of the store: " + metrics);
                assertTrue(Prometheus.value(metrics, "splice_store_bytes{join=\"payments.v1\"}") > 0, "bytes of the store");
            }
            int before = seen.size();

            // When the app restarts and one more log arrives
            try (SpliceRuntime again = new SpliceRuntime(d.definitions(), config).start();
                 KafkaProducer<String, FetchLog> logs = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()), new StringSerializer(),
                         new SpliceAvroSerializer<>(d.registry()))) {
                logs.send(new ProducerRecord<>(d.topics().fetchLog(), "card-x", FetchLog.newBuilder()
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
                Replayer dry = new Replayer(config.clientProperties(), d.registry(), Instant.EPOCH, Instant.now().plusSeconds(3600), "payments", true);
                assertEquals(new Replayer.Counts(21, 21, 0), dry.fromTopic(d.topics().fetchLog(), d.topics().fetchLogReplay()));
                Replayer replayer = new Replayer(config.clientProperties(), d.registry(), Instant.EPOCH, Instant.now().plusSeconds(3600), null, false);
                assertEquals(new Replayer.Counts(21, 21, 21), replayer.fromTopic(d.topics().fetchLog(), d.topics().fetchLogReplay()));
                // Then once the app has consumed the replay topic, the stitched output is unchanged
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
                    await().atMost(Duration.ofSeconds(90)).until(() -> Kafka.consumedToEnd(admin, d.prefix() + "-app", d.topics().fetchLogReplay()));
                }
                int stitchedSoFar = seen.size();
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    poll.run();
                    return Kafka.caughtUp(consumer);
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
}
