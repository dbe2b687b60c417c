package io.splice.backfill.publish;

import io.splice.avro.FeatureRow;
import io.splice.avro.serde.SpliceSerdeConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Publishes encoded {@link FeatureRow}s to a compacted topic with Spark's Kafka sink: registers the FeatureRow schema
 * under {@code <topic>-value}, creates the topic ({@code cleanup.policy=compact}) when it is missing, and writes
 * key = row key, value = Confluent frame. Kafka's default partitioner hashes the key exactly as Kafka Streams does,
 * so a row lands in the same partition as its other sources when the partition counts match.
 */
public final class KafkaPublisher {
    private final String bootstrapServers;
    private final Map<String, String> registryProps;
    private final Map<String, String> clientProps;

    /**
     * @param registryProps {@code schema.registry.url} and, when the registry wants it, {@code basic.auth.user.info}
     * @param clientProps   Kafka client settings (security included) for the admin client and Spark's producers
     */
    public KafkaPublisher(String bootstrapServers, Map<String, String> registryProps, Map<String, String> clientProps) {
        this.bootstrapServers = bootstrapServers;
        this.registryProps = Map.copyOf(registryProps);
        this.clientProps = clientProps == null ? Map.of() : Map.copyOf(clientProps);
    }

    /** Registers (idempotently) the FeatureRow schema under {@code <topic>-value} and returns its id. */
    public int registerSchema(String topic) {
        return SpliceSerdeConfig.client(registryProps).register(topic + "-value", FeatureRow.getClassSchema());
    }

    private Admin admin() {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 30000);
        props.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60000);
        return Admin.create(props);
    }

    private Optional<TopicDescription> describe(Admin admin, String topic) throws InterruptedException {
        try {
            return Optional.of(admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
            if (e.getCause() instanceof TopicAuthorizationException) {
                throw new TopicNotDescribable("not authorized to DESCRIBE topic " + topic + " (grant DESCRIBE, WRITE and, "
                        + "if it may be missing, CREATE on it to the publishing principal)", e.getCause());
            }
            throw new IllegalStateException("cannot describe topic " + topic + " at " + bootstrapServers + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer within 60 s describing topic " + topic, e);
        }
    }

    /**
     * Creates {@code topic} compacted when missing. Partitions: {@code partitions} when given, else the partition count
     * of the first of {@code likeTopics} that exists (the join's other inputs, for co-partitioning), else 1.
     */
    public void ensureCompactedTopic(String topic, Integer partitions, List<String> likeTopics, PrintWriter out) {
        try (Admin admin = admin()) {
            Optional<TopicDescription> existing = describe(admin, topic);
            if (existing.isPresent()) {
                int n = existing.get().partitions().size();
                if (partitions != null && partitions != n) {
                    out.printf("warning: topic %s exists with %d partitions, not %d; publishing into it as it is%n", topic, n, partitions);
                }
                return;
            }
            int n = partitions == null ? 0 : partitions;
            String why = "--partitions";
            if (n <= 0) {
                n = 1;
                why = "default";
                for (String like : likeTopics) {
                    Optional<TopicDescription> d;
                    try {
                        d = describe(admin, like);
                    } catch (TopicNotDescribable e) {
                        // only a hint for the partition count: a principal limited to its own topic may not see it
                        out.printf("note: cannot describe %s for its partition count (no DESCRIBE ACL); not used%n", like);
                        continue;
                    }
                    if (d.isPresent()) {
                        n = d.get().partitions().size();
                        why = "as " + like;
                        break;
                    }
                }
            }
            NewTopic nt = new NewTopic(topic, Optional.of(n), Optional.empty())
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            try {
                admin.createTopics(List.of(nt)).all().get(60, TimeUnit.SECONDS);
                out.printf("created topic %s (cleanup.policy=compact, %d partition%s, %s)%n", topic, n, n == 1 ? "" : "s", why);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer within 60 s creating topic " + topic, e);
        }
    }

    /** The principal may not see a topic. */
    private static final class TopicNotDescribable extends IllegalStateException {
        TopicNotDescribable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Writes encoded records (columns key, value) to the topic. */
    public void write(Dataset<Row> encoded, String topic) {
        var w = encoded.write().format("kafka")
                .option("kafka.bootstrap.servers", bootstrapServers)
                .option("topic", topic);
        for (Map.Entry<String, String> e : clientProps.entrySet()) {
            w = w.option("kafka." + e.getKey(), e.getValue());
        }
        w.save();
    }
}
