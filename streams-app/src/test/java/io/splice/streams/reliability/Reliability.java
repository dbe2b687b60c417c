package io.splice.streams.reliability;

import io.splice.core.api.Definitions;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.TopicSetup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** Shared bits of the reliability tests: app settings, topic setup, progress of the app's consumer group. */
final class Reliability {
    static final String TAG = "reliability";

    private Reliability() {
    }

    static String uniquePrefix(String what) {
        return what + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    }

    /** Settings of a test app: small, fast commits and takeovers, state in {@code stateDir}. */
    static Map<String, Object> appProps(String bootstrap, String registryUrl, String prefix, int partitions, Path stateDir) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap);
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

    /** Creates the app's topics as {@code splice run} would, so that producers can start before the app. */
    static void createTopics(Definitions defs, Map<String, Object> props) throws Exception {
        SpliceStreamsConfig config = new SpliceStreamsConfig(props);
        try (Admin admin = Admin.create(config.clientProperties())) {
            TopicSetup.ensure(admin, defs, config);
        }
    }

    /** Whether the group's committed offsets reached the end of every partition of {@code topics} (non-transactional inputs). */
    static boolean consumedToEnd(Admin admin, String group, String... topics) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (String t : topics) {
            admin.describeTopics(java.util.List.of(t)).allTopicNames().get().get(t).partitions()
                    .forEach(p -> latest.put(new TopicPartition(t, p.partition()), OffsetSpec.latest()));
        }
        for (var e : admin.listOffsets(latest).all().get().entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            if (e.getValue().offset() > 0 && (c == null || c.offset() < e.getValue().offset())) {
                return false;
            }
        }
        return true;
    }

    static Path write(Path file, String text) {
        try {
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
