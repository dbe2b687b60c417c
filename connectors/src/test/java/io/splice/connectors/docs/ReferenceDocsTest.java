package io.splice.connectors.docs;

import io.splice.connectors.common.SinkMetrics;
import io.splice.connectors.featurestore.FeatureStoreSinkConnector;
import io.splice.connectors.featurestore.FeatureStoreSinkTask;
import io.splice.connectors.s3.S3OfflineSinkConnector;
import io.splice.connectors.s3.S3OfflineSinkTask;
import io.splice.testing.ReferenceDocs;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.Map;
import java.util.function.Consumer;

/** docs/reference pages of both sinks' settings (their ConfigDefs) and metrics (their tasks' registerMetrics); fail when stale. */
class ReferenceDocsTest {
    @Test
    void connectorConfig() {
        ReferenceDocs.assertCurrent("connectors-config.md", """
                # Connector settings (generated)

                Generated from the connectors' `ConfigDef`s by `ReferenceDocsTest` in connectors; do not edit. Connect's
                own keys (`connector.class`, `tasks.max`, `topics`, `errors.*`, converters) come on top.

                ## S3 offline sink: `io.splice.connectors.s3.S3OfflineSinkConnector`

                """ + ReferenceDocs.configTable(new S3OfflineSinkConnector().config()) + """

                ## Feature Store online sink: `io.splice.connectors.featurestore.FeatureStoreSinkConnector`

                """ + ReferenceDocs.configTable(new FeatureStoreSinkConnector().config()));
    }

    @Test
    void connectorMetrics() {
        ReferenceDocs.assertCurrent("connectors-metrics.md", """
                # Connector metrics (generated)

                The sinks' own metrics, generated from their tasks' `registerMetrics` by `ReferenceDocsTest` in connectors;
                do not edit. Each task registers them with Connect's plugin metrics (KIP-877: workers of Kafka 4.1 and
                later; an older worker runs the sinks without them), tagged with `connector` and `task`. Over JMX each is an
                attribute of `kafka.connect:type=plugins,connector=<name>,task=<n>`; the Prometheus name is what a JMX
                exporter rule `kafka.connect<type=plugins, connector=(…), task=(…)><>(metric)` →
                `kafka_connect_plugins_$3` gives, as the rules and the dashboard of `deploy/` expect. Connect's own
                sink-task and task-error metrics (records read and sent, put time, dead-letter produce requests,
                Connect's retries of a batch) come on top.

                ## S3 offline sink: `io.splice.connectors.s3.S3OfflineSinkTask`

                """ + metricsTable(m -> new S3OfflineSinkTask().registerMetrics(m)) + """

                ## Feature Store online sink: `io.splice.connectors.featurestore.FeatureStoreSinkTask`

                """ + metricsTable(m -> new FeatureStoreSinkTask().registerMetrics(m)));
    }

    /** The metrics {@code register} adds, as a worker would hold them, one row each. */
    private static String metricsTable(Consumer<SinkMetrics> register) {
        try (Metrics metrics = new Metrics()) {
            register.accept(new SinkMetrics(new PluginMetricsImpl(metrics, Map.of("connector", "C", "task", "0"))));
            StringBuilder b = new StringBuilder("| metric | Prometheus | tags | meaning |\n| --- | --- | --- | --- |\n");
            metrics.metrics().keySet().stream().filter(n -> n.group().equals(SinkMetrics.GROUP))
                    .sorted(Comparator.comparing(MetricName::name))
                    .forEach(n -> b.append("| `").append(n.name()).append("` | `kafka_connect_plugins_")
                            .append(n.name().replace('-', '_')).append("` | ")
                            .append(String.join(", ", n.tags().keySet().stream().sorted().map(t -> "`" + t + "`").toList()))
                            .append(" | ").append(n.description()).append(" |\n"));
            return b.toString();
        }
    }
}
