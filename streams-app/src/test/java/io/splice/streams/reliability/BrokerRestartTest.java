package io.splice.streams.reliability;

import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.local.EmbeddedKafkaBroker;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.TestApp;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.SpliceRuntime;
import io.splice.testing.Kafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #8 (2): the broker is stopped and restarted on the same log directory while the app is stitching; the app
 * recovers by itself (no restart, no intervention) and the stitched topic equals {@code splice simulate}'s result.
 */
@Tag(Reliability.TAG)
@ExtendWith(SpliceStackExtension.class)
class BrokerRestartTest {
    static final int LOGS = 10_000;
    static final int PARTITIONS = 2;

    @Test
    void theAppRecoversByItselfFromABrokerRestart(StackEndpoints stack, @TempDir Path tmp) throws Exception {
        long t0 = System.nanoTime();
        String prefix = Kafka.uniquePrefix("brk");
        Workload w = Workload.generate(prefix, LOGS, 42);
        Path events = tmp.resolve("events.jsonl");
        w.writeEvents(events);
        CompletableFuture<StitchedView> expected = StitchedView.simulateAsync(w.definitions, prefix, events, tmp.resolve("simulated"));
        HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker().start()) {
            Map<String, Object> props = TestApp.props(broker.bootstrapServers(), stack.schemaRegistryUrl(), prefix,
                    PARTITIONS, tmp.resolve("state"));
            TestApp.createTopics(w.definitions, props);
            Map<String, Object> client = Map.of("bootstrap.servers", broker.bootstrapServers());
            int half = w.size() / 2;
            w.produce(client, registry, 0, half);

            List<String> transitions = Collections.synchronizedList(new ArrayList<>());
            try (SpliceRuntime app = new SpliceRuntime(w.definitions, new SpliceStreamsConfig(props))
                    .onStateChange((now, before) -> transitions.add(before + "->" + now)).start();
                 StitchedView.KafkaReader reader = new StitchedView.KafkaReader(client, registry, w.stitchedTopic())) {
                // Given the app is part-way through the first half of the inputs
                int threshold = w.rows / 5;
                await().atMost(Duration.ofMinutes(2)).pollDelay(Duration.ZERO)
                        .until(() -> reader.poll().latest.size() >= threshold);
                int before = reader.view.latest.size();

                // When the broker stops, the app notices (its clients lose every connection), and the broker restarts
                long down = System.nanoTime();
                broker.stop();
                await("the app loses its connections").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(50))
                        .until(() -> connections(app.streams()) == 0);
                broker.start();
                long downMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - down);
                // and the second half of the inputs arrives
                w.produce(client, registry, half, w.size());

                // Then the app catches up by itself and the stitched topic equals the simulation
                StitchedView want = expected.get(3, TimeUnit.MINUTES);
                try (Admin admin = Admin.create(client)) {
                    await("the stitched topic equals the simulation").atMost(Duration.ofMinutes(3))
                            .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                            .until(() -> reader.poll().latest.equals(want.latest)
                                    && Kafka.consumedToEnd(admin, prefix + "-app", w.topics.fetchLog(), w.backfillTopic(), w.bootstrapTopic));
                }
                reader.poll(Duration.ofSeconds(1));
                StitchedView got = reader.view;
                got.assertMatches(want);
                assertEquals(KafkaStreams.State.RUNNING, app.streams().state());
                assertTrue(transitions.stream().noneMatch(t -> t.endsWith("ERROR") || t.endsWith("PENDING_SHUTDOWN")
                        || t.endsWith("NOT_RUNNING") || t.endsWith("PENDING_ERROR")), "the app never stopped: " + transitions);
                System.out.printf("broker restart: %d events, broker down %d ms after %d/%d rows; result %s equals simulate;"
                                + " states %s; total %d s%n", w.size(), downMs, before, w.rows, got, transitions,
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
            }
        }
    }

    /** Open connections of the app's producer, main consumer and admin (the idle restore consumer notices late). */
    static double connections(KafkaStreams streams) {
        return streams.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("connection-count")
                        && !String.valueOf(e.getKey().tags().get("client-id")).endsWith("restore-consumer"))
                .mapToDouble(e -> e.getValue().metricValue() instanceof Number n ? n.doubleValue() : 0)
                .sum();
    }
}
