package io.splice.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The Apicurio schema registry (in-memory storage, Confluent-compatible API) as a child process:
 * {@code java -jar apicurio-registry.jar} with this JVM's java binary, bound to 127.0.0.1 on a free port.
 *
 * <p>The jar is the runner jar of the module {@code splice-registry-server}; {@link #locateJar()} says where
 * it is looked for. The process is destroyed by {@link #close()}, by a JVM shutdown hook, and, should this JVM
 * die without running its hooks, by the registry itself (it watches this JVM's pid).
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    /** System property naming the registry runner jar. */
    public static final String JAR_PROPERTY = "splice.registry.jar";
    /** Environment variable naming the registry runner jar. */
    public static final String JAR_ENV = "SPLICE_REGISTRY_JAR";
    /** Where the {@code splice-local} build copies the runner jar, relative to the repository root. */
    public static final String COPIED_JAR = "local/target/registry/apicurio-registry.jar";

    static final String CCOMPAT_PATH = "/apis/ccompat/v6";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path jar;
    private final List<String> jvmOptions;
    private Process process;
    private Thread shutdownHook;
    private Path logFile;
    private int port;

    /** A registry run from the jar found by {@link #locateJar()}. */
    public EmbeddedSchemaRegistry() {
        this(locateJar());
    }

    /** A registry run from the given runner jar. */
    public EmbeddedSchemaRegistry(Path jar) {
        this(jar, List.of());
    }

    /** A registry run from the given runner jar with extra JVM options (e.g. {@code -Dquarkus.log.level=INFO}). */
    public EmbeddedSchemaRegistry(Path jar, List<String> extraJvmOptions) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("no registry jar at " + jar);
        }
        this.jar = jar;
        this.jvmOptions = List.copyOf(extraJvmOptions);
    }

    /** Starts the process and returns once {@code GET /apis/ccompat/v6/subjects} answers 200. */
    public synchronized EmbeddedSchemaRegistry start() {
        if (process != null) {
            return this;
        }
        port = Ports.freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(ChildJvm.javaBinary());
        cmd.add("-Xmx384m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Dquarkus.http.host=" + Ports.LOOPBACK);
        cmd.add("-Dquarkus.http.port=" + port);
        cmd.add("-Dsplice.parent.pid=" + ProcessHandle.current().pid());
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(jar.toString());
        try {
            logFile = Files.createTempFile("splice-registry-", ".log");
            process = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(logFile.toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the schema registry: " + cmd, e);
        }
        Process started = process;
        shutdownHook = new Thread(() -> destroy(started), "splice-registry-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        awaitReady();
        return this;
    }

    /** {@code http://127.0.0.1:<port>/apis/ccompat/v6}: the {@code schema.registry.url} for Confluent-style clients. */
    public String url() {
        return baseUrl() + CCOMPAT_PATH;
    }

    /** {@code http://127.0.0.1:<port>}: Apicurio's own APIs are under {@code /apis/registry/v2}. */
    public String baseUrl() {
        if (port == 0) {
            throw new IllegalStateException("registry not started");
        }
        return "http://" + Ports.LOOPBACK + ":" + port;
    }

    /** Whether the process is alive. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The registry's output (WARN and above). */
    public Optional<Path> logFile() {
        return Optional.ofNullable(logFile);
    }

    /** Destroys the process (its in-memory schemas are lost). Idempotent. */
    @Override
    public synchronized void close() {
        Process p = process;
        process = null;
        if (p != null) {
            destroy(p);
        }
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // JVM already shutting down
            }
            shutdownHook = null;
        }
        if (logFile != null) {
            try {
                Files.deleteIfExists(logFile);
            } catch (IOException e) {
                // best effort
            }
        }
    }

    @Override
    public String toString() {
        return "EmbeddedSchemaRegistry[" + (port == 0 ? "not started" : url()) + ", jar=" + jar + "]";
    }

    /**
     * The registry runner jar, looked for in this order: system property {@value #JAR_PROPERTY}; environment
     * variable {@value #JAR_ENV}; from the working directory upward, {@value #COPIED_JAR} (also
     * {@code target/registry/apicurio-registry.jar} and {@code registry-server/target/splice-registry-server-<version>-runner.jar});
     * then the local Maven repository ({@code io/splice/splice-registry-server/<version>/…-runner.jar}).
     *
     * @throws IllegalStateException if none exists (build it: {@code mvn -pl local -am install})
     */
    public static Path locateJar() {
        Set<Path> tried = new LinkedHashSet<>();
        String explicit = System.getProperty(JAR_PROPERTY);
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getenv(JAR_ENV);
        }
        if (explicit != null && !explicit.isBlank()) {
            Path p = Paths.get(explicit).toAbsolutePath().normalize();
            if (Files.isRegularFile(p)) {
                return p;
            }
            throw new IllegalStateException("the registry jar named by " + JAR_PROPERTY + "/" + JAR_ENV + " does not exist: " + p);
        }
        String version = spliceVersion();
        String runnerName = "splice-registry-server-" + version + "-runner.jar";
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            for (Path candidate : List.of(
                    dir.resolve(COPIED_JAR),
                    dir.resolve("target/registry/apicurio-registry.jar"),
                    dir.resolve("registry-server/target").resolve(runnerName))) {
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
                tried.add(candidate);
            }
        }
        String repo = System.getProperty("maven.repo.local");
        Path repoDir = repo != null && !repo.isBlank()
                ? Paths.get(repo)
                : Paths.get(System.getProperty("user.home"), ".m2", "repository");
        Path installed = repoDir.resolve("io/splice/splice-registry-server").resolve(version).resolve(runnerName);
        if (Files.isRegularFile(installed)) {
            return installed;
        }
        tried.add(installed);
        throw new IllegalStateException("cannot find the schema registry jar; build it with `mvn -pl local -am install` "
                + "or set -D" + JAR_PROPERTY + " / " + JAR_ENV + ". Looked at: " + tried);
    }

    static String spliceVersion() {
        try (InputStream in = EmbeddedSchemaRegistry.class.getResourceAsStream("/splice-local.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("splice.version", "0.1.0-SNAPSHOT");
        } catch (IOException e) {
            return "0.1.0-SNAPSHOT";
        }
    }

    private void awaitReady() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(url() + "/subjects")).timeout(Duration.ofSeconds(5)).GET().build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    String log = tailOfLog();
                    close();
                    throw new IllegalStateException("the schema registry exited during start-up: " + log);
                }
                try {
                    if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                process.waitFor(100, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while waiting for the schema registry", e);
        }
        String log = tailOfLog();
        close();
        throw new IllegalStateException("the schema registry did not answer within " + START_TIMEOUT.toSeconds() + " s: " + log);
    }

    private String tailOfLog() {
        try {
            String s = Files.readString(logFile, StandardCharsets.UTF_8);
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (IOException | RuntimeException e) {
            return "(no log)";
        }
    }

    private static void destroy(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

}
