package io.splice.backfill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How publishing commands combine --config with the flags (the SASL_SSL run itself is in demo's BackfillPublishOverSaslSslTest). */
class KafkaTargetTest {
    @Command
    static final class Cmd {
        @Mixin
        KafkaTarget kafka = new KafkaTarget();
    }

    static KafkaTarget.Resolved resolve(String... args) {
        Cmd c = new Cmd();
        new CommandLine(c).parseArgs(args);
        return c.kafka.resolve("--publish");
    }

    @Test
    void theConfigFileGivesBrokersRegistryAndSecuritySettingsAndTheFlagsWin(@TempDir Path tmp) throws Exception {
        // Given the stitching app's config file, reused for the backfill
        Path f = Files.writeString(tmp.resolve("app.properties"), """
                bootstrap.servers=broker-1:9096
                schema.registry.url=https://registry:8081
                basic.auth.user.info=svc:secret
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                splice.topic.partitions=6
                """);
        // When it is read alone, and with flags
        KafkaTarget.Resolved fromFile = resolve("--config", f.toString());
        KafkaTarget.Resolved withFlags = resolve("--config", f.toString(), "--bootstrap-servers", "other:9092",
                "--kafka-property", "sasl.mechanism=PLAIN");

        // Then Kafka and registry settings are kept apart, Splice's own keys are dropped, and the flags win
        assertNull(fromFile.problem());
        assertEquals("broker-1:9096", fromFile.bootstrapServers());
        assertEquals(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512"), fromFile.clientProps());
        assertEquals(Map.of("schema.registry.url", "https://registry:8081", "basic.auth.user.info", "svc:secret"),
                fromFile.registryProps());
        assertEquals("other:9092", withFlags.bootstrapServers());
        assertEquals("PLAIN", withFlags.clientProps().get("sasl.mechanism"));
    }

    @Test
    void whatIsMissingIsNamed(@TempDir Path tmp) {
        assertEquals("--publish needs --bootstrap-servers and --schema-registry (or bootstrap.servers in --config)",
                resolve().problem());
        assertEquals("--publish needs --schema-registry (or schema.registry.url in --config)",
                resolve("--bootstrap-servers", "b:9092").problem());
        String unreadable = resolve("--config", tmp.resolve("nope.properties").toString()).problem();
        assertTrue(unreadable.startsWith("cannot read --config " + tmp.resolve("nope.properties")), unreadable);
    }
}
