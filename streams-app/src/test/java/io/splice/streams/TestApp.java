package io.splice.streams;

import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import io.splice.local.StackEndpoints;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.TopicSetup;
import io.splice.testing.Kafka;
import org.apache.kafka.clients.admin.Admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The settings of a Splice app under test, shared by the tests that start one (in-process or as a child JVM). */
public final class TestApp {
    private TestApp() {
    }

    /** What an app under test on the stack is deployed with: a fresh topic prefix, its topics, its definitions, a registry client. */
    public record Deployment(String prefix, Topics topics, Definitions definitions, HttpSchemaRegistryClient registry) {
        /** The semantic hash of every part of {@code joinId} (e.g. {@code payments.v1}), by part name. */
        public Map<String, String> hashes(String joinId) {
            return SemanticHasher.hashes(definitions).get(joinId);
        }
    }

    /** A {@link Deployment} of {@code yaml} under a new prefix {@code <what><8 hex digits>}, with the stack's registry. */
    public static Deployment deployment(StackEndpoints stack, String what, String yaml) {
        String prefix = Kafka.uniquePrefix(what);
        Topics topics = new Topics(prefix);
        return new Deployment(prefix, topics, DefinitionsLoader.parse(yaml, what + ".yaml", topics),
                new HttpSchemaRegistryClient(stack.schemaRegistryUrl()));
    }

    /**
     * Settings of a test app: {@code application.id} {@code <prefix>-app}, topics {@code <prefix>.*} with
     * {@code partitions} partitions and one replica, metrics on a free port, 100 ms commits, a 6 s session (a
     * restarted instance takes over sooner than after the 45 s default), state in {@code stateDir}. A new map, to add to.
     */
    public static Map<String, Object> props(String bootstrapServers, String registryUrl, String prefix, int partitions, Path stateDir) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrapServers);
        props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, registryUrl);
        props.put("application.id", prefix + "-app");
        props.put(SpliceStreamsConfig.TOPIC_PREFIX, prefix);
        props.put(SpliceStreamsConfig.TOPIC_PARTITIONS, partitions);
        props.put(SpliceStreamsConfig.TOPIC_REPLICATION, 1);
        props.put(SpliceStreamsConfig.METRICS_PORT, 0);
        props.put("commit.interval.ms", 100);
        props.put("session.timeout.ms", 6000);
        props.put("heartbeat.interval.ms", 1500);
        props.put("state.dir", stateDir.toAbsolutePath().toString());
        return props;
    }

    /** {@link #props} for the stack's Kafka and registry, with state in a new directory under target/. */
    public static Map<String, Object> props(StackEndpoints stack, String prefix, int partitions) {
        try {
            return props(stack.bootstrapServers(), stack.schemaRegistryUrl(), prefix, partitions,
                    Files.createTempDirectory(Path.of("target"), prefix + "-state-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates the app's topics as {@code splice run} would, so that producers can start before the app. */
    public static void createTopics(Definitions defs, Map<String, Object> props) throws Exception {
        SpliceStreamsConfig config = new SpliceStreamsConfig(props);
        try (Admin admin = Admin.create(config.clientProperties())) {
            TopicSetup.ensure(admin, defs, config);
        }
    }
}
