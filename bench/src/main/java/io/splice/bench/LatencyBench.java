package io.splice.bench;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.SpliceAvroDeserializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Issue 7 (2): end-to-end latency. Logs are produced at a fixed rate (keyed by card, so through the repartition
 * topic); for every row, latency = the moment a {@code read_committed} consumer sees the row's first stitched record
 * that includes the log, minus the moment the log was handed to the producer. Producer and consumer share this JVM
 * and its monotonic clock. Backfill and bootstrap records of the rows are loaded (and stitched) before the clock
 * starts, so 20% of rows get a revision and 10% merge all three sources.
 *
 * <pre>bench/latency/run.sh [--rate 5000] [--seconds 60] [--settings "k=v,k=v;defaults"] [--commit-intervals default]</pre>
 *
 * <p>Each row's latency is also split at the moment its re-keyed record becomes visible in the repartition topic (a
 * second read_committed consumer), so the report shows how much of it each of the two transactions takes.
 */
public final class LatencyBench {
    private LatencyBench() {
    }

    record Result(String setting, String commitInterval, long produced, double achievedRate, long measured, long seen, double p50,
                  double p90, double p99, double p999, double max, double mean, double lastHalfP50, double lastHalfP99,
                  Stage stage1, Stage stage2, double appCpuSeconds, long peakHeapBytes, double loadStart, double loadEnd,
                  JsonNode kafka) {
        /** A Kafka metric of the app (see {@code AppMain.kafkaMetrics}), NaN when absent. */
        double metric(String name) {
            JsonNode n = kafka == null ? null : kafka.get(name);
            return n == null ? Double.NaN : n.asDouble();
        }

        /** Mean of a producer *-time-ns-total per transaction commit, in ms. */
        double perCommitMs(String producerTotal) {
            return metric("producer." + producerTotal) / 1e6 / metric("thread.commit-total");
        }
    }

    /** Percentiles of one of the two hops of a re-keyed log, in ms. */
    record Stage(double p50, double p99, double p999, double max) {
        static Stage of(long[] sortedNanos) {
            return new Stage(pct(sortedNanos, 50), pct(sortedNanos, 99), pct(sortedNanos, 99.9),
                    sortedNanos.length == 0 ? Double.NaN : sortedNanos[sortedNanos.length - 1] / 1e6);
        }
    }

    @Command(name = "bench/latency/run.sh", sortOptions = false,
            description = "End-to-end latency: log produced -> stitched record visible to a read_committed consumer.")
    static final class Opts {
        @Option(names = "--rate", defaultValue = "5000", description = "Logs per second (default ${DEFAULT-VALUE}).")
        int rate;
        @Option(names = "--seconds", defaultValue = "60", description = "Seconds of sending (default ${DEFAULT-VALUE}).")
        int seconds;
        @Option(names = "--commit-intervals", split = ",", defaultValue = "default",
                description = "commit.interval.ms values, one run each; 'default' keeps the app's own (default ${DEFAULT-VALUE}).")
        List<String> commitIntervals;
        @Option(names = "--settings", defaultValue = "defaults",
                description = "Settings to compare, separated by ';': each a k=v,k=v list of Kafka Streams settings of the app "
                        + "('defaults': none), one run per setting and commit interval, all in this one invocation (default "
                        + "${DEFAULT-VALUE}).")
        String settings;
        @Option(names = "--threads", defaultValue = "1", description = "Stream threads (default ${DEFAULT-VALUE}).")
        int threads;
        @Option(names = "--partitions", defaultValue = "6", description = "Partitions per topic (default ${DEFAULT-VALUE}).")
        int partitions;
        @Option(names = "--cards", defaultValue = "100000", description = "Distinct cards (log keys) (default ${DEFAULT-VALUE}).")
        int cards;
        @Option(names = "--app-heap", defaultValue = "1g", description = "-Xmx of the app's JVM (default ${DEFAULT-VALUE}).")
        String appHeap;
        @Option(names = "--warmup-seconds", defaultValue = "10", description = "First seconds not counted (default ${DEFAULT-VALUE}).")
        int warmupSeconds;
        @Option(names = "--drain-seconds", defaultValue = "120", description = "Wait for the last rows after sending (default ${DEFAULT-VALUE}).")
        int drainSeconds;
        @Option(names = "--name", defaultValue = "latency", description = "Results file bench/results/<name>.md (default ${DEFAULT-VALUE}).")
        String name;
        @Option(names = "--streams-config", defaultValue = "", description = "k=v,k=v: extra Kafka Streams settings of the app.")
        String streamsConfig;
        @Option(names = "--consumer-fetch-max-wait-ms", defaultValue = "10",
                description = "fetch.max.wait.ms of the measuring consumer (default ${DEFAULT-VALUE}).")
        int consumerFetchMaxWaitMs;
        @Option(names = "--help", usageHelp = true, description = "Print this help.")
        boolean help;
    }

