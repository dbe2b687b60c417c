package io.splice.backfill.cli;

import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.backfill.publish.KafkaPublisher;
import io.splice.core.cli.ConfigFiles;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where publishing commands write: brokers, schema registry and client settings, from a {@code --config} properties
 * file (the same file {@code splice run} and {@code splice replay} take: security settings included) and the flags,
 * which win over the file. Values may be secrets: nothing here prints them.
 */
public final class KafkaTarget {
    static final String BOOTSTRAP_SERVERS = "bootstrap.servers";

    @Option(names = "--bootstrap-servers", paramLabel = "HOSTS", description = "Kafka brokers (or bootstrap.servers in --config)")
    String bootstrapServers;

    @Option(names = "--schema-registry", paramLabel = "URL",
            description = "Confluent-compatible registry URL (or schema.registry.url in --config; mock://scope: in-memory)")
    String schemaRegistry;

    @Option(names = "--config", paramLabel = "FILE",
            description = "properties with Kafka client settings (security.protocol, sasl.*, ssl.*), bootstrap.servers, "
                    + "schema.registry.url and basic.auth.user.info; keep it readable only by the job's user")
    Path config;

    @Option(names = "--kafka-property", paramLabel = "K=V", description = "extra Kafka client setting (e.g. security.protocol=SSL); repeatable, wins over --config")
    Map<String, String> kafkaProps = new LinkedHashMap<>();

    /** The resolved settings, or a one-line problem naming what is missing or unreadable. */
    record Resolved(String bootstrapServers, String registryUrl, Map<String, String> clientProps,
                    Map<String, String> registryProps, String problem) {
        KafkaPublisher publisher() {
            return new KafkaPublisher(bootstrapServers, registryProps, clientProps);
        }
    }

    Resolved resolve(String what) {
        Map<String, String> file = new LinkedHashMap<>();
        if (config != null) {
            try {
                ConfigFiles.read(config).forEach((k, v) -> file.put(k, v.toString()));
            } catch (IOException e) {
                return problem("cannot read --config " + config + ": " + e.getMessage());
            }
        }
        String serversInFile = file.remove(BOOTSTRAP_SERVERS);
        String servers = bootstrapServers != null ? bootstrapServers : serversInFile;
        String registry = schemaRegistry != null ? schemaRegistry : file.get(SpliceSerdeConfig.SCHEMA_REGISTRY_URL);
        if (servers == null || registry == null) {
            return problem(what + " needs " + (servers == null ? "--bootstrap-servers" : "")
                    + (servers == null && registry == null ? " and " : "") + (registry == null ? "--schema-registry" : "")
                    + " (or " + (servers == null ? BOOTSTRAP_SERVERS : SpliceSerdeConfig.SCHEMA_REGISTRY_URL) + " in --config)");
        }
        Map<String, String> registryProps = new LinkedHashMap<>();
        Map<String, String> clientProps = new LinkedHashMap<>();
        file.forEach((k, v) -> {
            if (!k.startsWith("splice.")) { // the stitching app's own keys, when its app.properties is reused here
                (isRegistrySetting(k) ? registryProps : clientProps).put(k, v);
            }
        });
        clientProps.putAll(kafkaProps);
        registryProps.put(SpliceSerdeConfig.SCHEMA_REGISTRY_URL, registry);
        return new Resolved(servers, registry, clientProps, registryProps, null);
    }

    /** Registry settings are not Kafka client settings (Kafka would warn about unknown keys). */
    private static boolean isRegistrySetting(String key) {
        return key.startsWith("schema.registry.") || key.startsWith("basic.auth.") || key.equals(SpliceSerdeConfig.AUTO_REGISTER_SCHEMAS);
    }

    private static Resolved problem(String message) {
        return new Resolved(null, null, Map.of(), Map.of(), message);
    }
}
