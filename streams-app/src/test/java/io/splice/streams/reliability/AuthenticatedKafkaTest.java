package io.splice.streams.reliability;

import io.splice.avro.FetchLog;
import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.local.EmbeddedKafkaBroker;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.local.security.TestCa;
import io.splice.streams.TestApp;
import io.splice.testing.Kafka;
import io.splice.testing.PropertiesFile;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #8 (5): a broker with a SASL_SSL listener (SCRAM-SHA-512, a CA made in the test) and an authorizer that
 * grants each component only the ACLs the README's Reliability section lists. {@code splice run} and {@code splice replay}, each in its
 * own JVM, connect with the settings of their config file; a wrong password fails fast with a clear message; the
 * password and the truststore password appear nowhere: not in any output (Kafka clients log their configs here),
 * {@code /health}, {@code /metrics} or error messages.
 */
@Tag(Reliability.TAG)
@ExtendWith(SpliceStackExtension.class)
class AuthenticatedKafkaTest {
    static final String APP_USER = "splice-app";
    static final String REPLAY_USER = "splice-replay";

    @Test
    void runAndReplayConnectOverSaslSslAndNoSecretLeaks(StackEndpoints stack, @TempDir Path tmp) throws Exception {
        long t0 = System.nanoTime();
        String password = "pw-" + UUID.randomUUID();
        String storePassword = "store-" + UUID.randomUUID();
        TestCa ca = TestCa.create(tmp, storePassword);
        String prefix = Kafka.uniquePrefix("sasl");
        Path out = Path.of("target", "reliability", prefix); // what the children printed (no secrets: asserted below)
        Workload w = new Workload(prefix);
        String appId = prefix + "-app";
        Path definitions = Reliability.write(tmp.resolve("joins.yaml"), Workload.yaml(prefix));
        Path log4j = Reliability.write(tmp.resolve("log4j2-verbose.xml"), VERBOSE_LOG4J);
        List<String> jvm = List.of("-Xmx256m", "-Dlog4j2.configurationFile=" + log4j, "-Dsplice.log.level=DEBUG");
        Map<String, String> authorizer = Map.of(
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users", "User:ANONYMOUS", // the PLAINTEXT listener: inter-broker traffic and this test's admin
                "allow.everyone.if.no.acl.found", "false");
        List<ChildApp> children = new ArrayList<>();
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(authorizer).withSaslSslListener(
                new EmbeddedKafkaBroker.SaslSslListener(ca.brokerKeystore, "PKCS12", storePassword, storePassword)).start();
             Admin admin = broker.admin()) {
            // Given SCRAM users made through the internal listener, with the ACLs the docs list for each component
            TestCa.createScramUsers(admin, password, APP_USER, REPLAY_USER);
            admin.createAcls(appAcls(w, appId)).all().get();
            admin.createAcls(replayAcls(w)).all().get();

            // and 20 logs, written by a trusted producer on the internal listener to the log topics made beforehand (the app
            // creates the rest: that needs its CREATE ACL)
            admin.createTopics(List.of(new NewTopic(w.topics.fetchLog(), 2, (short) 1),
                    new NewTopic(w.topics.fetchLogReplay(), 2, (short) 1))).all().get();
            HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
            try (KafkaProducer<String, FetchLog> producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
                    new StringSerializer(), new SpliceAvroSerializer<>(registry))) {
                for (int i = 0; i < 20; i++) {
                    producer.send(new ProducerRecord<>(w.topics.fetchLog(), "c" + i, FetchLog.newBuilder().setJoin("payments").setVersion("v1")
                            .setTs(Workload.BASE_TS + i).setKeys(Map.of("card_id", "c" + i)).setContext(Map.of("request_id", "r" + i))
                            .setValues(new HashMap<>(Map.of("risk", 0.5))).setPartHashes(Map.of("risk_ext", w.hashes.get("risk_ext"))).build())).get();
                }
            }
            Map<String, Object> props = TestApp.props(broker.saslSslBootstrapServers(), stack.schemaRegistryUrl(), prefix, 2,
                    tmp.resolve("state"));
            props.putAll(sasl(APP_USER, password, ca));
            Path config = PropertiesFile.write(tmp.resolve("app.properties"), props);
            Map<String, Object> replayProps = new HashMap<>(sasl(REPLAY_USER, password, ca));
            replayProps.put("bootstrap.servers", broker.saslSslBootstrapServers());
            replayProps.put("splice.topic.prefix", prefix);
            replayProps.put("schema.registry.url", stack.schemaRegistryUrl()); // replay decodes logs to read their ts
            Path replayConfig = PropertiesFile.write(tmp.resolve("replay.properties"), replayProps);
            Map<String, Object> wrong = new HashMap<>(props);
            wrong.putAll(sasl(APP_USER, "wrong-" + password, ca));
            wrong.put("application.id", appId + "-wrong");
            Path wrongRunConfig = PropertiesFile.write(tmp.resolve("wrong-run.properties"), wrong);
            Map<String, Object> wrongReplay = new HashMap<>(replayProps);
            wrongReplay.putAll(sasl(REPLAY_USER, "wrong-" + password, ca));
            Path wrongReplayConfig = PropertiesFile.write(tmp.resolve("wrong-replay.properties"), wrongReplay);

