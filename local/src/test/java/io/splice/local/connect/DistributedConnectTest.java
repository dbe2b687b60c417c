package io.splice.local.connect;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What needs no worker process: the class path a worker with the JMX exporter agent gets. */
class DistributedConnectTest {

    @Test
    void aWorkerWithTheMetricsAgentGetsNoPrometheusClientJarButEverythingElse() {
        String cp = String.join(File.pathSeparator, List.of("/m2/io/prometheus/prometheus-metrics-core-1.3.10.jar",
                "/m2/org/apache/kafka/connect-runtime-4.1.0.jar", "", "/work/local/target/classes",
                "/m2/io/prometheus/prometheus-metrics-exposition-textformats-1.3.10.jar"));
        assertEquals("/m2/org/apache/kafka/connect-runtime-4.1.0.jar" + File.pathSeparator + "/work/local/target/classes",
                DistributedConnect.withoutPrometheusClient(cp));
    }
}
