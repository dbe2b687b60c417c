package io.splice.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.IsolationLevel;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Completion by offsets, not by sleeping: a Kafka Streams app has processed everything when its group's committed
 * offsets reached the end offsets of its source topics and then of its repartition topics. With exactly-once the
 * committed offsets and the output are one transaction, so at that moment the output is complete and visible to
 * {@code read_committed} consumers.
 */
final class OffsetCompletion {
    private static final long TIMEOUT_S = 30;
    private static final long DEBUG_EVERY_S = Long.getLong("bench.progress.every.s", 10);

    private OffsetCompletion() {
    }

    static List<TopicPartition> partitions(Admin admin, Collection<String> topics) throws Exception {
        Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
        return d.values().stream()
                .flatMap(td -> td.partitions().stream().map(p -> new TopicPartition(td.name(), p.partition())))
                .collect(Collectors.toList());
    }

    static Map<TopicPartition, Long> endOffsets(Admin admin, Collection<TopicPartition> parts) throws Exception {
        Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
        parts.forEach(tp -> spec.put(tp, OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> r = admin.listOffsets(spec,
                new org.apache.kafka.clients.admin.ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        Map<TopicPartition, Long> out = new HashMap<>();
        r.forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }

    static long sum(Map<TopicPartition, Long> offsets) {
        return offsets.values().stream().mapToLong(Long::longValue).sum();
    }

    static Map<TopicPartition, Long> committed(Admin admin, String group) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> c = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(TIMEOUT_S, TimeUnit.SECONDS);
        Map<TopicPartition, Long> out = new HashMap<>();
        c.forEach((tp, om) -> {
            if (om != null) {
                out.put(tp, om.offset());
            }
        });
        return out;
    }

    /** Partitions whose committed offset is behind the given end (an empty partition needs no commit). */
    static long behind(Map<TopicPartition, Long> ends, Map<TopicPartition, Long> committed) {
        long lag = 0;
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            long end = e.getValue();
            long c = committed.getOrDefault(e.getKey(), 0L);
            if (c < end) {
                lag += end - c;
            }
        }
        return lag;
    }

    /** Bytes on the broker's log directories of the topics matching {@code filter}. */
    static long topicBytes(Admin admin, java.util.function.Predicate<String> filter) throws Exception {
        int node = admin.describeCluster().nodes().get(TIMEOUT_S, TimeUnit.SECONDS).iterator().next().id();
        long bytes = 0;
        for (var dir : admin.describeLogDirs(List.of(node)).allDescriptions().get(TIMEOUT_S, TimeUnit.SECONDS).get(node).values()) {
            for (var e : dir.replicaInfos().entrySet()) {
                if (filter.test(e.getKey().topic())) {
                    bytes += e.getValue().size();
                }
            }
        }
        return bytes;
    }

    /** The repartition topics of an application ({@code <application.id>-…-repartition}). */
    static Set<String> repartitionTopics(Admin admin, String applicationId) throws Exception {
        return admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS).stream()
                .filter(n -> n.startsWith(applicationId + "-") && n.endsWith("-repartition"))
                .collect(Collectors.toSet());
    }

    /**
     * Waits until the group {@code applicationId} has committed the end of every source partition, then of every
     * repartition topic. The source topics must not grow meanwhile. Returns false on timeout.
     */
    static boolean awaitConsumed(Admin admin, String applicationId, Collection<String> sourceTopics, long deadlineNanos,
                                 long pollMillis, Runnable onPoll) throws Exception {
        Map<TopicPartition, Long> sourceEnds = endOffsets(admin, partitions(admin, sourceTopics));
        long lastLog = System.nanoTime();
        long behind;
        while ((behind = behind(sourceEnds, committed(admin, applicationId))) > 0) {
            if (System.nanoTime() > deadlineNanos) {
                return false;
            }
            if (System.nanoTime() - lastLog > TimeUnit.SECONDS.toNanos(DEBUG_EVERY_S)) {
                Log.info("%s: %,d source records not yet committed", applicationId, behind);
                lastLog = System.nanoTime();
            }
            onPoll.run();
            TimeUnit.MILLISECONDS.sleep(pollMillis);
        }
        Set<String> internal = repartitionTopics(admin, applicationId);
        if (internal.isEmpty()) {
            return true;
        }
        // every upstream transaction is committed now: the repartition topics are final
        Map<TopicPartition, Long> internalEnds = endOffsets(admin, partitions(admin, internal));
        Log.info("%s: sources committed; repartition topics end at %s", applicationId, internalEnds.values());
        while ((behind = behind(internalEnds, committed(admin, applicationId))) > 0) {
            if (System.nanoTime() > deadlineNanos) {
                return false;
            }
            if (System.nanoTime() - lastLog > TimeUnit.SECONDS.toNanos(DEBUG_EVERY_S)) {
                Map<TopicPartition, Long> c = committed(admin, applicationId);
                StringBuilder sb = new StringBuilder();
                internalEnds.forEach((tp, end) -> sb.append(tp.partition()).append(':').append(c.get(tp)).append('/').append(end).append(' '));
                Log.info("%s: %,d repartition records not yet committed: %s", applicationId, behind, sb);
                lastLog = System.nanoTime();
            }
            onPoll.run();
            TimeUnit.MILLISECONDS.sleep(pollMillis);
        }
        return true;
    }
}