            // When splice run and splice replay start with those configs, and both again with a wrong password
            ChildApp run = start(children, out.resolve("run.log"), jvm, "run", "--definitions", definitions.toString(), "--config", config.toString());
            ChildApp replay = start(children, out.resolve("replay.log"), jvm, "replay", "--config", replayConfig.toString(),
                    "--start", "2025-01-01", "--end", "2030-01-01");
            long started = System.nanoTime();
            ChildApp badRun = start(children, out.resolve("wrong-run.log"), jvm, "run", "--definitions", definitions.toString(),
                    "--config", wrongRunConfig.toString());
            ChildApp badReplay = start(children, out.resolve("wrong-replay.log"), jvm, "replay", "--config", wrongReplayConfig.toString(),
                    "--start", "2025-01-01", "--end", "2030-01-01");

            // Then the wrong passwords fail fast with a clear message
            assertEquals(1, badRun.exitCode(60), badRun.tail());
            assertEquals(1, badReplay.exitCode(60), badReplay.tail());
            long failMs = (System.nanoTime() - started) / 1_000_000;
            // and replay copies every log with its own principal
            assertEquals(0, replay.exitCode(120), replay.tail());
            assertTrue(replay.log().contains("read 20, matched 20, wrote 20 to " + w.topics.fetchLogReplay()), replay.tail());
            // and the app stitches every log over SASL_SSL
            HttpClient http = HttpClient.newHttpClient();
            try (StitchedView.KafkaReader reader = new StitchedView.KafkaReader(Map.of("bootstrap.servers", broker.bootstrapServers()),
                    registry, w.stitchedTopic())) {
                await("stitched over SASL_SSL").atMost(Duration.ofMinutes(2)).until(() -> {
                    assertTrue(run.alive(), run.tail());
                    return reader.poll().latest.size() == 20;
                });
            }
            assertEquals(200, get(http, run.metricsPort(), "/health").statusCode());
            String health = get(http, run.metricsPort(), "/health").body();
            String metrics = get(http, run.metricsPort(), "/metrics").body();
            assertTrue(metrics.contains("splice_records_in_total"), "metrics are served");
            for (ChildApp c : List.of(badRun, badReplay)) {
                assertTrue(c.log().contains("Authentication failed") && c.log().contains("SCRAM-SHA-512"), c.tail());
                assertTrue(c.log().lines().anyMatch(l -> l.startsWith("error: ")), c.tail());
            }

