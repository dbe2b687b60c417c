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
import io.splice.streams.replay.Replayer;
import io.splice.streams.runtime.SpliceRuntime;
import io.splice.testing.JoinYaml;
import io.splice.testing.Joins;
import io.splice.testing.Kafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14.3: definitions change on a running deployment. Adding a version next to a running one keeps the running
 * join's state and output (nothing re-emitted) and the new join starts from its inputs' beginning; a change a restart
 * cannot apply in place (an existing join's row ids) is refused before any state is touched, with the reason.
 */
@ExtendWith(SpliceStackExtension.class)
class DefinitionsUpgradeTest {
    static JoinYaml join(String version, String rowIds) {
        return Joins.payments(version).rowIds(rowIds).parts(Joins.RISK_EXT);
    }

    @Test
    void addingAVersionKeepsTheRunningJoinAndAnUnsafeChangeIsRefused(StackEndpoints stack) throws Exception {
        String prefix = Kafka.uniquePrefix("up");
        Topics topics = new Topics(prefix);
        Definitions v1 = DefinitionsLoader.parse(JoinYaml.yaml(join("v1", "request_id")), "v1.yaml", topics);
        Definitions v1v2 = DefinitionsLoader.parse(JoinYaml.yaml(join("v1", "request_id"), join("v2", "request_id")), "v1v2.yaml", topics);
        Definitions rekeyed = DefinitionsLoader.parse(JoinYaml.yaml(join("v1", "session_id"), join("v2", "request_id")), "bad.yaml", topics);
        SpliceStreamsConfig config = new SpliceStreamsConfig(TestApp.props(stack, prefix, 2));
        HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        String riskV1 = SemanticHasher.hashes(v1v2).get("payments.v1").get("risk_ext");
        String riskV2 = SemanticHasher.hashes(v1v2).get("payments.v2").get("risk_ext");

        List<ConsumerRecord<String, StitchedRecord>> seenV1 = new ArrayList<>();
        List<ConsumerRecord<String, StitchedRecord>> seenV2 = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c1 = Kafka.consumer(stack.bootstrapServers());
             KafkaConsumer<String, byte[]> c2 = Kafka.consumer(stack.bootstrapServers());
             KafkaProducer<String, FetchLog> logs = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()), new StringSerializer(),
                     new SpliceAvroSerializer<>(registry))) {
            c1.subscribe(List.of(topics.stitched("payments", "v1")));
            c2.subscribe(List.of(topics.stitched("payments", "v2")));
            SpliceAvroDeserializer<StitchedRecord> deser = SpliceAvroDeserializer.of(registry, StitchedRecord.class);
            Runnable poll = () -> {
                c1.poll(Duration.ofMillis(100)).forEach(r -> seenV1.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), deser.deserialize(r.topic(), r.value()))));
                c2.poll(Duration.ofMillis(100)).forEach(r -> seenV2.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), deser.deserialize(r.topic(), r.value()))));
            };
            // Given a deployment running payments v1 over 10 logs, each also logged for v2 (the server ran both)
            for (int i = 0; i < 10; i++) {
                for (String[] v : new String[][] {{"v1", riskV1}, {"v2", riskV2}}) {
                    logs.send(new ProducerRecord<>(topics.fetchLog(), "r" + i, FetchLog.newBuilder().setJoin("payments")
                            .setVersion(v[0]).setTs(1_759_320_000_000L + i).setKeys(Map.of("card_id", "c" + i))
                            .setContext(Map.of("request_id", "r" + i, "session_id", "s" + i)).setValues(Map.of("risk", 0.5 + i))
                            .setPartHashes(Map.of("risk_ext", v[1])).build()));
                }
            }
            logs.flush();
            try (SpliceRuntime app = new SpliceRuntime(v1, config).start()) {
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    poll.run();
                    return seenV1.size() == 10;
                });
            }
            // When v2 is added and the app restarts, and the retained logs are replayed for the new version (the shared
            // log topics are read from the group's position: README, "Adding a join"): v1 emits nothing again, v2
            // stitches its rows
            try (SpliceRuntime app = new SpliceRuntime(v1v2, config).start()) {
                Replayer.Counts replayed = new Replayer(config.clientProperties(), registry, Instant.EPOCH,
                        Instant.now().plusSeconds(3600), "payments", false).fromTopic(topics.fetchLog(), topics.fetchLogReplay());
                assertEquals(20, replayed.written());
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    poll.run();
                    return seenV2.size() == 10;
                });
                logs.send(new ProducerRecord<>(topics.fetchLog(), "r10", FetchLog.newBuilder().setJoin("payments")
                        .setVersion("v1").setTs(1_759_330_000_000L).setKeys(Map.of("card_id", "c10"))
                        .setContext(Map.of("request_id", "r10")).setValues(Map.of("risk", 9.0))
                        .setPartHashes(Map.of("risk_ext", riskV1)).build())).get();
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    poll.run();
                    return seenV1.size() >= 11 && Kafka.caughtUp(c1);
                });
            }
            assertEquals(11, seenV1.size(), "v1's ten rows were not emitted again; the new log was stitched once");
            assertTrue(seenV1.stream().allMatch(r -> r.value().getRevision() == 1L));
            assertEquals(10, seenV2.stream().map(ConsumerRecord::key).distinct().count());

            // Then a change of v1's row ids is refused before anything starts, naming the join and what to do
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> new SpliceRuntime(rekeyed, config).start());
            assertTrue(refused.getMessage().contains("payments.v1: row_ids changed from [request_id] to [session_id]"), refused.getMessage());
            assertTrue(refused.getMessage().contains("new version"), refused.getMessage());
            // and the deployment still starts with the definitions it ran
            try (SpliceRuntime app = new SpliceRuntime(v1v2, config).start()) {
                assertTrue(app.metricsPort() > 0);
            }
        }
    }
}
