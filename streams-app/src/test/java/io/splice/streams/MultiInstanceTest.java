package io.splice.streams;

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
import io.splice.testing.Http;
import io.splice.testing.Kafka;
import io.splice.testing.Prometheus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14.2: several `splice run` instances share one application.id, as Kafka Streams scales out. Two instances
 * with a standby replica each split 4 partitions (more partitions than instances); both report ready once running;
 * when one leaves, the other takes its tasks over (from its standby), reports the restoration metric, and every row is
 * stitched once with revisions 1..n across the handover.
 */
@ExtendWith(SpliceStackExtension.class)
class MultiInstanceTest {
    static final String YAML = """
            joins:
              - name: payments
                version: v1
                row_ids: [request_id]
                keys: [card_id]
                bootstrap_from_log: true
                parts:
                  - name: risk_ext
                    external: true
                    features:
                      - {name: risk, type: double}
            """;

    SpliceStreamsConfig config(StackEndpoints stack, String prefix) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", stack.bootstrapServers());
        props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        props.put("application.id", prefix + "-app");
        props.put(SpliceStreamsConfig.TOPIC_PREFIX, prefix);
        props.put(SpliceStreamsConfig.TOPIC_PARTITIONS, 4);
        props.put(SpliceStreamsConfig.TOPIC_REPLICATION, 1);
        props.put(SpliceStreamsConfig.METRICS_PORT, 0);
        props.put("num.standby.replicas", 1);
        props.put("acceptable.recovery.lag", 10_000);
        props.put("commit.interval.ms", 100);
        props.put("session.timeout.ms", 6000);
        props.put("heartbeat.interval.ms", 1500);
        props.put("state.dir", Files.createTempDirectory(Path.of("target"), "mi-state-").toAbsolutePath().toString());
        return new SpliceStreamsConfig(props);
    }

    @Test
    void twoInstancesShareTheWorkAndOneTakesOverWhenTheOtherLeaves(StackEndpoints stack) throws Exception {
        String prefix = Kafka.uniquePrefix("mi");
        Topics topics = new Topics(prefix);
        Definitions defs = DefinitionsLoader.parse(YAML, "mi.yaml", topics);
        String risk = SemanticHasher.hashes(defs).get("payments.v1").get("risk_ext");
        HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        List<ConsumerRecord<String, StitchedRecord>> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> out = Kafka.consumer(stack.bootstrapServers());
             KafkaProducer<String, FetchLog> logs = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()),
                     new StringSerializer(), new SpliceAvroSerializer<>(registry))) {
            out.subscribe(List.of(topics.stitched("payments", "v1")));
            SpliceAvroDeserializer<StitchedRecord> deser = SpliceAvroDeserializer.of(registry, StitchedRecord.class);
            Runnable poll = () -> out.poll(Duration.ofMillis(200)).forEach(r -> seen.add(new ConsumerRecord<>(r.topic(),
                    r.partition(), r.offset(), r.key(), deser.deserialize(r.topic(), r.value()))));
            SpliceRuntime a = new SpliceRuntime(defs, config(stack, prefix)).start();
            try (SpliceRuntime b = new SpliceRuntime(defs, config(stack, prefix)).start()) {
                // Given both instances running: each ready, the work split between them
                await().atMost(Duration.ofSeconds(90)).until(() -> a.streams().state() == KafkaStreams.State.RUNNING
                        && b.streams().state() == KafkaStreams.State.RUNNING);
                await().atMost(Duration.ofSeconds(30)).until(() -> Http.status(a.metricsPort(), "/health/ready") == 200
                        && Http.status(b.metricsPort(), "/health/ready") == 200);
                send(logs, topics, risk, 0, 100, 0.0);
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    poll.run();
                    return Kafka.latestByKey(seen).size() == 100;
                });
                double stitchedA = Prometheus.sum(Prometheus.scrape(a.metricsPort()), "splice_stitched_out_total");
                double stitchedB = Prometheus.sum(Prometheus.scrape(b.metricsPort()), "splice_stitched_out_total");
                assertEquals(100, stitchedA + stitchedB);
                assertTrue(stitchedA > 0 && stitchedB > 0, "both instances stitched: " + stitchedA + " / " + stitchedB);

                // When one instance leaves and the logs of every row arrive again with new values
                a.close();
                send(logs, topics, risk, 0, 100, 1.0);
                // Then the other stitched every row once more: revision 2, no repeat, no gap
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    poll.run();
                    return Kafka.latestByKey(seen).values().stream().allMatch(r -> r.getRevision() == 2L) && seen.size() >= 200;
                });
                await().atMost(Duration.ofSeconds(30)).until(() -> Http.status(b.metricsPort(), "/health/ready") == 200);
                String scrape = Prometheus.scrape(b.metricsPort());
                assertEquals(0.0, Prometheus.value(scrape, "splice_restore_remaining_records"), "restoration done: " + scrape);
            } finally {
                a.close();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                poll.run();
                return Kafka.caughtUp(out);
            });
            assertEquals(200, seen.size(), "every row stitched exactly twice across the handover");
            Map<String, Long> revision = new HashMap<>();
            for (ConsumerRecord<String, StitchedRecord> r : seen) {
                long prev = revision.getOrDefault(r.key(), 0L);
                assertEquals(prev + 1, r.value().getRevision(), "revisions of " + r.key());
                revision.put(r.key(), r.value().getRevision());
            }
        }
    }

    static void send(KafkaProducer<String, FetchLog> logs, Topics topics, String risk, int from, int to, double add) {
        for (int i = from; i < to; i++) {
            logs.send(new ProducerRecord<>(topics.fetchLog(), "card-" + (i % 7), FetchLog.newBuilder().setJoin("payments")
                    .setVersion("v1").setTs(1_759_320_000_000L + i).setKeys(Map.of("card_id", "card-" + (i % 7)))
                    .setContext(Map.of("request_id", "r" + i)).setValues(Map.of("risk", i + add))
                    .setPartHashes(Map.of("risk_ext", risk)).build()));
        }
        logs.flush();
    }
}
