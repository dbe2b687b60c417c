package io.splice.local;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A topic to create on a broker: name, partition count, compacted or not, and extra topic configs.
 *
 * @param name       topic name
 * @param partitions number of partitions (the replication factor is the stack's: 1 on {@link EmbeddedKafkaBroker},
 *                   min(3, N) on a {@link LocalCluster} of N nodes)
 * @param compacted  {@code cleanup.policy=compact} when true, {@code delete} otherwise
 * @param configs    further topic configs (may be empty, never null)
 */
public record TopicSpec(String name, int partitions, boolean compacted, Map<String, String> configs) {

    public TopicSpec {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1: " + partitions);
        }
        configs = configs == null ? Map.of() : Map.copyOf(configs);
    }

    public TopicSpec(String name, int partitions, boolean compacted) {
        this(name, partitions, compacted, Map.of());
    }

    /** A delete-policy topic. */
    public static TopicSpec of(String name, int partitions) {
        return new TopicSpec(name, partitions, false);
    }

    /** A compacted topic. */
    public static TopicSpec compacted(String name, int partitions) {
        return new TopicSpec(name, partitions, true);
    }

    /** The Admin request for this topic with replication factor {@code replicationFactor} and its cleanup policy. */
    public NewTopic toNewTopic(short replicationFactor) {
        Map<String, String> cfg = new HashMap<>(configs);
        cfg.putIfAbsent(TopicConfig.CLEANUP_POLICY_CONFIG, compacted ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE);
        return new NewTopic(name, partitions, replicationFactor).configs(cfg);
    }
}
