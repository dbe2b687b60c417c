package io.splice.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The real Prometheus server of Debian's {@code prometheus} package, on 127.0.0.1 at a free port, with its TSDB in a
 * directory of its own. It is started through a small shell watchdog that stops it when the starting JVM ends, however
 * that JVM ends; {@link #close()} stops it (and the watchdog) at once.
 */
final class PrometheusServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Process process;
    private final int port;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PrometheusServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts {@code prometheus} with {@code config} (a prometheus.yml), data and log under {@code dir}. */
    static PrometheusServer start(Path config, Path dir) throws Exception {
        String binary = Tools.require("prometheus");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path data = Files.createDirectories(dir.resolve("data"));
        Path log = dir.resolve("prometheus.log");
        long jvm = ProcessHandle.current().pid();
        // The watchdog: prometheus in the background; when this JVM (or prometheus) is gone, stop prometheus. A TERM to
        // the shell stops it too (trap), so close() needs to signal the shell only.
        String script = "\"$0\" \"$@\" & p=$!; trap 'kill $p 2>/dev/null; wait $p; exit 0' TERM INT; "
                + "while kill -0 " + jvm + " 2>/dev/null && kill -0 $p 2>/dev/null; do sleep 1; done; "
                + "kill $p 2>/dev/null; wait $p";
        Process p = new ProcessBuilder(List.of("/bin/sh", "-c", script, binary,
                "--config.file=" + config.toAbsolutePath(),
                "--storage.tsdb.path=" + data.toAbsolutePath(),
                "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-lifecycle",
                "--log.level=warn"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrometheusServer server = new PrometheusServer(p, port, log);
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("prometheus exited with " + p.exitValue() + ": " + Files.readString(log));
            }
            try {
                if (server.get("/-/ready").statusCode() == 200) {
                    return server;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (Instant.now().isAfter(deadline)) {
                server.close();
                throw new IllegalStateException("prometheus not ready within 60 s: " + Files.readString(log));
            }
            Thread.sleep(200);
        }
    }

    int port() {
        return port;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode getJson(String path) throws IOException, InterruptedException {
        return JSON.readTree(get(path).body());
    }

    /**
     * {@code GET /api/v1/query}: the whole answer ({@code status} "success" or "error", {@code errorType}, {@code error},
     * {@code data.resultType}, {@code data.result}).
     */
    JsonNode query(String promql) throws IOException, InterruptedException {
        return getJson("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.forEach(h -> {
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        });
    }
}
