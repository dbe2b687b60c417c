package io.splice.streams;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splice.avro.StitchedRecord;
import io.splice.avro.json.RecordJson;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.SpliceRuntime;
import io.splice.testing.Feature;
import io.splice.testing.Joins;
import io.splice.testing.Kafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.splice.testing.Kafka.latestByKey;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12.13: a real non-Java producer. Debian's python3-avro encodes logs and backfill rows, librdkafka
 * (python3-confluent-kafka, default partitioner CRC32, not murmur2) sends them. What README's "Producers in other
 * languages" says is accepted is stitched; an int feature that Python's avro wrote in the 'double' branch is a
 * dead letter whose reason names the branch and points to README. Needs {@code apt-get install python3-avro
 * python3-confluent-kafka} (.ci/run installs them).
 */
@ExtendWith(SpliceStackExtension.class)
class PythonProducerInteropTest {
    static final String PYTHON = "/usr/bin/python3";
    /** payments/v1: card_txn (amt, and cnt counted over 24 h) and risk_ext with a string feature, label. */
    static final String YAML = Joins.payments("v1")
            .part("card_txn", "transactions", "card_id", Joins.AMT, Feature.count("cnt", "24h"))
            .external("risk_ext", Joins.RISK, Feature.of("label", "string"))
            .yaml();
    static final int ROWS = 20;

    @Test
    void logsAndBackfillRowsFromPythonAreStitchedAndAnIntInTheDoubleBranchIsExplained(StackEndpoints stack) throws Exception {
        TestApp.Deployment d = TestApp.deployment(stack, "py", YAML);
        Map<String, String> hashes = d.hashes("payments.v1");
        SpliceStreamsConfig config = new SpliceStreamsConfig(TestApp.props(stack, d.prefix(), 3));

        // logs keyed by card (the app re-keys them), with a double and a string feature; one log with an int feature
        StringBuilder logs = new StringBuilder();
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < ROWS; i++) {
            logs.append(line("card-" + (i % 4), log("r" + i, "card-" + (i % 4), Map.of("risk", 0.1 * i, "label", "l" + i),
                    Map.of("risk_ext", hashes.get("risk_ext"))))).append('\n');
            // backfill rows keyed by row key, placed by librdkafka's partitioner
            ObjectNode row = RecordJson.MAPPER.createObjectNode().put("row_key", "r" + i).put("ts", 1_759_320_000_000L + i);
            row.putObject("keys").put("card_id", "card-" + (i % 4));
            row.putObject("values").put("amt", 1.1 * i);
            row.putObject("part_hashes").put("card_txn", hashes.get("card_txn"));
            rows.append(line("r" + i, row)).append('\n');
        }
        logs.append(line("card-x", log("bad-int", "card-x", Map.of("cnt", 3), Map.of("card_txn", hashes.get("card_txn"))))).append('\n');

        try (SpliceRuntime app = new SpliceRuntime(d.definitions(), config).start();
             KafkaConsumer<String, byte[]> out = Kafka.consumer(stack.bootstrapServers());
             KafkaConsumer<String, byte[]> dlq = Kafka.consumer(stack.bootstrapServers())) {
            assertEquals(ROWS + 1, python(stack, d.topics().fetchLog(), "FetchLog", logs.toString()));
            assertEquals(ROWS, python(stack, d.topics().backfill(d.definitions().joins().get(0)), "FeatureRow", rows.toString()));

            out.subscribe(List.of(d.topics().stitched("payments", "v1")));
            dlq.subscribe(List.of(d.topics().dlq()));
            SpliceAvroDeserializer<StitchedRecord> deser = SpliceAvroDeserializer.of(d.registry(), StitchedRecord.class);
            List<ConsumerRecord<String, StitchedRecord>> seen = new ArrayList<>();
            List<ConsumerRecord<String, byte[]>> dead = new ArrayList<>();
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                out.poll(Duration.ofMillis(200)).forEach(r -> seen.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(),
                        r.key(), deser.deserialize(r.topic(), r.value()))));
                dlq.poll(Duration.ofMillis(50)).forEach(dead::add);
                return !dead.isEmpty() && latestByKey(seen).size() == ROWS && latestByKey(seen).values().stream()
                        .allMatch(r -> "backfill".equals(r.getSources().get("amt")) && "log".equals(r.getSources().get("label")));
            });
            for (int i = 0; i < ROWS; i++) {
                StitchedRecord r = latestByKey(seen).get("r" + i);
                assertEquals(1.1 * i, (Double) r.getValues().get("amt"), 0.0, "a double is exact");
                assertEquals(0.1 * i, (Double) r.getValues().get("risk"), 0.0);
                assertEquals("l" + i, r.getValues().get("label"));
            }
            assertEquals(1, dead.size());
            String error = new String(dead.get(0).headers().lastHeader("splice.error").value(), StandardCharsets.UTF_8);
            assertTrue(error.startsWith("wrong-type: feature 'cnt' is declared long") && error.contains("'double' branch")
                    && error.contains("Producers in other languages"), error);
        }
    }

    static ObjectNode log(String requestId, String card, Map<String, Object> values, Map<String, String> hashes) {
        ObjectNode v = RecordJson.MAPPER.createObjectNode().put("join", "payments").put("version", "v1").put("ts", 1_759_320_000_000L);
        v.putObject("keys").put("card_id", card);
        v.putObject("context").put("request_id", requestId);
        v.set("values", RecordJson.MAPPER.valueToTree(values));
        v.set("part_hashes", RecordJson.MAPPER.valueToTree(hashes));
        return v;
    }

    static String line(String key, ObjectNode value) {
        ObjectNode o = RecordJson.MAPPER.createObjectNode().put("key", key);
        o.set("value", value);
        return o.toString();
    }

    /** Runs the Python producer; returns the records the broker acknowledged. */
    static int python(StackEndpoints stack, String topic, String schema, String jsonl) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("target"), "py-");
        Path script = dir.resolve("produce.py");
        try (InputStream in = PythonProducerInteropTest.class.getResourceAsStream("/interop/produce.py")) {
            Files.copy(in, script);
        }
        Path avsc = Path.of("../avro/src/main/avro/" + schema + ".avsc").toAbsolutePath();
        Path input = dir.resolve("in.jsonl");
        Files.writeString(input, jsonl);
        Process p = new ProcessBuilder(PYTHON, script.toString(), stack.bootstrapServers(), stack.schemaRegistryUrl(), topic,
                avsc.toString()).redirectInput(input.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python producer did not finish");
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.exitValue(), "python producer failed (needs apt-get install python3-avro python3-confluent-kafka): " + stdout);
        return Integer.parseInt(stdout);
    }
}
