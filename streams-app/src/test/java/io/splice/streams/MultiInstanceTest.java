package io.splice.streams;

import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.core.api.Topics;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.SpliceRuntime;
import io.splice.testing.Http;
import io.splice.testing.Joins;
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
    static final String YAML = Joins.payments("v1").parts(Joins.RISK_EXT).yaml();

    /** An instance's settings: 4 partitions, one standby replica that may lag 10,000 records. */
    SpliceStreamsConfig config(StackEndpoints stack, String prefix) {
        Map<String, Object> props = TestApp.props(stack, prefix, 4);
        props.put("num.standby.replicas", 1);
        props.put("acceptable.recovery.lag", 10_000);
        return new SpliceStreamsConfig(props);
    }

    @Test
    void twoInstancesShareTheWorkAndOneTakesOverWhenTheOtherLeaves(StackEndpoints stack) throws Exception {
        TestApp.Deployment d = TestApp.deployment(stack, "mi", YAML);
        String risk = d.hashes("payments.v1").get("risk_ext");
        List<ConsumerRecord<String, StitchedRecord>> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> out = Kafka.consumer(stack.bootstrapServers());
             KafkaProducer<String, FetchLog> logs = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()),
                     new StringSerializer(), new SpliceAvroSerializer<>(d.registry()))) {
            out.subscribe(List.of(d.topics().stitched("payments", "v1")));
            SpliceAvroDeserializer<StitchedRecord> deser = SpliceAvroDeserializer.of(d.registry(), StitchedRecord.class);
            Runnable poll = () -> out.poll(Duration.ofMillis(200)).forEach(r -> seen.add(new ConsumerRecord<>(r.topic(),
                    r.partition(), r.offset(), r.key(), deser.deserialize(r.topic(), r.value()))));
            SpliceRuntime a = new SpliceRuntime(d.definitions(), config(stack, d.prefix())).start();
            try (SpliceRuntime b = new SpliceRuntime(d.definitions(), config(stack, d.prefix())).start()) {
                // Given both instances running: each ready, the work split between them
                await().atMost(Duration.ofSeconds(90)).until(() -> a.streams().state() == KafkaStreams.State.RUNNING
                        && b.streams().state() == KafkaStreams.State.RUNNING);
                await().atMost(Duration.ofSeconds(30)).until(() -> Http.status(a.metricsPort(), "/health/ready") == 200
                        && Http.status(b.metricsPort(), "/health/ready") == 200);
                send(logs, d.topics(), risk, 0, 100, 0.0);
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
                send(logs, d.topics(), risk, 0, 100, 1.0);
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
