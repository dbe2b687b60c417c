package io.splice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs {@link AppMain} as a child JVM with this JVM's classpath; always destroyed by {@link #close()}. */
final class AppProcess implements AutoCloseable {
    private final Process process;
    private final CompletableFuture<Long> started = new CompletableFuture<>();
    private final CompletableFuture<Long> ready = new CompletableFuture<>();
    private final CompletableFuture<JsonNode> result = new CompletableFuture<>();
    private final Thread hook;

    private AppProcess(Process process) {
        this.process = process;
        this.hook = new Thread(this::destroy, "bench-app-destroy");
        Runtime.getRuntime().addShutdownHook(hook);
        Thread reader = new Thread(this::readStdout, "bench-app-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * @param heap     -Xmx of the child, e.g. 1g
     * @param jfrFile  when not null, a JFR recording (profile settings) is written there
     * @param appArgs  arguments of {@link AppMain}
     */
    static AppProcess start(String heap, Path jfrFile, List<String> appArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        cmd.add("-XX:+UseG1GC");
        cmd.add("-Dsplice.log.level=WARN");
        cmd.add("-Dlog4j2.configurationFile=log4j2-bench.xml");
        cmd.add("-Dsplice.local.kafka.log.level=ERROR");
        cmd.add("-Djava.net.preferIPv4Stack=true");
        if (jfrFile != null) {
            cmd.add("-XX:StartFlightRecording=settings=profile,filename=" + jfrFile + ",dumponexit=true");
        }
        String extra = System.getenv("BENCH_APP_JVM_OPTS");
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(AppMain.class.getName());
        cmd.addAll(appArgs);
        cmd.add("--parent-pid");
        cmd.add(Long.toString(ProcessHandle.current().pid()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new AppProcess(p);
    }

    private void readStdout() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith(AppMain.START)) {
                    started.complete(Long.parseLong(line.substring(AppMain.START.length()).trim()));
                } else if (line.startsWith(AppMain.READY)) {
                    ready.complete(Long.parseLong(line.substring(AppMain.READY.length()).trim()));
                } else if (line.startsWith(AppMain.RESULT)) {
                    result.complete(new ObjectMapper().readTree(line.substring(AppMain.RESULT.length())));
                } else {
                    System.err.println("[app] " + line);
                }
            }
        } catch (IOException e) {
            // the process ended
        }
        started.completeExceptionally(new IllegalStateException("the app exited before it started"));
        ready.completeExceptionally(new IllegalStateException("the app exited before it was RUNNING"));
        result.completeExceptionally(new IllegalStateException("the app exited without a result (exit code "
                + exitCode() + ")"));
    }

    private String exitCode() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? Integer.toString(process.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    /** Epoch ms at which the app process started the app (just before building and starting it). */
    long awaitStarted(long timeoutS) throws Exception {
        return started.get(timeoutS, TimeUnit.SECONDS);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Epoch ms at which the app reached RUNNING. */
    long awaitReady(long timeoutS) throws Exception {
        return ready.get(timeoutS, TimeUnit.SECONDS);
    }

    /** Asks the app to stop (it then prints its result). */
    void stop() throws IOException {
        OutputStream in = process.getOutputStream();
        in.write("STOP\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        in.close();
    }

    JsonNode awaitResult(long timeoutS) throws Exception {
        return result.get(timeoutS, TimeUnit.SECONDS);
    }

    private void destroy() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        destroy();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down
        }
    }
}
