package io.splice.streams.reliability;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.json.RecordJson;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import io.splice.testing.JoinYaml;
import io.splice.testing.Joins;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A deterministic mix of inputs for one join (logs, backfill, a bootstrap table, tombstones), kept as records so that
 * the same inputs go to Kafka and to {@code splice simulate}. Rows: one log per request {@code r<i>} (keyed by card,
 * as producers usually key logs, 1% with a null key), backfill for 40% of them (1 in 4 of those with a stale hash),
 * backfill-only rows {@code b<j>}, a bootstrap table covering 10% of the rows (some rows it names never appear),
 * and backfill tombstones (some remove a row entirely). The order is shuffled across topics; tombstones come last.
 *
 * <p>{@link #generateWithV2} adds what a production deployment also sees: logs that arrive through the replay topic
 * (some only there, some on both), undecodable records on the log and backfill topics, and, in {@link #eventsV2}, the
 * inputs of {@code payments v2} (bootstrapped from v1's stitched topic), to produce once v2 is deployed: its logs
 * (some logged twice, the second with a greater ts) and backfill (some with a stale hash).
 */
final class Workload {
    static final long BASE_TS = 1_759_320_000_000L;

    /** One input record; {@code value == null} is a tombstone unless {@code raw} holds bytes to send as they are. */
    record Event(String topic, String key, SpecificRecord value, byte[] raw) {
        Event(String topic, String key, SpecificRecord value) {
            this(topic, key, value, null);
        }
    }

    final String prefix;
    final Topics topics;
    final Definitions definitions;
    final JoinDefinition join;
    final Map<String, String> hashes;
    final String bootstrapTopic;
    final List<Event> events = new ArrayList<>();
    /** payments v2's inputs ({@link #generateWithV2}); empty otherwise. */
    final List<Event> eventsV2 = new ArrayList<>();
    /** v1 and v2, as deployed by the rolling restart that adds v2. */
    final Definitions definitionsWithV2;
    final JoinDefinition joinV2;
    /** Rows that have a log or a backfill record at some point (what the stitched topic will name). */
    int rows;
    int logs;
    int backfill;
    int bootstrap;
    int tombstones;
    int badRecords;
    /** Logs sent through the replay topic (only there, or there too). */
    int replayed;
    int logsV2;
    int backfillV2;
    /** Rows of v2: a v2 log or v2 backfill. */
    int rowsV2;

    static String yaml(String prefix) {
        return Joins.paymentsCardAndRisk("v1").bootstrap(prefix + ".bootstrap.labels").yaml();
    }

    /**
     * v1 and v2 of payments with both stores (feature groups {@code payments_v1}/{@code payments_v2} by card, offline
     * under {@code s3://lake/offline}); v2 bootstraps from v1's stitched topic.
     */
    static String yamlWithV2(String prefix) {
        return JoinYaml.yaml(
                Joins.paymentsCardAndRisk("v1").bootstrap(prefix + ".bootstrap.labels")
                        .online("payments_v1", "card_id").offline("s3://lake/offline"),
                Joins.paymentsCardAndRisk("v2").bootstrap(new Topics(prefix).stitched("payments", "v1"))
                        .online("payments_v2", "card_id").offline("s3://lake/offline"));
    }

    /** {@link #yamlWithV2} without v2: what the deployment runs before the rolling restart. */
    static String yamlV1Only(String prefix) {
        return JoinYaml.yaml(Joins.paymentsCardAndRisk("v1").bootstrap(prefix + ".bootstrap.labels")
                .online("payments_v1", "card_id").offline("s3://lake/offline"));
    }

    Workload(String prefix) {
        this.prefix = prefix;
        this.topics = new Topics(prefix);
        this.definitions = DefinitionsLoader.parse(yaml(prefix), "reliability.yaml", topics);
        this.join = definitions.joins().get(0);
        this.hashes = SemanticHasher.hashes(definitions).get(join.id());
        this.bootstrapTopic = prefix + ".bootstrap.labels";
        this.definitionsWithV2 = DefinitionsLoader.parse(yamlWithV2(prefix), "reliability-v2.yaml", topics);
        this.joinV2 = definitionsWithV2.joins().get(1);
    }

    String stitchedTopicV2() {
        return topics.stitched(joinV2);
    }

    String backfillTopicV2() {
        return topics.backfill(joinV2);
    }

    String stitchedTopic() {
        return topics.stitched(join);
    }

    String backfillTopic() {
        return topics.backfill(join);
    }

    /** Generates {@code logCount} logs and the rest in proportion, shuffled with {@code seed}. */
    static Workload generate(String prefix, int logCount, long seed) {
        return generate(prefix, logCount, seed, false);
    }

    /** {@link #generate} with replays, undecodable records and payments v2's inputs in {@link #eventsV2}. */
    static Workload generateWithV2(String prefix, int logCount, long seed) {
        Workload w = generate(prefix, logCount, seed, true);
        Map<String, String> v2 = SemanticHasher.hashes(w.definitionsWithV2).get(w.joinV2.id());
        List<Event> body = new ArrayList<>();
        for (int i = 0; i < logCount; i += 3) { // the server logs v2 for a third of the requests (a rollout)
            String row = "r" + i;
            String card = "c" + (i % 5000);
            int times = i % 30 == 0 ? 2 : 1; // logged twice: the greater ts wins
            for (int t = 0; t < times; t++) {
                Map<String, Object> values = new HashMap<>();
                values.put("risk", i % 45 == 0 ? null : i / 500.0 + t);
                Map<String, String> logged = new HashMap<>();
                logged.put("risk_ext", v2.get("risk_ext"));
                if (i % 4 == 0) {
                    values.put("cnt", (long) (i % 90) + t);
                    values.put("amt", i * 0.75);
                    logged.put("card_txn", v2.get("card_txn"));
                }
                body.add(new Event(w.topics.fetchLog(), card, FetchLog.newBuilder()
                        .setJoin("payments").setVersion("v2").setTs(BASE_TS + i + t)
                        .setKeys(Map.of("card_id", card)).setContext(Map.of("request_id", row))
                        .setValues(values).setPartHashes(logged).build()));
                w.logsV2++;
            }
            w.rowsV2++;
        }
        for (int i = 1; i < logCount; i += 7) { // v2's backfill: rows with or without a v2 log
            String row = "r" + i;
            body.add(new Event(w.backfillTopicV2(), row, FeatureRow.newBuilder().setRowKey(row).setTs(BASE_TS + i)
                    .setKeys(Map.of("card_id", "c" + (i % 5000))).setValues(Map.of("cnt", (long) (i % 55), "amt", i * 0.125))
                    .setPartHashes(Map.of("card_txn", i % 49 == 1 ? "stale0000000000" : v2.get("card_txn"))).build()));
            w.backfillV2++;
            if (i % 3 != 0) {
                w.rowsV2++;
            }
        }
        Collections.shuffle(body, new Random(seed + 1));
        w.eventsV2.addAll(body);
        return w;
    }

    private static Workload generate(String prefix, int logCount, long seed, boolean withV2) {
        Workload w = new Workload(prefix);
        Random rnd = new Random(seed);
        List<Event> body = new ArrayList<>();
        List<Event> tail = new ArrayList<>();
        for (int i = 0; i < logCount; i++) {
            String row = "r" + i;
            String card = "c" + (i % 5000);
            Map<String, Object> values = new HashMap<>();
            values.put("risk", i % 50 == 0 ? null : i / 1000.0);
            Map<String, String> logged = new HashMap<>();
            logged.put("risk_ext", w.hashes.get("risk_ext"));
            if (i % 2 == 0) {
                values.put("cnt", (long) (i % 100));
                values.put("amt", i % 6 == 0 ? null : i * 0.5);
                logged.put("card_txn", w.hashes.get("card_txn"));
            }
            FetchLog log = FetchLog.newBuilder()
                    .setJoin("payments").setVersion("v1").setTs(BASE_TS + i)
                    .setKeys(Map.of("card_id", card)).setContext(Map.of("request_id", row))
                    .setValues(values).setPartHashes(logged).build();
            String logKey = i % 100 == 7 ? null : card;
            boolean replayOnly = withV2 && i % 37 == 5; // lost by the serving path, recovered through the replay topic
            boolean replayedToo = withV2 && i % 41 == 6;
            if (!replayOnly) {
                body.add(new Event(w.topics.fetchLog(), logKey, log));
            }
            if (replayOnly || replayedToo) {
                body.add(new Event(w.topics.fetchLogReplay(), logKey, log));
                w.replayed++;
            }
            w.logs++;
            if (withV2 && i % 1000 == 500) {
                body.add(new Event(w.topics.fetchLog(), "bad-log-" + i, null, ("not avro " + i).getBytes(StandardCharsets.UTF_8)));
                body.add(new Event(w.backfillTopic(), "bad-backfill-" + i, null, new byte[]{0, 0, 0, 0, 7, 1}));
                w.badRecords += 2;
            }
            if (i % 5 < 2) {
                body.add(new Event(w.backfillTopic(), row, FeatureRow.newBuilder().setRowKey(row).setTs(BASE_TS + i)
                        .setKeys(Map.of("card_id", card)).setValues(Map.of("cnt", (long) (i % 77), "amt", i * 0.25))
                        .setPartHashes(Map.of("card_txn", i % 20 == 1 ? "stale0000000000" : w.hashes.get("card_txn"))).build()));
                w.backfill++;
                if (i % 100 == 0) {
                    tail.add(new Event(w.backfillTopic(), row, null));
                    w.tombstones++;
                }
            }
            if (i % 10 == 3) {
                Map<String, Object> b = new HashMap<>();
                b.put("cnt", 1000L + i);
                if (i % 20 == 13) {
                    b.put("amt", null); // covers card_txn with a trusted null
                }
                b.put("label", i % 3); // extra column of a bootstrap table: ignored
                body.add(new Event(w.bootstrapTopic, row, FeatureRow.newBuilder().setRowKey(row).setTs(BASE_TS + i)
                        .setKeys(Map.of("card_id", card)).setValues(b).setPartHashes(null).build()));
                w.bootstrap++;
            }
        }
        w.rows = logCount;
        for (int j = 0; j < logCount / 20; j++) {
            String row = "b" + j;
            body.add(new Event(w.backfillTopic(), row, FeatureRow.newBuilder().setRowKey(row).setTs(BASE_TS + logCount + j)
                    .setKeys(Map.of("card_id", "c" + j)).setValues(Map.of("cnt", (long) j, "amt", j * 1.5))
                    .setPartHashes(Map.of("card_txn", w.hashes.get("card_txn"))).build()));
            w.backfill++;
            w.rows++;
            if (j % 10 == 0) {
                tail.add(new Event(w.backfillTopic(), row, null)); // the row's only source: a tombstone is emitted
                w.tombstones++;
            }
        }
        for (int j = 0; j < logCount / 100; j++) {
            String row = "o" + j; // bootstrap records of rows that never appear: no output
            body.add(new Event(w.bootstrapTopic, row, FeatureRow.newBuilder().setRowKey(row).setTs(BASE_TS)
                    .setKeys(Map.of()).setValues(Map.of("cnt", 1L)).setPartHashes(null).build()));
            w.bootstrap++;
        }
        Collections.shuffle(body, rnd);
        w.events.addAll(body);
        w.events.addAll(tail);
        return w;
    }

    int size() {
        return events.size();
    }

    /** Writes the events as {@code splice simulate} reads them. */
    void writeEvents(Path file) throws IOException {
        writeEvents(file, events);
    }

    static void writeEvents(Path file, List<Event> events) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Event e : events) {
                ObjectNode o = RecordJson.MAPPER.createObjectNode();
                o.put("topic", e.topic());
                o.put("key", e.key());
                if (e.raw() != null) {
                    o.put("raw", java.util.Base64.getEncoder().encodeToString(e.raw()));
                } else if (e.value() == null) {
                    o.putNull("value");
                } else if (e.value() instanceof FetchLog l) {
                    o.set("value", RecordJson.toJson(l));
                } else {
                    o.set("value", RecordJson.toJson((FeatureRow) e.value()));
                }
                out.write(o.toString());
                out.newLine();
            }
        }
    }

    /** Produces events {@code [from, to)} (idempotent producer, acks=all) and flushes. */
    void produce(Map<String, Object> clientProps, SchemaRegistryClient registry, int from, int to) {
        produce(clientProps, registry, events.subList(from, to));
    }

    /** Produces {@code events} in order (idempotent producer, acks=all) and flushes. */
    static void produce(Map<String, Object> clientProps, SchemaRegistryClient registry, List<Event> events) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
        SpliceAvroSerializer<SpecificRecord> ser = new SpliceAvroSerializer<>(registry);
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Event e : events) {
                byte[] value = e.raw() != null ? e.raw() : e.value() == null ? null : ser.serialize(e.topic(), e.value());
                producer.send(new ProducerRecord<>(e.topic(), e.key() == null ? null : e.key().getBytes(StandardCharsets.UTF_8),
                        value), (m, ex) -> {
                    if (ex != null) {
                        failure.compareAndSet(null, ex);
                    }
                });
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("producing the workload failed", failure.get());
        }
    }
}
