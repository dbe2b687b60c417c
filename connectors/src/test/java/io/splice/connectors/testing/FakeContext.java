package io.splice.connectors.testing;

import io.splice.connectors.common.SinkMetrics;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** A SinkTaskContext for driving a task without a worker: records rewinds, pauses and dead-lettered records. */
public final class FakeContext implements SinkTaskContext {
    public record DeadLetter(SinkRecord record, Throwable error) {
    }

    public final Map<TopicPartition, Long> rewinds = Collections.synchronizedMap(new HashMap<>());
    public final Set<TopicPartition> paused = Collections.synchronizedSet(new HashSet<>());
    public final List<DeadLetter> deadLetters = Collections.synchronizedList(new ArrayList<>());
    private final Set<TopicPartition> assignment = new HashSet<>();
    private final boolean withDlq;

    public FakeContext(boolean withDlq, TopicPartition... assigned) {
        this.withDlq = withDlq;
        assignment.addAll(List.of(assigned));
    }

    @Override
    public Map<String, String> configs() {
        return Map.of();
    }

    @Override
    public void offset(Map<TopicPartition, Long> offsets) {
        rewinds.putAll(offsets);
    }

    @Override
    public void offset(TopicPartition tp, long offset) {
        rewinds.put(tp, offset);
    }

    @Override
    public void timeout(long timeoutMs) {
    }

    @Override
    public Set<TopicPartition> assignment() {
        return assignment;
    }

    @Override
    public void pause(TopicPartition... partitions) {
        paused.addAll(List.of(partitions));
    }

    @Override
    public void resume(TopicPartition... partitions) {
        List.of(partitions).forEach(paused::remove);
    }

    @Override
    public void requestCommit() {
    }

    /** The plugin metrics the task registers, as a worker would hold them (tagged connector=test, task=0). */
    public final Metrics metrics = new Metrics();
    private final PluginMetricsImpl pluginMetrics = new PluginMetricsImpl(metrics, Map.of("connector", "test", "task", "0"));

    @Override
    public PluginMetrics pluginMetrics() {
        return pluginMetrics;
    }

    /** The current value of the task's plugin metric {@code name}; fails when the task did not register it. */
    public double metric(String name) {
        return metrics.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals(SinkMetrics.GROUP) && e.getKey().name().equals(name))
                .map(e -> (Double) e.getValue().metricValue()).findFirst()
                .orElseThrow(() -> new AssertionError("no plugin metric " + name + " in " + metrics.metrics().keySet()));
    }

    @Override
    public ErrantRecordReporter errantRecordReporter() {
        if (!withDlq) {
            return null;
        }
        return (record, error) -> {
            deadLetters.add(new DeadLetter(record, error));
            return CompletableFuture.completedFuture(null);
        };
    }
}