    public static void main(String[] argv) throws Exception {
        Opts a = Cli.parseOrExit(new Opts(), argv);
        Report.start();
        int rate = a.rate;
        int seconds = a.seconds;
        List<String> intervals = a.commitIntervals;
        List<String> settings = Arrays.stream(a.settings.split(";")).map(String::trim)
                .map(x -> x.isEmpty() ? "defaults" : x).toList();
        int threads = a.threads;
        int partitions = a.partitions;
        int cards = a.cards;
        int warmup = a.warmupSeconds;
        long t0 = System.nanoTime();
        List<Result> results = new ArrayList<>();
        try (Stack stack = Stack.start()) {
            int n = 0;
            for (String setting : settings) {
                for (String ci : intervals) {
                    results.add(run(stack, a, n++, setting, ci, rate, seconds, threads, partitions, cards, warmup));
                    writeJson(a, results);
                }
            }
        }
        Report r = new Report(a.name, "End-to-end latency: log produced → stitched record visible (read_committed)");
        r.line(String.format(Locale.ROOT, "Logs produced at %,d/s for %d s (%,d rows; the first %d s are warm-up and not counted), "
                        + "keyed by card (the app re-keys them through a repartition topic); %d partitions; Splice app with %d stream "
                        + "thread(s), exactly_once_v2, in its own JVM (-Xmx%s). Backfill (20%% of rows) and bootstrap (10%%) records "
                        + "are loaded and stitched before the clock starts. Latency per row: first stitched record of the row that "
                        + "includes its log, as seen by a read_committed consumer (fetch.max.wait.ms=%d, so that it sees a record as soon "
                        + "as it is committed), minus the log's send time.%s Runs in the order of the table; load average: the "
                        + "machine's 1-minute load at the start and end of each run (other work shares this machine).",
                rate, seconds, (long) rate * seconds, warmup, partitions, threads, a.appHeap, a.consumerFetchMaxWaitMs,
                a.streamsConfig.isBlank() ? "" : " Extra Kafka Streams settings of every run: `" + a.streamsConfig + "`."));
        r.blank();
        List<List<String>> rows = new ArrayList<>();
        for (Result x : results) {
            rows.add(List.of("`" + x.setting() + "`", x.commitInterval(), String.format(Locale.ROOT, "%,d", x.produced()),
                    Report.num(x.achievedRate()), String.format(Locale.ROOT, "%,d / %,d", x.seen(), x.measured()),
                    Report.num(x.p50()), Report.num(x.p90()), Report.num(x.p99()), Report.num(x.p999()), Report.num(x.max()),
                    Report.num(x.mean()), Report.num(x.lastHalfP50()) + " / " + Report.num(x.lastHalfP99()),
                    Report.num1(x.appCpuSeconds()), Report.mb(x.peakHeapBytes()),
                    Report.num1(x.loadStart()) + " → " + Report.num1(x.loadEnd())));
        }
        r.table(List.of("settings", "commit.interval.ms", "logs produced", "achieved logs/s", "rows seen / measured", "p50 ms",
                "p90 ms", "p99 ms", "p99.9 ms", "max ms", "mean ms", "second half: p50 / p99 ms", "app CPU s", "peak heap MB",
                "load average"), rows);
        r.line("Where the time goes. Hop 1: log sent → its re-keyed record visible to a read_committed consumer of the "
                + "repartition topic (the first transaction commits); hop 2: that moment → the stitched record visible (the "
                + "second transaction). The stream thread's figures are Kafka's own metrics of the app over its last 30 to "
                + "60 s: commit = the thread's commit of all its tasks (flush, offsets, end of transaction), of which "
                + "txn commit is the producer's commitTransaction and flush its flush.");
        r.blank();
        List<List<String>> where = new ArrayList<>();
        for (Result x : results) {
            where.add(List.of("`" + x.setting() + "`", x.commitInterval(),
                    Report.num(x.stage1().p50()) + " / " + Report.num(x.stage1().p99()) + " / " + Report.num(x.stage1().p999()),
                    Report.num(x.stage2().p50()) + " / " + Report.num(x.stage2().p99()) + " / " + Report.num(x.stage2().p999()),
                    Report.num1(x.metric("thread.commit-latency-avg")) + " / " + Report.num(x.metric("thread.commit-latency-max")),
                    Report.num1(x.perCommitMs("txn-commit-time-ns-total")), Report.num1(x.perCommitMs("flush-time-ns-total")),
                    Report.num1(x.metric("thread.poll-records-avg")), Report.num1(x.metric("thread.process-records-avg")),
                    Report.num2(x.metric("thread.process-ratio")) + " / " + Report.num2(x.metric("thread.commit-ratio")) + " / "
                            + Report.num2(x.metric("thread.poll-ratio"))));
        }
        r.table(List.of("settings", "commit.interval.ms", "hop 1 p50 / p99 / p99.9 ms", "hop 2 p50 / p99 / p99.9 ms",
                "thread commit avg / max ms", "txn commit ms per commit", "flush ms per commit", "records per poll",
                "records per process call", "share of thread time: process / commit / poll"), where);
        r.line("With exactly_once_v2 a stitched record becomes visible when the transaction that wrote it commits, and a "
                + "re-keyed log crosses two transactions (source → repartition topic → stitcher), so the commit interval "
                + "bounds the latency from below.");
        r.line(String.format(Locale.ROOT, "Total wall time of the benchmark: %.0f s.", (System.nanoTime() - t0) / 1e9));
        r.publish();
    }