            // And no secret appears anywhere
            run.close();
            Map<String, String> places = new HashMap<>();
            places.put("splice run output", run.log());
            places.put("splice replay output", replay.log());
            places.put("splice run output (wrong password)", badRun.log());
            places.put("splice replay output (wrong password)", badReplay.log());
            places.put("/health", health);
            places.put("/metrics", metrics);
            assertTrue(run.log().contains("[hidden]"), "the clients' config dumps were logged (and masked)");
            places.forEach((where, text) -> {
                assertFalse(text.contains(password), "the SCRAM password appears in " + where);
                assertFalse(text.contains(storePassword), "the truststore password appears in " + where);
            });
            System.out.printf("SASL_SSL: run + replay connected with ACL-limited principals; wrong password failed in %d ms "
                            + "(run: %s); no secret in %d KB of output, /health or /metrics; %d s%n", failMs,
                    badRun.log().lines().filter(l -> l.startsWith("error: ")).findFirst().orElse("?"),
                    places.values().stream().mapToInt(String::length).sum() / 1024, (System.nanoTime() - t0) / 1_000_000_000);
        } finally {
            for (ChildApp c : children) {
                c.close();
            }
        }
    }

    private static ChildApp start(List<ChildApp> children, Path output, List<String> jvm, String... args) {
        ChildApp c = ChildApp.start(output, jvm, args);
        children.add(c);
        return c;
    }

    static Map<String, Object> sasl(String user, String password, TestCa ca) {
        return ca.saslSslClient(user, password);
    }

    /** The stitching app's ACLs, as the README's Reliability section lists them. */
    static List<AclBinding> appAcls(Workload w, String appId) {
        String p = "User:" + APP_USER;
        List<AclBinding> acls = new ArrayList<>();
        for (String t : List.of(w.topics.fetchLog(), w.topics.fetchLogReplay(), w.backfillTopic(), w.bootstrapTopic)) {
            acls.add(allow(p, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.READ));
            acls.add(allow(p, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.DESCRIBE));
        }
        for (String t : List.of(w.stitchedTopic(), w.topics.dlq())) {
            acls.add(allow(p, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.WRITE));
            acls.add(allow(p, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.DESCRIBE));
        }
        // splice.topic.create=true: creates its missing topics (omit when an operator creates them)
        acls.add(allow(p, ResourceType.TOPIC, w.prefix + ".", PatternType.PREFIXED, AclOperation.CREATE));
        // Kafka Streams' internal topics (repartition, changelog), group and transactions (exactly-once)
        for (AclOperation op : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE,
                AclOperation.DESCRIBE_CONFIGS, AclOperation.DELETE)) {
            acls.add(allow(p, ResourceType.TOPIC, appId + "-", PatternType.PREFIXED, op));
        }
        acls.add(allow(p, ResourceType.GROUP, appId, PatternType.LITERAL, AclOperation.READ));
        acls.add(allow(p, ResourceType.GROUP, appId, PatternType.LITERAL, AclOperation.DESCRIBE));
        acls.add(allow(p, ResourceType.TRANSACTIONAL_ID, appId, PatternType.PREFIXED, AclOperation.WRITE));
        acls.add(allow(p, ResourceType.TRANSACTIONAL_ID, appId, PatternType.PREFIXED, AclOperation.DESCRIBE));
        return acls;
    }

    /** splice replay's ACLs: read the retained log topic, write the replay topic (no group: it assigns partitions). */
    static List<AclBinding> replayAcls(Workload w) {
        String p = "User:" + REPLAY_USER;
        return List.of(
                allow(p, ResourceType.TOPIC, w.topics.fetchLog(), PatternType.LITERAL, AclOperation.READ),
                allow(p, ResourceType.TOPIC, w.topics.fetchLog(), PatternType.LITERAL, AclOperation.DESCRIBE),
                allow(p, ResourceType.TOPIC, w.topics.fetchLogReplay(), PatternType.LITERAL, AclOperation.WRITE),
                allow(p, ResourceType.TOPIC, w.topics.fetchLogReplay(), PatternType.LITERAL, AclOperation.DESCRIBE));
    }

    static AclBinding allow(String principal, ResourceType type, String name, PatternType pattern, AclOperation op) {
        return TestCa.allow(principal, type, name, pattern, op);
    }

    static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Kafka at INFO (the clients print their whole config at start) and Splice at DEBUG, to stderr. */
    static final String VERBOSE_LOG4J = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Configuration status="WARN">
              <Appenders>
                <Console name="stderr" target="SYSTEM_ERR"><PatternLayout pattern="%d{HH:mm:ss.SSS} %-5level %c{1} - %msg%n"/></Console>
              </Appenders>
              <Loggers>
                <Logger name="io.splice" level="DEBUG"/>
                <Logger name="org.apache.kafka" level="INFO"/>
                <Root level="INFO"><AppenderRef ref="stderr"/></Root>
              </Loggers>
            </Configuration>
            """;
}
