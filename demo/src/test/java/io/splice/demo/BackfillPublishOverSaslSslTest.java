package io.splice.demo;

import io.splice.avro.FeatureRow;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.local.EmbeddedKafkaBroker;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.local.security.TestCa;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #8 (5) for the Spark job: {@code splice backfill --publish} reaches a broker that only has a SASL_SSL listener
 * for it (SCRAM-SHA-512, a CA made in the test, the standard authorizer) with the settings of its {@code --config}
 * file and the ACLs README lists for it, and nothing more; a wrong password fails in seconds with one error line; no
 * secret appears in its output, with Kafka's and Spark's loggers at INFO (the clients print their whole config).
 */
@ExtendWith(SpliceStackExtension.class)
class BackfillPublishOverSaslSslTest {
    static final String USER = "splice-backfill";

    @Test
    void backfillPublishesWithItsConfigFileAndAWrongPasswordFailsFast(StackEndpoints stack, @TempDir Path tmp) throws Exception {
        String password = "pw-" + UUID.randomUUID();
        String storePassword = "store-" + UUID.randomUUID();
        TestCa ca = TestCa.create(tmp, storePassword);
        Map<String, String> authorizer = Map.of(
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users", "User:ANONYMOUS", // the PLAINTEXT listener: inter-broker traffic and this test's reads
                "allow.everyone.if.no.acl.found", "false");
        String topic = "splice.backfill." + World.JOIN + "." + World.VERSION;
        try (EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(authorizer).withSaslSslListener(
                new EmbeddedKafkaBroker.SaslSslListener(ca.brokerKeystore, "PKCS12", storePassword, storePassword)).start();
             Admin admin = broker.admin()) {
            // Given a SCRAM user with only the backfill publisher's ACLs
            TestCa.createScramUsers(admin, password, USER);
            admin.createAcls(publisherAcls(topic)).all().get();
            // and a small world's payments and scoring requests, and config files with the right and a wrong password
            World world = World.generate(new World.Settings(2, 20, 6, 0, LocalDate.now(ZoneOffset.UTC), 5));
            Path data = tmp.resolve("data");
            Path transactions = world.writeTransactions(data);
            Path left = world.writeLeftRows(data);
            Path defs = tmp.resolve("joins.yaml");
            try (InputStream in = Demo.class.getResourceAsStream(Demo.DEFINITIONS_RESOURCE)) {
                Files.copy(in, defs);
            }
            Path good = config(tmp.resolve("backfill.properties"), broker, stack, ca.saslSslClient(USER, password));
            Path wrong = config(tmp.resolve("wrong.properties"), broker, stack, ca.saslSslClient(USER, "wrong-" + password));
            Path log4j = Files.writeString(tmp.resolve("log4j2-verbose.properties"), VERBOSE_LOG4J);
            List<String> jvm = List.of("-Dlog4j2.configurationFile=" + log4j);

            // When splice backfill --publish runs with the wrong password
            long t0 = System.nanoTime();
            Path wrongOut = tmp.resolve("wrong.log");
            int wrongExit;
            try (BackfillProcess p = BackfillProcess.start(BackfillProcess.locateHome(), args(world, defs, left, transactions,
                    tmp.resolve("out-wrong"), wrong), tmp, Progress.silent(), jvm, wrongOut)) {
                wrongExit = p.awaitExit(Duration.ofMinutes(3));
            }
            long failMs = (System.nanoTime() - t0) / 1_000_000;
            // and with the right one
            Path goodOut = tmp.resolve("good.log");
            int goodExit;
            String goodTail;
            try (BackfillProcess p = BackfillProcess.start(BackfillProcess.locateHome(), args(world, defs, left, transactions,
                    tmp.resolve("out"), good), tmp, Progress.silent(), jvm, goodOut)) {
                goodExit = p.awaitExit(Duration.ofMinutes(5));
                goodTail = p.tail();
            }

            // Then the wrong password failed before Spark started, with one error line naming the cause
            String wrongLog = Files.readString(wrongOut);
            assertEquals(1, wrongExit, wrongLog);
            List<String> errors = wrongLog.lines().filter(l -> l.startsWith("error: ")).toList();
            assertEquals(1, errors.size(), wrongLog);
            assertTrue(errors.get(0).contains("Authentication failed") && errors.get(0).contains("SCRAM-SHA-512"), errors.get(0));
            assertFalse(wrongLog.contains("SparkContext"), "failed before starting Spark");
            // and the right one published one FeatureRow per left row, read back over the internal listener
            assertEquals(0, goodExit, goodTail);
            Map<String, FeatureRow> published = readAll(broker.bootstrapServers(), stack.schemaRegistryUrl(), topic);
            Set<String> expected = world.leftRows().stream().map(World.Request::requestId).collect(Collectors.toSet());
            assertEquals(expected, published.keySet());
            published.forEach((k, v) -> assertEquals(k, v.getRowKey()));
            // and no secret appears in either run's output, though the clients logged their configs (masked)
            String goodLog = Files.readString(goodOut);
            assertTrue(goodLog.contains("[hidden]"), "Kafka's client config dumps are in the output");
            for (Map.Entry<String, String> e : Map.of("the run's output", goodLog, "the failed run's output", wrongLog).entrySet()) {
                assertFalse(e.getValue().contains(password), "the SCRAM password appears in " + e.getKey());
                assertFalse(e.getValue().contains(storePassword), "the truststore password appears in " + e.getKey());
            }
            System.out.printf("backfill --publish over SASL_SSL: %d rows published; wrong password exit 1 in %d ms (%s); "
                    + "no secret in %d KB of output%n", published.size(), failMs, errors.get(0),
                    (goodLog.length() + wrongLog.length()) / 1024);
        }
    }