    static Result run(Stack stack, Opts a, int runIndex, String setting, String ciLabel, int rate, int seconds, int threads,
                      int partitions, int cards, int warmup) throws Exception {
        double loadStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int ci = ciLabel.equals("default") ? -1 : Integer.parseInt(ciLabel);
        String prefix = "lat" + runIndex;
        BenchData data = new BenchData(prefix, cards);
        stack.createTopics(data, partitions, List.of());
        int total = Math.multiplyExact(rate, seconds);
        Preloader.load(data, stack.bootstrapServers(), stack.registryClient, 0, total, false, true);

        AppRun.Options o = new AppRun.Options();
        o.app = "splice";
        o.threads = threads;
        o.partitions = partitions;
        o.commitIntervalMs = ci;
        o.appId = "bench-latency-" + runIndex;
        o.heap = a.appHeap;
        o.streamsConfig = String.join(",", java.util.stream.Stream.of(a.streamsConfig, setting.equals("defaults") ? "" : setting)
                .filter(x -> !x.isBlank()).toList());
        AtomicLongArray sent = new AtomicLongArray(total);
        long[] latency = new long[total];
        Arrays.fill(latency, -1);
        long[] rekeyed = new long[total]; // hop 1: send → re-keyed record visible in the repartition topic
        Arrays.fill(rekeyed, -1);
        AtomicLong seen = new AtomicLong();
        AtomicReference<Throwable> consumerFailure = new AtomicReference<>();
        AtomicBoolean stopConsumer = new AtomicBoolean();
        Log.info("latency run %d: settings %s, commit.interval.ms=%s, %,d logs at %,d/s", runIndex, setting, ciLabel, total, rate);
        try (AppProcess app = AppProcess.start(o.heap, null, AppRun.args(stack, data, o)); Admin admin = stack.kafka.admin()) {
            app.awaitReady(180);
            // the preloaded backfill and bootstrap records are stitched (and committed) before the clock starts
            if (!OffsetCompletion.awaitConsumed(admin, o.appId, data.inputTopics(), System.nanoTime() + TimeUnit.SECONDS.toNanos(300), 100, () -> { })) {
                throw new IllegalStateException("the app did not process the preloaded backfill in 300 s");
            }
            CountDownLatch positioned = new CountDownLatch(1);
            Thread consumerThread = new Thread(() -> {
                try (KafkaConsumer<String, byte[]> c = Verify.consumer(stack.bootstrapServers(),
                        Map.of(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, a.consumerFetchMaxWaitMs))) {
                    SpliceAvroDeserializer<StitchedRecord> deser = SpliceAvroDeserializer.of(stack.registryClient, StitchedRecord.class);
                    List<TopicPartition> parts = c.partitionsFor(data.stitchedTopic()).stream()
                            .map(p -> new TopicPartition(data.stitchedTopic(), p.partition())).toList();
                    c.assign(parts);
                    c.seekToEnd(parts);
                    parts.forEach(c::position);
                    positioned.countDown();
                    while (!stopConsumer.get()) {
                        for (ConsumerRecord<String, byte[]> rec : c.poll(Duration.ofMillis(20))) {
                            long now = System.nanoTime();
                            long i = BenchData.rowIndex(rec.key());
                            if (i < 0 || i >= total || latency[(int) i] >= 0) {
                                continue;
                            }
                            long s = sent.get((int) i);
                            if (s == 0 || rec.value() == null) {
                                continue;
                            }
                            StitchedRecord sr = deser.deserialize(rec.topic(), rec.value());
                            if (!sr.getSources().containsValue("log")) {
                                continue; // a backfill-only revision, not yet the log
                            }
                            latency[(int) i] = now - s;
                            seen.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    consumerFailure.set(t);
                    positioned.countDown();
                }
            }, "bench-latency-consumer");
            consumerThread.setDaemon(true);
            consumerThread.start();
            if (!positioned.await(60, TimeUnit.SECONDS) || consumerFailure.get() != null) {
                throw new IllegalStateException("the consumer did not start", consumerFailure.get());
            }
            String repartition = OffsetCompletion.repartitionTopics(admin, o.appId).stream()
                    .filter(t -> t.contains("-logs-by-row-")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no logs-by-row repartition topic of " + o.appId));
            CountDownLatch rekeyedPositioned = new CountDownLatch(1);
            Thread rekeyedThread = new Thread(() -> {
                try (KafkaConsumer<String, byte[]> c = Verify.consumer(stack.bootstrapServers(),
                        Map.of(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, a.consumerFetchMaxWaitMs,
                                ConsumerConfig.CLIENT_ID_CONFIG, "bench-latency-rekeyed"))) {
                    List<TopicPartition> parts = c.partitionsFor(repartition).stream()
                            .map(p -> new TopicPartition(repartition, p.partition())).toList();
                    c.assign(parts);
                    c.seekToEnd(parts);
                    parts.forEach(c::position);
                    rekeyedPositioned.countDown();
                    while (!stopConsumer.get()) {
                        for (ConsumerRecord<String, byte[]> rec : c.poll(Duration.ofMillis(20))) {
                            long now = System.nanoTime();
                            long i = BenchData.rowIndex(rec.key());
                            if (i >= 0 && i < total && rekeyed[(int) i] < 0 && sent.get((int) i) != 0) {
                                rekeyed[(int) i] = now - sent.get((int) i);
                            }
                        }
                    }
                } catch (Throwable t) {
                    consumerFailure.set(t);
                    rekeyedPositioned.countDown();
                }
            }, "bench-latency-rekeyed-consumer");
            rekeyedThread.setDaemon(true);
            rekeyedThread.start();
            if (!rekeyedPositioned.await(60, TimeUnit.SECONDS) || consumerFailure.get() != null) {
                throw new IllegalStateException("the repartition topic's consumer did not start", consumerFailure.get());
            }

            long start;
            long end;
            try (KafkaProducer<String, SpecificRecord> producer = Preloader.producer(stack.bootstrapServers(), stack.registryClient, 5)) {
                // one warm-up send registers the schema before the clock starts
                producer.send(new ProducerRecord<>(data.fetchLogTopic(), "warm-up", data.log(Integer.MAX_VALUE, System.currentTimeMillis()))).get();
                double periodNanos = 1e9 / rate;
                start = System.nanoTime();
                for (int i = 0; i < total; i++) {
                    long due = start + (long) (i * periodNanos);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    sent.set(i, System.nanoTime());
                    producer.send(new ProducerRecord<>(data.fetchLogTopic(), data.logKey(i), data.log(i, System.currentTimeMillis())));
                    if ((i + 1) % (rate * 10) == 0) {
                        Log.info("sent %,d logs, %,d stitched rows seen", i + 1, seen.get());
                    }
                }
                producer.flush();
                end = System.nanoTime();
            }
            long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(a.drainSeconds);
            while (seen.get() < total && System.nanoTime() < drainDeadline && consumerFailure.get() == null) {
                TimeUnit.MILLISECONDS.sleep(50);
            }
            stopConsumer.set(true);
            consumerThread.join(30_000);
            rekeyedThread.join(30_000);
            double loadEnd = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            app.stop();
            var res = app.awaitResult(180);
            int from = Math.min(total, warmup * rate);
            long[] measured = new long[total - from];
            int m = 0;
            for (int i = from; i < total; i++) {
                if (latency[i] >= 0) {
                    measured[m++] = latency[i];
                }
            }
            long[] lat = Arrays.copyOf(measured, m);
            long[] lastHalf = Arrays.copyOfRange(lat, m / 2, m); // rows are in send order: the second half of the run
            long[] hop1 = new long[total - from];
            long[] hop2 = new long[total - from];
            int h = 0;
            for (int i = from; i < total; i++) {
                if (latency[i] >= 0 && rekeyed[i] >= 0) {
                    hop1[h] = rekeyed[i];
                    hop2[h++] = Math.max(0, latency[i] - rekeyed[i]);
                }
            }
            hop1 = Arrays.copyOf(hop1, h);
            hop2 = Arrays.copyOf(hop2, h);
            Arrays.sort(hop1);
            Arrays.sort(hop2);
            Arrays.sort(lat);
            Arrays.sort(lastHalf);
            double mean = Arrays.stream(lat).average().orElse(Double.NaN) / 1e6;
            Result result = new Result(setting, ciLabel, total, total / ((end - start) / 1e9), total - from, m,
                    pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 99.9), lat.length == 0 ? Double.NaN : lat[lat.length - 1] / 1e6,
                    mean, pct(lastHalf, 50), pct(lastHalf, 99), Stage.of(hop1), Stage.of(hop2), res.path("cpu_seconds").asDouble(),
                    res.path("peak_heap_bytes").asLong(), loadStart, loadEnd, res.path("kafka_metrics"));
            Log.info("%s, commit.interval.ms=%s: p50 %.0f ms, p99 %.0f ms, p99.9 %.0f ms, max %.0f ms (%,d of %,d rows seen); "
                            + "hop 1 p50/p99 %.0f/%.0f, hop 2 p50/p99 %.0f/%.0f; load %.1f -> %.1f; kafka %s", setting, ciLabel,
                    result.p50(), result.p99(), result.p999(), result.max(), m, total - from, result.stage1().p50(),
                    result.stage1().p99(), result.stage2().p50(), result.stage2().p99(), loadStart, loadEnd, result.kafka());
            return result;
        } finally {
            stack.deleteTopics(prefix + ".", o.appId + "-");
        }
    }

    /** The figures as JSON next to the Markdown report ({@code bench/results/<name>.json}), rewritten after each run. */
    static void writeJson(Opts a, List<Result> results) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ArrayNode arr = om.createArrayNode();
        for (Result x : results) {
            ObjectNode n = arr.addObject();
            n.put("settings", x.setting());
            n.put("commit_interval_ms", x.commitInterval());
            n.put("rate", a.rate);
            n.put("seconds", a.seconds);
            n.put("achieved_rate", Math.round(x.achievedRate()));
            n.put("rows_measured", x.measured());
            n.put("rows_seen", x.seen());
            n.put("p50_ms", Math.round(x.p50()));
            n.put("p90_ms", Math.round(x.p90()));
            n.put("p99_ms", Math.round(x.p99()));
            n.put("p999_ms", Math.round(x.p999()));
            n.put("max_ms", Math.round(x.max()));
            n.put("hop1_p50_ms", Math.round(x.stage1().p50()));
            n.put("hop1_p99_ms", Math.round(x.stage1().p99()));
            n.put("hop2_p50_ms", Math.round(x.stage2().p50()));
            n.put("hop2_p99_ms", Math.round(x.stage2().p99()));
            n.put("app_cpu_s", Math.round(x.appCpuSeconds() * 10) / 10.0);
            n.put("load_start", Math.round(x.loadStart() * 10) / 10.0);
            n.put("load_end", Math.round(x.loadEnd() * 10) / 10.0);
            n.set("kafka_metrics", x.kafka());
        }
        Path dir = Report.resultsDir();
        Files.createDirectories(dir);
        om.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(a.name + ".json").toFile(), arr);
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))] / 1e6;
    }
}
