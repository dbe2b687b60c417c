package io.splice.streams.docs;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.splice.core.merge.Consistency;
import io.splice.core.merge.SourceKind;
import io.splice.core.merge.SourceLabel;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.cli.SpliceCli;
import io.splice.streams.internal.SpliceMetrics;
import io.splice.testing.ReferenceDocs;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** docs/reference pages of the stitching app, generated from its ConfigDef, meters and picocli commands; fails when stale. */
class ReferenceDocsTest {
    @Test
    void appConfig() {
        ReferenceDocs.assertCurrent("app-config.md", """
                # `splice run` configuration (generated)

                Generated from `SpliceStreamsConfig` by `ReferenceDocsTest` in streams-app; do not edit. Any Kafka Streams,
                consumer, producer or admin key is passed through unchanged as well (`security.protocol`, `sasl.*`,
                `ssl.*`, `num.standby.replicas`, …).

                """ + ReferenceDocs.configTable(SpliceStreamsConfig.configDef()) + """

                ## Kafka settings Splice defaults differently

                A value in the config file wins; the measurements behind them are in
                [Performance](../performance.md#latency).

                """ + streamsDefaults());
    }

    private static String streamsDefaults() {
        StringBuilder b = new StringBuilder("| key | Splice's default | Kafka's default | why |\n| --- | --- | --- | --- |\n");
        for (SpliceStreamsConfig.StreamsDefault d : SpliceStreamsConfig.STREAMS_DEFAULTS) {
            b.append("| `").append(d.key()).append("` | `").append(d.value()).append("` | ").append(d.kafkaDefault())
                    .append(" | ").append(d.why()).append(" |\n");
        }
        return b.toString();
    }

    /**
     * Every meter {@link SpliceMetrics} defines, each method called once: the names as Prometheus exposes them, their
     * type, tags and meaning. A new public method of SpliceMetrics must be called here (checked), so the page cannot
     * miss a metric.
     */
    @Test
    void metrics() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SpliceMetrics m = new SpliceMetrics(registry);
        List<String> called = new ArrayList<>();
        m.recordIn("J", SourceKind.LOG);
        called.add("recordIn");
        m.unknownJoin("J", "V");
        called.add("unknownJoin");
        m.dlq("R", "T");
        called.add("dlq");
        m.stitched("J", 2, Map.of("f", SourceLabel.LOG));
        called.add("stitched");
        m.tombstone("J");
        called.add("tombstone");
        m.evicted("J", 1);
        called.add("evicted");
        m.mergeTime("J", 1);
        called.add("mergeTime");
        m.evictionTime("J", 1);
        called.add("evictionTime");
        m.misplaced("T");
        called.add("misplaced");
        m.streamThreadFailed();
        called.add("streamThreadFailed");
        m.storeSize("J", 0, x -> 0, x -> 0);
        called.add("storeSize");
        m.restoreRemaining(0, x -> 0);
        called.add("restoreRemaining");
        m.unchanged("J");
        called.add("unchanged");
        m.consistency("J", List.of(Consistency.comparison("P", "F", 1.0, 2.0, 0)));
        called.add("consistency");
        List<String> defined = Arrays.stream(SpliceMetrics.class.getDeclaredMethods())
                .filter(x -> Modifier.isPublic(x.getModifiers()) && !Modifier.isStatic(x.getModifiers()) && x.getReturnType() == void.class)
                .map(Method::getName).sorted().toList();
        assertEquals(defined, called.stream().sorted().toList(), "every metric method is on the page");

        StringBuilder b = new StringBuilder("""
                # Metrics (generated)

                Splice's own meters on `/metrics` (Prometheus text format), generated from `SpliceMetrics` by
                `ReferenceDocsTest` in streams-app; do not edit. Kafka Streams' own metrics (`kafka_stream_*`: lag, commit
                latency, state stores, restoration) and JVM memory are exposed beside them.

                | metric | type | tags | meaning |
                | --- | --- | --- | --- |
                """);
        registry.getMeters().stream().sorted(Comparator.comparing((Meter x) -> x.getId().getName()))
                .map(x -> {
                    boolean counter = x.getId().getType() == Meter.Type.COUNTER;
                    boolean timer = x.getId().getType() == Meter.Type.TIMER;
                    String name = x.getId().getName().replace('.', '_');
                    // Prometheus' naming: the unit once, as a suffix (a timer's is seconds)
                    String baseUnit = timer ? "seconds" : x.getId().getBaseUnit();
                    String unit = baseUnit == null || name.endsWith("_" + baseUnit) ? "" : "_" + baseUnit;
                    return "| `" + name + unit + (counter ? "_total" : "") + "` | "
                            + (counter ? "counter" : timer ? "summary (`_count`, `_sum`, `_max`)" : "gauge") + " | "
                            + x.getId().getTags().stream().map(t -> "`" + t.getKey() + "`").collect(Collectors.joining(", "))
                            + " | " + x.getId().getDescription() + " |\n";
                })
                .distinct().forEach(b::append);
        ReferenceDocs.assertCurrent("metrics.md", b.toString());
    }

    @Test
    void commands() {
        ReferenceDocs.assertCurrent("commands-streams.md", """
                # Streams-side commands (generated)

                `--help` of `splice definitions`, `simulate`, `run` and `replay`, generated by `ReferenceDocsTest` in
                streams-app; do not edit.

                """ + ReferenceDocs.commandHelp(SpliceCli.commandLine()));
    }
}
