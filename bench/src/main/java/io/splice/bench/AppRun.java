package io.splice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.admin.Admin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One run of an app to completion in a child JVM, and what it measured. */
record AppRun(String app, int threads, long inputRecords, double seconds, double secondsToRunning, double cpuSeconds,
              long peakHeapBytes, long maxHeapBytes, long peakRssBytes, double gcSeconds, long stateBytes,
              double stitched, double unchanged, boolean completed, double tasksCreated, int activeTasks, String loadAverage) {

    double recordsPerSecond() {
        return inputRecords / seconds;
    }

    /** Input records per second counted from the moment the app was RUNNING (start-up, group join excluded). */
    double recordsPerSecondAfterRunning() {
        return inputRecords / Math.max(1e-3, seconds - secondsToRunning);
    }

    /** CPU microseconds of the app process per input record (less sensitive to a shared machine than wall time). */
    double cpuMicrosPerRecord() {
        return cpuSeconds * 1e6 / inputRecords;
    }

    static final class Options {
        String app = "splice";
        int threads = 1;
        int partitions = 6;
        int commitIntervalMs = 100;
        String appId;
        String heap = "1g";
        Path jfr;
        long timeoutS = 600;
        boolean keyedByRowKey;
        String streamsConfig = "";
    }

    static List<String> args(Stack stack, BenchData data, Options o) throws Exception {
        List<String> a = new ArrayList<>(List.of(
                "--app", o.app, "--streams-config", o.streamsConfig,
                "--bootstrap", stack.bootstrapServers(), "--registry", stack.registryUrl(),
                "--prefix", data.topics.prefix(), "--cards", Integer.toString(data.cards),
                "--partitions", Integer.toString(o.partitions), "--threads", Integer.toString(o.threads),
                "--commit-interval-ms", Integer.toString(o.commitIntervalMs),
                "--features", Integer.toString(data.features), "--parts", Integer.toString(data.parts),
                "--app-id", o.appId, "--timeout-s", Long.toString(o.timeoutS),
                "--state-dir", Files.createTempDirectory("splice-bench-state-").toString()));
        if (o.keyedByRowKey) {
            a.add("--keyed-by-row-key");
        }
        return a;
    }

    /** Starts the app on preloaded input and waits until it has processed (and committed) all of it. */
    static AppRun toCompletion(Stack stack, BenchData data, Options o, long inputRecords) throws Exception {
        Log.info("run %s with %d thread(s), app id %s%s", o.app, o.threads, o.appId, o.jfr != null ? ", JFR " + o.jfr : "");
        String loadBefore = loadAverage1m();
        try (AppProcess p = AppProcess.start(o.heap, o.jfr, args(stack, data, o)); Admin admin = stack.kafka.admin()) {
            long startMs = p.awaitStarted(180);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.timeoutS);
            boolean completed = OffsetCompletion.awaitConsumed(admin, o.appId, data.inputTopics(), deadline, 100, () -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("the app process died");
                }
            });
            long endMs = System.currentTimeMillis();
            p.stop();
            JsonNode r = p.awaitResult(180);
            AppRun run = of(o, inputRecords, (endMs - startMs) / 1000.0, completed, r, loadBefore + " → " + loadAverage1m());
            Log.info("%s t=%d: %,d records in %.1f s = %,.0f records/s (cpu %.1f s, peak heap %s MB, %.0f tasks created for %d "
                            + "active)%s", o.app, o.threads, inputRecords, run.seconds(), run.recordsPerSecond(), run.cpuSeconds(),
                    Report.mb(run.peakHeapBytes()), run.tasksCreated(), run.activeTasks(), run.completed() ? "" : " INCOMPLETE (timed out)");
            return run;
        }
    }

    /** The machine's 1-minute load average (/proc/loadavg), to read each figure against the other work on the machine. */
    static String loadAverage1m() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0];
        } catch (Exception e) {
            return "?";
        }
    }

    static AppRun of(Options o, long inputRecords, double seconds, boolean completed, JsonNode r, String loadAverage) {
        return new AppRun(o.app, o.threads, inputRecords, seconds, r.path("seconds_to_running").asDouble(),
                r.path("cpu_seconds").asDouble(), r.path("peak_heap_bytes").asLong(), r.path("max_heap_bytes").asLong(),
                r.path("peak_rss_bytes").asLong(), r.path("gc_seconds").asDouble(), r.path("state_bytes").asLong(),
                r.path("stitched").asDouble(Double.NaN), r.path("unchanged").asDouble(Double.NaN), completed,
                r.path("tasks_created").asDouble(), r.path("active_tasks").asInt(), loadAverage);
    }
}
