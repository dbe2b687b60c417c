package io.splice.backfill.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A Spark standalone cluster on this machine: one master and {@code n} workers, each a process of its own started from
 * the distribution {@code backfill-job/target/spark-dist} (Spark's {@code Master} and {@code Worker} main classes),
 * all on 127.0.0.1 with free ports. Each worker runs its executors (and, in cluster deploy mode, drivers) as JVMs of
 * their own. Every process exits when the JVM that started the cluster ends (the {@link Watchdog}), and
 * {@link #close()} stops them. {@code main} is {@code ./splice spark-cluster [--workers 2]}.
 */
public final class SparkCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path sparkHome;
    private final Path dir;
    private final int port;
    private final int uiPort;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();

    private SparkCluster(Path sparkHome, Path dir, int port, int uiPort, Process master) {
        this.sparkHome = sparkHome;
        this.dir = dir;
        this.port = port;
        this.uiPort = uiPort;
        this.master = master;
    }

    /** Settings of a cluster: workers, cores and memory per worker, JVM options of the master and worker daemons. */
    public record Settings(int workers, int coresPerWorker, String memoryPerWorker, String daemonJavaOpts) {
        public static Settings defaults() {
            return new Settings(2, 1, "1g", "-Xmx256m");
        }

        public Settings withWorkers(int n) {
            return new Settings(n, coresPerWorker, memoryPerWorker, daemonJavaOpts);
        }
    }

    /** Starts the master and the workers and returns once the master lists every worker ALIVE (or throws). */
    public static SparkCluster start(Path sparkHome, Path dir, Settings settings, Duration timeout) throws IOException {
        if (!Files.isExecutable(sparkHome.resolve("bin/spark-class"))) {
            throw new IllegalStateException(sparkHome + " is no Spark distribution (bin/spark-class missing): "
                    + "run `mvn -B -ntp -pl backfill-job package -DskipTests`");
        }
        Files.createDirectories(dir.resolve("logs"));
        int port = freePort();
        int uiPort = freePort();
        Process master = launch(sparkHome, dir, "master", settings.daemonJavaOpts(), "bin/spark-master",
                "--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(uiPort));
        SparkCluster c = new SparkCluster(sparkHome, dir, port, uiPort, master);
        try {
            for (int i = 1; i <= settings.workers(); i++) {
                Path work = dir.resolve("work-" + i);
                Files.createDirectories(work);
                c.workers.add(launch(sparkHome, dir, "worker-" + i, settings.daemonJavaOpts(), "bin/spark-worker",
                        "--host", "127.0.0.1", "--port", String.valueOf(freePort()),
                        "--webui-port", String.valueOf(freePort()), "--cores", String.valueOf(settings.coresPerWorker()),
                        "--memory", settings.memoryPerWorker(), "--work-dir", work.toString(), c.masterUrl()));
            }
            c.awaitWorkers(settings.workers(), timeout);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static Process launch(Path sparkHome, Path dir, String name, String javaOpts, String script, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", sparkHome.resolve(script).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("logs").resolve(name + ".log").toFile());
        pb.environment().put("SPLICE_WATCH_PID", String.valueOf(ProcessHandle.current().pid()));
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_JAVA_OPTS", javaOpts);
        pb.environment().remove("SPARK_HOME");
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        return pb.start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void awaitWorkers(int n, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!master.isAlive()) {
                throw new IOException("the Spark master exited: see " + dir.resolve("logs/master.log"));
            }
            for (int i = 0; i < workers.size(); i++) {
                if (!workers.get(i).isAlive()) {
                    throw new IOException("Spark worker " + (i + 1) + " exited: see " + dir.resolve("logs/worker-" + (i + 1) + ".log"));
                }
            }
            try {
                JsonNode state = state();
                last = state.path("status").asText() + ", " + state.path("aliveworkers").asInt() + " workers alive";
                if ("ALIVE".equals(state.path("status").asText()) && state.path("aliveworkers").asInt() >= n) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            sleep(300);
        }
        throw new IOException("the Spark cluster did not come up within " + timeout + " (" + last + "): see " + dir.resolve("logs"));
    }

    /** The master's state as its web UI serves it ({@code /json/}: workers, apps, drivers). */
    public JsonNode state() throws IOException {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(webUiUrl() + "/json/")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    public String masterUrl() {
        return "spark://127.0.0.1:" + port;
    }

    public String webUiUrl() {
        return "http://127.0.0.1:" + uiPort;
    }

    public Path sparkHome() {
        return sparkHome;
    }

    public Path dir() {
        return dir;
    }

    /** Executor JVMs running now (children of the workers), oldest first. */
    public List<ProcessHandle> executors() {
        return workerChildren("org.apache.spark.executor.CoarseGrainedExecutorBackend");
    }

    /** Driver JVMs running now (cluster deploy mode: children of the workers). */
    public List<ProcessHandle> drivers() {
        return workerChildren("org.apache.spark.deploy.worker.DriverWrapper");
    }

    private List<ProcessHandle> workerChildren(String mainClass) {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process w : workers) {
            w.toHandle().descendants()
                    .filter(p -> p.info().arguments().map(a -> List.of(a).contains(mainClass)).orElse(false)
                            || p.info().commandLine().map(s -> s.contains(mainClass)).orElse(false))
                    .forEach(out::add);
        }
        out.sort((a, b) -> a.info().startInstant().orElse(java.time.Instant.EPOCH)
                .compareTo(b.info().startInstant().orElse(java.time.Instant.EPOCH)));
        return out;
    }

    /** Stops the workers (which stop their executors and drivers), then the master. */
    @Override
    public void close() {
        for (Process w : workers) {
            w.destroy();
        }
        for (Process w : workers) {
            awaitOrKill(w);
        }
        master.destroy();
        awaitOrKill(master);
    }

    private static void awaitOrKill(Process p) {
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code ./splice spark-cluster [--workers 2] [--cores 1] [--memory 1g] [--dir DIR]}: runs until Ctrl-C. */
    public static void main(String[] args) throws Exception {
        Settings s = Settings.defaults();
        Path home = Path.of(System.getProperty("splice.spark.home", "backfill-job/target/spark-dist")).toAbsolutePath();
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--workers" -> s = s.withWorkers(Integer.parseInt(args[++i]));
                case "--cores" -> s = new Settings(s.workers(), Integer.parseInt(args[++i]), s.memoryPerWorker(), s.daemonJavaOpts());
                case "--memory" -> s = new Settings(s.workers(), s.coresPerWorker(), args[++i], s.daemonJavaOpts());
                case "--dir" -> dir = Path.of(args[++i]).toAbsolutePath();
                case "-h", "--help" -> {
                    System.out.println("Usage: splice spark-cluster [--workers 2] [--cores 1] [--memory 1g] [--dir DIR]\n"
                            + "Starts a Spark standalone master and workers (separate processes, 127.0.0.1) from "
                            + "backfill-job/target/spark-dist and runs until Ctrl-C.");
                    return;
                }
                default -> {
                    System.err.println("error: unknown option " + args[i] + " (see --help)");
                    System.exit(2);
                }
            }
        }
        if (dir == null) {
            dir = Files.createTempDirectory("splice-spark-cluster-");
        }
        SparkCluster c;
        try {
            c = start(home, dir, s, Duration.ofMinutes(2));
        } catch (IOException | IllegalStateException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping the Spark cluster ...");
            c.close();
            stopped.countDown();
        }, "spark-cluster-stop"));
        System.out.printf("Spark standalone cluster: 1 master, %d workers (%d core(s), %s each)%n", s.workers(),
                s.coresPerWorker(), s.memoryPerWorker());
        System.out.println("master:     " + c.masterUrl());
        System.out.println("web UI:     " + c.webUiUrl());
        System.out.println("SPARK_HOME: " + home + " (spark-submit: " + home.resolve("bin/spark-submit") + ")");
        System.out.println("logs:       " + dir.resolve("logs") + " (executors and drivers: " + dir + "/work-*)");
        System.out.println("Ctrl-C stops everything.");
        stopped.await();
    }
}
