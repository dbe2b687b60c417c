package io.splice.streams.runtime;

import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.streams.SpliceTopology;
import io.splice.streams.api.SpliceStreamsConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Creates missing topics (compacted where DESIGN §4 says so) and checks that every input of a join is
 * co-partitioned, naming the topic that differs.
 */
public final class TopicSetup {
    private TopicSetup() {
    }

    /** Describes topics, waiting (bounded) for freshly created ones to reach the broker's metadata. */
    static Map<String, TopicDescription> describe(Admin admin, Set<String> names, int timeoutMs) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return admin.describeTopics(names, new DescribeTopicsOptions().timeoutMs(timeoutMs)).allTopicNames().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot describe topics " + names + ": " + Errors.oneLine(e.getCause()), e.getCause());
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
    }

    public static void ensure(Admin admin, Definitions defs, SpliceStreamsConfig config) throws Exception {
        Topics topics = new Topics(config.topicPrefix());
        Map<String, Set<String>> byRole = SpliceTopology.topicsByRole(defs, topics);
        int timeoutMs = config.startupTimeoutMs();
        Set<String> existing;
        try {
            existing = admin.listTopics(new ListTopicsOptions().timeoutMs(timeoutMs)).names().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list the topics of Kafka at " + String.join(",", config.getList("bootstrap.servers"))
                    + ": " + Errors.oneLine(e.getCause()), e.getCause());
        }
        if (config.getBoolean(SpliceStreamsConfig.CREATE_TOPICS)) {
            List<NewTopic> missing = new ArrayList<>();
            byRole.forEach((cleanup, names) -> {
                for (String t : names) {
                    if (!existing.contains(t)) {
                        missing.add(new NewTopic(t, config.partitions(), config.replicationFactor())
                                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, cleanup)));
                    }
                }
            });
            for (NewTopic t : missing) {
                try {
                    admin.createTopics(List.of(t), new CreateTopicsOptions().timeoutMs(timeoutMs)).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + t.name() + ": " + Errors.oneLine(e.getCause())
                                + " (create it yourself, or set " + SpliceStreamsConfig.CREATE_TOPICS + "=false and create every "
                                + "topic beforehand)", e.getCause());
                    }
                }
            }
        }
        Set<String> all = new HashSet<>();
        byRole.values().forEach(all::addAll);
        if (!config.getBoolean(SpliceStreamsConfig.CREATE_TOPICS)) {
            List<String> missing = all.stream().filter(t -> !existing.contains(t)).sorted().toList();
            if (!missing.isEmpty()) {
                throw new IllegalStateException("missing topic" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing)
                        + ": create " + (missing.size() == 1 ? "it" : "them") + " or set " + SpliceStreamsConfig.CREATE_TOPICS + "=true");
            }
        }
        Map<String, TopicDescription> described = describe(admin, all, timeoutMs);
        List<String> problems = new ArrayList<>();
        for (JoinDefinition j : defs.joins()) {
            List<String> inputs = new ArrayList<>(SpliceTopology.coPartitioned(j, topics));
            if (config.logKeyedByRowKey()) {
                inputs.add(topics.fetchLog());
                inputs.add(topics.fetchLogReplay());
            }
            for (String t : inputs) {
                int n = described.get(t).partitions().size();
                if (n != config.partitions()) {
                    problems.add("topic " + t + " (input of " + j.id() + ") has " + n + " partitions but "
                            + SpliceStreamsConfig.TOPIC_PARTITIONS + " is " + config.partitions()
                            + "; every input of a join must be co-partitioned by row key");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("\n", problems));
        }
    }
}
