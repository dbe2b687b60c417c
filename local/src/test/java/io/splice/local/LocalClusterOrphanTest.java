package io.splice.local;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A cluster whose starting JVM is SIGKILLed (no shutdown hook runs) stops by itself. */
@Tag("cluster")
@DisplayName("LocalCluster nodes orphaned by a SIGKILLed parent")
class LocalClusterOrphanTest {

    /** Runs in the child JVM: starts a 3-node cluster, prints its node pids and directory, waits to be killed. */
    public static final class ClusterHost {
        public static void main(String[] args) throws InterruptedException {
            LocalCluster cluster = LocalCluster.start();
            StringBuilder pids = new StringBuilder();
            for (int id : cluster.nodeIds()) {
                pids.append(pids.length() == 0 ? "" : ",").append(cluster.process(id).orElseThrow().pid());
            }
            System.out.println("NODES " + pids + " " + cluster.directory());
            System.out.flush();
            new CountDownLatch(1).await();
        }
    }

    @Test
    @DisplayName("SIGKILL of the JVM that started the cluster: every node process exits within 15 s and removes its data")
    void nodesExitWhenParentDies() throws Exception {
        // given a cluster started by a child JVM
        Process host = new ProcessBuilder(ChildJvm.javaBinary(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ClusterHost.class.getName())
                .redirectErrorStream(true)
                .start();
        CompletableFuture<String> nodesLine = new CompletableFuture<>();
        List<String> output = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (output) {
                        output.add(line);
                    }
                    if (line.startsWith("NODES ")) {
                        nodesLine.complete(line);
                    }
                }
            } catch (Exception e) {
                // the host is gone
            }
            nodesLine.completeExceptionally(new IllegalStateException("the host JVM ended: " + output));
        }, "cluster-host-output");
        reader.setDaemon(true);
        reader.start();
        List<ProcessHandle> nodes;
        Path dir;
        try {
            String[] parts = nodesLine.get(150, TimeUnit.SECONDS).split(" ");
            nodes = Arrays.stream(parts[1].split(",")).map(p -> ProcessHandle.of(Long.parseLong(p)).orElseThrow()).toList();
            dir = Paths.get(parts[2]);
            assertEquals(3, nodes.size());
            for (ProcessHandle n : nodes) {
                assertTrue(n.isAlive());
                assertEquals(host.pid(), n.parent().orElseThrow().pid(), "a node is the host's child");
            }
        } catch (Exception | AssertionError e) {
            host.descendants().forEach(ProcessHandle::destroyForcibly);
            host.destroyForcibly();
            throw e;
        }

        // when the host JVM is killed without running any shutdown hook
        long t0 = System.nanoTime();
        host.destroyForcibly();
        assertTrue(host.waitFor(30, TimeUnit.SECONDS));

        // then its grandchildren go away by themselves, and so does their data
        try {
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                    .until(() -> nodes.stream().noneMatch(ProcessHandle::isAlive));
        } finally {
            nodes.forEach(ProcessHandle::destroyForcibly);
        }
        System.out.printf("LocalCluster: orphaned nodes exited %d ms after the host was killed%n", (System.nanoTime() - t0) / 1_000_000);
        await().atMost(Duration.ofSeconds(5)).until(() -> !Files.exists(dir));
    }
}
