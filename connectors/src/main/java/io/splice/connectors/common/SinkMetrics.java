package io.splice.connectors.common;

import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.sink.SinkTaskContext;

import java.util.LinkedHashMap;
import java.util.function.DoubleSupplier;

/**
 * The sinks' own metrics, registered with Connect's plugin metrics (KIP-877, Kafka 4.1): the worker tags them with
 * the connector and the task and publishes them through its metric reporters, over JMX as
 * {@code kafka.connect:type=plugins,connector=<name>,task=<n>} (attribute: the metric's name). A worker older than
 * 4.1 has no plugin metrics: the task then runs without them. What each metric means:
 * docs/reference/connectors-metrics.md (generated).
 */
public final class SinkMetrics {
    /** Connect's group of plugin metrics (the JMX {@code type}). */
    public static final String GROUP = "plugins";

    private final PluginMetrics plugin;

    public SinkMetrics(PluginMetrics plugin) {
        this.plugin = plugin;
    }

    /** The plugin metrics of the task's worker; none on a worker older than Kafka 4.1. */
    public static SinkMetrics of(SinkTaskContext context) {
        PluginMetrics p;
        try {
            p = context == null ? null : context.pluginMetrics();
        } catch (NoSuchMethodError | AbstractMethodError e) {
            p = null; // worker older than Kafka 4.1
        }
        return new SinkMetrics(p);
    }

    /**
     * A metric whose value the reporter reads when it reports ({@code value} runs on the reporter's thread). Counters
     * are registered this way too, named {@code *-total}: they only grow while the task runs.
     */
    public void add(String name, String description, DoubleSupplier value) {
        if (plugin != null) {
            plugin.addMetric(plugin.metricName(name, description, new LinkedHashMap<>()),
                    (Measurable) (config, now) -> value.getAsDouble());
        }
    }
}