    /** The backfill publisher's ACLs, as README's Reliability section lists them. */
    static List<AclBinding> publisherAcls(String topic) {
        String p = "User:" + USER;
        List<AclBinding> acls = new ArrayList<>();
        for (AclOperation op : List.of(AclOperation.CREATE, AclOperation.WRITE, AclOperation.DESCRIBE)) {
            acls.add(TestCa.allow(p, ResourceType.TOPIC, topic, PatternType.LITERAL, op));
        }
        return acls;
    }

    private static List<String> args(World world, Path defs, Path left, Path transactions, Path out, Path config) {
        return List.of("--definitions", defs.toString(), "--join", World.JOIN, "--version", World.VERSION,
                "--start-date", world.firstDay().toString(), "--end-date", world.lastDay().toString(),
                "--chunk-size-days", "2", "--left", left.toString(), "--input", "transactions=" + transactions,
                "--output", out.toString(), "--publish", "--config", config.toString(), "--partitions", "2",
                "--conf", "spark.sql.shuffle.partitions=2", "--conf", "spark.default.parallelism=2");
    }

    private static Path config(Path file, EmbeddedKafkaBroker broker, StackEndpoints stack, Map<String, Object> security) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.saslSslBootstrapServers());
        p.put(SpliceSerdeConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        security.forEach((k, v) -> p.put(k, v.toString()));
        try (Writer w = Files.newBufferedWriter(file)) {
            p.store(w, "splice backfill --publish over SASL_SSL");
        }
        return file;
    }

    private static Map<String, FeatureRow> readAll(String bootstrap, String registryUrl, String topic) {
        SchemaRegistryClient registry = SpliceSerdeConfig.client(Map.of(SpliceSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl));
        Map<String, FeatureRow> out = new HashMap<>();
        try (KafkaConsumer<String, FeatureRow> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
                "isolation.level", "read_committed"), new StringDeserializer(), SpliceAvroDeserializer.of(registry, FeatureRow.class))) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            Set<TopicPartition> open = new HashSet<>(parts);
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (!open.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, FeatureRow> r : c.poll(Duration.ofMillis(500))) {
                    out.put(r.key(), r.value());
                }
                open.removeIf(tp -> c.position(tp) >= end.get(tp));
            }
            assertTrue(open.isEmpty(), "could not read " + topic + " to its end: " + open);
        }
        return out;
    }

    /** Kafka and Spark at INFO: the Kafka clients print their whole configuration when they start. */
    static final String VERBOSE_LOG4J = """
            rootLogger.level = info
            rootLogger.appenderRef.stderr.ref = console
            appender.console.type = Console
            appender.console.name = console
            appender.console.target = SYSTEM_ERR
            appender.console.layout.type = PatternLayout
            appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
            """;
}
