package io.splice.bench;


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
 * <pre>bench/latency/run.sh [--rate 5000] [--seconds 60] [--commit-intervals 100,1000] [--threads 1]</pre>
 */
public final class LatencyBench {
    private LatencyBench() {
    }

    record Result(int commitIntervalMs, long produced, double achievedRate, long measured, long seen, double p50, double p90,
                  double p99, double p999, double max, double mean, double lastHalfP50, double lastHalfP99, double appCpuSeconds,
                  long peakHeapBytes) {
    }

    @Command(name = "bench/latency/run.sh", sortOptions = false,
            description = "End-to-end latency: log produced -> stitched record visible to a read_committed consumer.")
    static final class Opts {
        @Option(names = "--rate", defaultValue = "5000", description = "Logs per second (default ${DEFAULT-VALUE}).")
        int rate;
        @Option(names = "--seconds", defaultValue = "60", description = "Seconds of sending (default ${DEFAULT-VALUE}).")
        int seconds;
        @Option(names = "--commit-intervals", split = ",", defaultValue = "100,1000",
                description = "commit.interval.ms values, one run each (default ${DEFAULT-VALUE}).")
        List<Integer> commitIntervals;
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
        List<Integer> intervals = a.commitIntervals;
        int threads = a.threads;
        int partitions = a.partitions;
        int cards = a.cards;
        int warmup = a.warmupSeconds;
        long t0 = System.nanoTime();
        List<Result> results = new ArrayList<>();
        try (Stack stack = Stack.start()) {
            for (int ci : intervals) {
                results.add(run(stack, a, ci, rate, seconds, threads, partitions, cards, warmup));
            }
        }
        Report r = new Report(a.name, "End-to-end latency: log produced → stitched record visible (read_committed)");
        r.line(String.format(Locale.ROOT, "Logs produced at %,d/s for %d s (%,d rows; the first %d s are warm-up and not counted), "
                        + "keyed by card (the app re-keys them through a repartition topic); %d partitions; Splice app with %d stream "
                        + "thread(s), exactly_once_v2, in its own JVM (-Xmx%s). Backfill (20%% of rows) and bootstrap (10%%) records "
                        + "are loaded and stitched before the clock starts. Latency per row: first stitched record of the row that "
                        + "includes its log, as seen by a read_committed consumer (fetch.max.wait.ms=%d, so that it sees a record as soon "
                        + "as it is committed), minus the log's send time.%s",
                rate, seconds, (long) rate * seconds, warmup, partitions, threads, a.appHeap, a.consumerFetchMaxWaitMs,
                a.streamsConfig.isBlank() ? "" : " Extra Kafka Streams settings: `" + a.streamsConfig + "`."));
        r.blank();
        List<List<String>> rows = new ArrayList<>();
        for (Result x : results) {
            rows.add(List.of(Integer.toString(x.commitIntervalMs()), String.format(Locale.ROOT, "%,d", x.produced()),
                    Report.num(x.achievedRate()), String.format(Locale.ROOT, "%,d / %,d", x.seen(), x.measured()),
                    Report.num(x.p50()), Report.num(x.p90()), Report.num(x.p99()), Report.num(x.p999()), Report.num(x.max()),
                    Report.num(x.mean()), Report.num(x.lastHalfP50()) + " / " + Report.num(x.lastHalfP99()),
                    Report.num1(x.appCpuSeconds()), Report.mb(x.peakHeapBytes())));
        }
        r.table(List.of("commit.interval.ms", "logs produced", "achieved logs/s", "rows seen / measured", "p50 ms", "p90 ms",
                "p99 ms", "p99.9 ms", "max ms", "mean ms", "second half: p50 / p99 ms", "app CPU s", "peak heap MB"), rows);
        r.line("With exactly_once_v2 a stitched record becomes visible when the transaction that wrote it commits, and a "
                + "re-keyed log crosses two transactions (source → repartition topic → stitcher), so the commit interval "
                + "bounds the latency from below.");
        r.line(String.format(Locale.ROOT, "Total wall time of the benchmark: %.0f s.", (System.nanoTime() - t0) / 1e9));
        r.publish();
    }

    static Result run(Stack stack, Opts a, int ci, int rate, int seconds, int threads, int partitions, int cards, int warmup)
            throws Exception {
        String prefix = "lat" + ci;
        BenchData data = new BenchData(prefix, cards);
        stack.createTopics(data, partitions, List.of());
        int total = Math.multiplyExact(rate, seconds);
        Preloader.load(data, stack.bootstrapServers(), stack.registryClient, 0, total, false, true);

        AppRun.Options o = new AppRun.Options();
        o.app = "splice";
        o.threads = threads;
        o.partitions = partitions;
        o.commitIntervalMs = ci;
        o.appId = "bench-latency-ci" + ci;
        o.heap = a.appHeap;
        o.streamsConfig = a.streamsConfig;
        AtomicLongArray sent = new AtomicLongArray(total);
        long[] latency = new long[total];
        Arrays.fill(latency, -1);
        AtomicLong seen = new AtomicLong();
        AtomicReference<Throwable> consumerFailure = new AtomicReference<>();
        AtomicBoolean stopConsumer = new AtomicBoolean();
        Log.info("latency run: commit.interval.ms=%d, %,d logs at %,d/s", ci, total, rate);
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
            Arrays.sort(lat);
            Arrays.sort(lastHalf);
            double mean = Arrays.stream(lat).average().orElse(Double.NaN) / 1e6;
            Result result = new Result(ci, total, total / ((end - start) / 1e9), total - from, m,
                    pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 99.9), lat.length == 0 ? Double.NaN : lat[lat.length - 1] / 1e6,
                    mean, pct(lastHalf, 50), pct(lastHalf, 99), res.path("cpu_seconds").asDouble(), res.path("peak_heap_bytes").asLong());
            Log.info("commit.interval.ms=%d: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%,d of %,d rows seen)", ci, result.p50(),
                    result.p99(), result.max(), m, total - from);
            return result;
        } finally {
            stack.deleteTopics(prefix + ".", "bench-latency-ci" + ci + "-");
        }
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))] / 1e6;
    }
}
