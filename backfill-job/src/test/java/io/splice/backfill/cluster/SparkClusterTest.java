package io.splice.backfill.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.splice.avro.FeatureRow;
import io.splice.backfill.Cli;
import io.splice.backfill.TestData;
import io.splice.backfill.TestSpark;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.splice.backfill.TestData.HOUR;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.timestamp_millis;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 15: the backfill on a real Spark standalone cluster built from Maven Central jars
 * ({@code target/spark-dist}): one master and two workers (1 core, 1 GiB each) as processes, every executor a JVM
 * of its own, the cluster jar submitted with Spark's own {@code SparkSubmit} in client and in cluster deploy mode.
 * The data has rows exactly at midnight (chunk edges) and at window edges, a hot key, a where-filter, all seven
 * aggregations and several chunks; every run's Parquet output must equal a {@code local[2]} run of the same command,
 * row for row and bit for bit, with no duplicated row key. The reference run and the client, cluster and executor-loss
 * runs also {@code --publish} (from the executors) to a Kafka 4.1 broker and registry of the {@code local} module,
 * started as a child process ({@link LocalStackProcess}); each run's topic, read back as a compacted topic (the latest
 * record per row key), must hold exactly the reference's FeatureRows. One cluster and one stack serve the whole
 * class. Tag {@code spark-cluster}: its own Surefire execution after {@code package} (it needs the cluster jar,
 * spark-dist and local's classpath file).
 */
@Tag("spark-cluster")
class SparkClusterTest {
    static final LocalDate D1 = LocalDate.parse("2025-10-01");
    static final Path SPARK_HOME = Path.of(System.getProperty("splice.spark.home", "target/spark-dist")).toAbsolutePath();
    static final Path CLUSTER_JAR = Path.of(System.getProperty("splice.cluster.jar",
            "target/splice-backfill-job-0.1.0-SNAPSHOT-cluster.jar")).toAbsolutePath();
    static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);

    @TempDir
    static Path tmp;
    static Path joins;
    static Path data;
    static SparkSession spark;
    static SparkCluster cluster;
    static Map<String, Row> local;
    static LocalStackProcess stack;
    static final ObjectMapper JSON = new ObjectMapper();
    static Map<String, FeatureRow> localPublished;

    @BeforeAll
    static void start() throws Exception {
        long t0 = System.nanoTime();
        cluster = SparkCluster.start(SPARK_HOME, tmp.resolve("cluster"), SparkCluster.Settings.defaults(), Duration.ofMinutes(2));
        System.out.printf("cluster up in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, cluster.masterUrl());
        t0 = System.nanoTime();
        stack = LocalStackProcess.start(SPARK_HOME, tmp.resolve("s3"), tmp.resolve("stack.log"), Duration.ofMinutes(2));
        System.out.printf("local stack up in %.1f s: %s, %s%n", (System.nanoTime() - t0) / 1e9, stack.bootstrapServers(), stack.registryUrl());
        spark = TestSpark.session();
        joins = TestData.joins(tmp);
        // the inputs live in the S3 endpoint's bucket "splice": local paths here, s3a://splice/data for the s3a run
        data = tmp.resolve("s3/splice/data");
        writeData(data);
        // the reference: the same command on local[2] in this JVM
        Cli r = Cli.run(args(tmp.resolve("local"), "1", publish("local")));
        assertEquals(0, r.exit(), r.toString());
        local = output(tmp.resolve("local"));
        assertEquals(60, local.size());
        assertEquals(60, stack.records(topic("local")).size(), "each row published once");
        localPublished = stack.latestFeatureRows(topic("local"));
        assertEquals(local.keySet(), localPublished.keySet());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    /**
     * spark-submit options for s3a:// on the stack's S3 endpoint: hadoop-aws and its SDK modules on the driver's and
     * the executors' class path (every node of this cluster shares the machine), endpoint and credentials as
     * spark.hadoop.* confs (S3Proxy here checks no signature: any key pair works).
     */
    static List<String> s3a() throws IOException {
        String jars = Files.readString(Path.of(System.getProperty("splice.s3a.classpath", "target/s3a-classpath.txt"))).trim();
        List<String> confs = new ArrayList<>();
        for (String c : List.of("spark.driver.extraClassPath=" + jars, "spark.executor.extraClassPath=" + jars,
                "spark.hadoop.fs.s3a.endpoint=" + stack.s3Endpoint(), "spark.hadoop.fs.s3a.endpoint.region=us-east-1",
                "spark.hadoop.fs.s3a.path.style.access=true", "spark.hadoop.fs.s3a.connection.ssl.enabled=false",
                "spark.hadoop.fs.s3a.access.key=local", "spark.hadoop.fs.s3a.secret.key=local-secret",
                // S3Proxy's filesystem store serves no ETag/version ids s3a could check a changed object against
                "spark.hadoop.fs.s3a.change.detection.mode=none", "spark.hadoop.fs.s3a.change.detection.version.required=false")) {
            confs.add("--conf");
            confs.add(c);
        }
        return confs;
    }

    /** {@code --publish} to the stack under the topic prefix {@code prefix}. */
    static String[] publish(String prefix) {
        return stack.publishArgs(prefix).toArray(String[]::new);
    }

    static String topic(String prefix) {
        return prefix + ".backfill.payments.v2";
    }

    /** Events on a 15-minute grid (some at exactly midnight), a hot card, rows at midnight and at window edges. */
    static void writeData(Path root) {
        Random rnd = new Random(7);
        String[] statuses = {"APPROVED", "DECLINED"};
        List<Map<String, Object>> events = new ArrayList<>();
        long from = TestData.ms(LocalDate.parse("2025-09-24"));
        long to = TestData.ms(LocalDate.parse("2025-10-05"));
        for (long t = from; t < to; t += HOUR) {
            for (int i = 0; i < 2; i++) {
                long ts = t + rnd.nextInt(4) * 15 * 60_000L;
                events.add(TestData.event("c" + rnd.nextInt(4), "m" + rnd.nextInt(3), rnd.nextInt(200) * 0.5,
                        statuses[rnd.nextInt(2)], ts));
            }
            // the hot key: card c0 gets ten more events an hour
            for (int i = 0; i < 10; i++) {
                events.add(TestData.event("c0", "m" + rnd.nextInt(3), rnd.nextInt(200) * 0.25,
                        statuses[rnd.nextInt(2)], t + rnd.nextInt(60) * 60_000L));
            }
        }
        TestData.writeByDay(root.resolve("transactions"), events);
        List<Map<String, Object>> rows = new ArrayList<>();
        int n = 0;
        for (int d = 0; d < 4; d++) {
            long day = TestData.ms(D1.plusDays(d));
            for (int i = 0; i < 15; i++) {
                // the first row of each day at exactly midnight (its windows reach into the previous chunk); the
                // second exactly 1 h after an event time of the grid (an event exactly at the 1h window's edge)
                long ts = i == 0 ? day : i == 1 ? day + 10 * HOUR : day + rnd.nextInt(24 * 4) * 15 * 60_000L;
                rows.add(TestData.row("r" + n++, i < 3 ? "c0" : "c" + rnd.nextInt(5), "m" + rnd.nextInt(3), ts));
            }
        }
        TestData.writeByDay(root.resolve("payments_rows"), rows);
    }

    static String[] args(Path out, String chunkDays, String... extra) {
        List<String> a = new ArrayList<>(List.of("backfill", "--definitions", joins.toString(), "--join", "payments",
                "--version", "v2", "--start-date", "2025-10-01", "--end-date", "2025-10-04",
                "--chunk-size-days", chunkDays, "--input-root", data.toString(), "--output", out.toString()));
        a.addAll(Arrays.asList(extra));
        return a.toArray(String[]::new);
    }

    static Map<String, Row> output(Path out) {
        Map<String, Row> m = new TreeMap<>();
        for (Row r : spark.read().parquet(out.resolve("payments_v2").toString()).collectAsList()) {
            assertFalse(m.containsKey(r.<String>getAs("row_key")), "duplicate row key " + r.getAs("row_key"));
            m.put(r.getAs("row_key"), r);
        }
        return m;
    }

    /** {@code bin/spark-submit} of the cluster jar; stdout and stderr go to {@code log}. */
    static Process submit(String deployMode, Path log, List<String> sparkArgs, String... appArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", SPARK_HOME.resolve("bin/spark-submit").toString(),
                "--master", cluster.masterUrl(), "--deploy-mode", deployMode,
                "--class", "io.splice.backfill.BackfillCli",
                "--conf", "spark.executor.memory=512m", "--conf", "spark.driver.memory=512m",
                "--conf", "spark.sql.shuffle.partitions=4"));
        cmd.addAll(sparkArgs);
        cmd.add(CLUSTER_JAR.toString());
        cmd.addAll(List.of(appArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("SPLICE_WATCH_PID", String.valueOf(ProcessHandle.current().pid()));
        pb.environment().put("SPARK_JAVA_OPTS", "-Xmx512m");
        return pb.start();
    }

    static int await(Process p, Path log) throws Exception {
        if (!p.waitFor(RUN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            fail("spark-submit did not finish within " + RUN_TIMEOUT + ":\n" + tail(log));
        }
        return p.exitValue();
    }

    static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.startsWith("\tat ")).toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    static void awaitLine(Path log, String prefix, Process p) throws Exception {
        long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readAllLines(log).stream().anyMatch(l -> l.startsWith(prefix))) {
                return;
            }
            if (!p.isAlive()) {
                fail("spark-submit ended before printing '" + prefix + "':\n" + tail(log));
            }
            Thread.sleep(100);
        }
        fail("no line '" + prefix + "' within " + RUN_TIMEOUT + ":\n" + tail(log));
    }

    static long markers(Path out) throws IOException {
        Path dir = out.resolve("payments_v2");
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().equals("_SUCCESS")).count();
        }
    }

    @Test
    @DisplayName("client deploy mode: executors on two workers, output and published FeatureRows identical to local[2]")
    void clientMode() throws Exception {
        Path out = tmp.resolve("client");
        Path log = tmp.resolve("client.log");
        Process p = submit("client", log, List.of(), args(out, "2", publish("client")));
        assertEquals(0, await(p, log), tail(log));
        assertTrue(Files.readString(log).contains("done: 60 rows"), tail(log));
        assertEquals(local, output(out));
        assertEquals(4, markers(out));
        assertEquals(60, stack.records(topic("client")).size(), "no task failed: each row published once");
        assertEquals(localPublished, stack.latestFeatureRows(topic("client")));
    }

    @Test
    @DisplayName("training-set and consistency on s3a:// and on the cluster: the set read from the S3 endpoint equals the set read from the same files as local paths and the set spark-submit wrote; consistency finds exactly the planted mismatches")
    void trainingSetAndConsistencyOnS3a() throws Exception {
        // Given an offline table in the S3 endpoint (s3a://splice/features) whose served (log) values are the local[2]
        // backfill's computed values, except txn_count_1h of 5 rows (planted), and that backfill's output (s3a://splice/bf)
        JoinDefinition j = DefinitionsLoader.load(joins).join("payments", "v2").orElseThrow();
        Map<String, String> hashes = SemanticHasher.hashes(j);
        List<String> planted = local.keySet().stream().limit(5).toList();
        Dataset<Row> bf = spark.read().parquet(tmp.resolve("local/payments_v2").toString());
        List<Column> sources = new ArrayList<>();
        List<Column> cols = new ArrayList<>(List.of(col("row_key"), timestamp_millis(col("ts")).as("ts"),
                map(lit("card_id"), col("card_id"), lit("merchant_id"), col("merchant_id")).as("keys")));
        for (FeatureDefinition f : j.features()) {
            boolean external = f.name().equals("risk_score");
            sources.add(lit(f.name()));
            sources.add(lit(external ? "missing" : "log"));
            cols.add(external ? lit(null).cast("double").as(f.name()) : f.name().equals("txn_count_1h")
                    ? when(col("row_key").isin(planted.toArray()), col(f.name()).plus(1)).otherwise(col(f.name())).as(f.name())
                    : col(f.name()));
        }
        List<Column> hashMap = new ArrayList<>();
        hashes.forEach((part, h) -> {
            hashMap.add(lit(part));
            hashMap.add(lit(h));
        });
        cols.addAll(List.of(map(sources.toArray(Column[]::new)).as("sources"), lit("v2").as("feature_version"),
                map(hashMap.toArray(Column[]::new)).as("part_hashes"), lit(1L).as("revision"), timestamp_millis(col("ts")).as("write_time"),
                timestamp_millis(col("ts").plus(1000)).as("stitched_at"), lit(false).as("is_deleted"), lit(0).as("kafka_partition"),
                monotonically_increasing_id().as("kafka_offset"), col("ds")));
        bf.select(cols.toArray(Column[]::new)).write().partitionBy("ds").parquet(tmp.resolve("s3/splice/features/payments_v2").toString());
        bf.write().partitionBy("ds").parquet(tmp.resolve("s3/splice/bf/payments_v2").toString());
        List<String> days = local.values().stream().map(r -> r.<String>getAs("ds")).sorted().toList();
        List<String> join = List.of("--definitions", joins.toString(), "--join", "payments", "--version", "v2",
                "--start-date", days.get(0), "--end-date", days.get(days.size() - 1));
        List<String> range = new ArrayList<>(List.of("--master", "local[2]"));
        range.addAll(join);

        // When training sets are written from s3a:// to s3a:// and from the same files as local paths
        List<String> overS3a = new ArrayList<>(List.of("training-set"));
        overS3a.addAll(range);
        overS3a.addAll(List.of("--offline", "s3a://splice/features", "--out", "s3a://splice/sets/s3a"));
        overS3a.addAll(s3a());
        Cli r = Cli.run(overS3a.toArray(String[]::new));
        assertEquals(0, r.exit(), r.toString());
        List<String> overLocal = new ArrayList<>(List.of("training-set"));
        overLocal.addAll(range);
        overLocal.addAll(List.of("--offline", tmp.resolve("s3/splice/features").toString(), "--out", tmp.resolve("set-local").toString()));
        Cli l = Cli.run(overLocal.toArray(String[]::new));
        assertEquals(0, l.exit(), l.toString());

        // and under spark-submit on the cluster (client mode; the files on the disk the nodes share)
        List<String> onCluster = new ArrayList<>(List.of("training-set"));
        onCluster.addAll(join);
        onCluster.addAll(List.of("--offline", tmp.resolve("s3/splice/features").toString(), "--out", tmp.resolve("set-cluster").toString()));
        Path clusterLog = tmp.resolve("set-cluster.log");
        Process p = submit("client", clusterLog, List.of(), onCluster.toArray(String[]::new));
        assertEquals(0, await(p, clusterLog), tail(clusterLog));

        // Then the three sets hold the same 60 rows, and the manifest on S3 names the s3a:// objects it read
        List<String> fromS3 = rows(tmp.resolve("s3/splice/sets/s3a"));
        assertEquals(60, fromS3.size());
        assertEquals(rows(tmp.resolve("set-local")), fromS3);
        assertEquals(fromS3, rows(tmp.resolve("set-cluster")));
        JsonNode manifest = JSON.readTree(Files.readString(tmp.resolve("s3/splice/sets/s3a/_MANIFEST.json")));
        assertTrue(manifest.path("offline").path("objects").size() > 0
                && manifest.path("offline").path("objects").get(0).path("path").asText().startsWith("s3a://splice/features/"), manifest.toString());

        // And consistency over s3a:// compares every computed feature of every row and finds the 5 planted mismatches
        List<String> check = new ArrayList<>(List.of("consistency"));
        check.addAll(range);
        check.addAll(List.of("--offline", "s3a://splice/features", "--backfill", "s3a://splice/bf", "--json"));
        check.addAll(s3a());
        Cli c = Cli.run(check.toArray(String[]::new));
        assertEquals(0, c.exit(), c.toString());
        JsonNode report = JSON.readTree(c.out());
        assertEquals(60L * (j.features().size() - 1), report.path("compared").asLong(), c.out());
        assertEquals(5, report.path("mismatched").asLong(), c.out());
        for (JsonNode f : report.path("features")) {
            assertEquals(f.path("feature").asText().equals("txn_count_1h") ? 5 : 0, f.path("mismatched").asLong(), f.toString());
        }
    }

    /** Every row of a Parquet folder as text, sorted. */
    static List<String> rows(Path dir) {
        return spark.read().parquet(dir.toString()).collectAsList().stream().map(Row::toString).sorted().toList();
    }

    @Test
    @DisplayName("cluster deploy mode: the driver on a worker, definitions shipped with --files, inputs and output on s3a://, output and published FeatureRows identical")
    void clusterMode() throws Exception {
        Path out = tmp.resolve("s3/splice/cluster-mode"); // s3a://splice/cluster-mode, as the S3 endpoint stores it
        Path log = tmp.resolve("cluster-mode.log");
        List<String> a = new ArrayList<>(List.of(args(out, "2", publish("cluster"))));
        a.set(a.indexOf("--definitions") + 1, "joins.yaml"); // relative: found where --files shipped it
        a.set(a.indexOf("--input-root") + 1, "s3a://splice/data");
        a.set(a.indexOf("--output") + 1, "s3a://splice/cluster-mode");
        List<String> spark = new ArrayList<>(List.of("--files", joins.toString(),
                "--conf", "spark.standalone.submit.waitAppCompletion=true"));
        spark.addAll(s3a());
        Process p = submit("cluster", log, spark, a.toArray(String[]::new));
        assertEquals(0, await(p, log), tail(log));
        // spark-submit exits 0 whatever the driver did: the master knows how it ended
        JsonNode drivers = cluster.state().path("completeddrivers");
        assertTrue(drivers.size() >= 1, drivers.toString());
        JsonNode last = drivers.get(drivers.size() - 1);
        assertEquals("FINISHED", last.path("state").asText(), last.toString() + "\n" + tail(log));
        assertEquals(local, output(out));
        assertEquals(4, markers(out));
        assertEquals(60, stack.records(topic("cluster")).size(), "no task failed: each row published once");
        assertEquals(localPublished, stack.latestFeatureRows(topic("cluster")));
    }

    @Test
    @DisplayName("an executor JVM SIGKILLed mid-chunk: Spark re-runs its tasks, output and compacted topic identical, no duplicated row")
    void executorLoss() throws Exception {
        Path out = tmp.resolve("executor-loss");
        Path log = tmp.resolve("executor-loss.log");
        Process p = submit("client", log, List.of(), args(out, "1", publish("executor-loss")));
        awaitLine(log, "chunk 1/4 ", p); // chunk 2 is starting
        List<ProcessHandle> executors = cluster.executors();
        assertEquals(2, executors.size(), "one executor per worker");
        ProcessHandle victim = executors.get(0);
        assertTrue(victim.destroyForcibly(), "SIGKILL"); // destroyForcibly is SIGKILL on Unix
        victim.onExit().get(30, TimeUnit.SECONDS);
        assertEquals(0, await(p, log), tail(log));
        String logText = Files.readString(log);
        assertTrue(logText.contains("Lost executor"), "the driver saw the executor die:\n" + tail(log));
        assertTrue(logText.contains("done: 60 rows"), tail(log));
        assertEquals(local, output(out));
        assertEquals(4, markers(out));
        // re-run tasks may publish a row twice (Kafka's sink is at-least-once): the compacted view must be the reference
        assertEquals(localPublished, stack.latestFeatureRows(topic("executor-loss")));
    }

    @Test
    @DisplayName("the driver SIGKILLed in client mode, then a re-run: complete chunks skipped, the rest computed, nothing duplicated")
    void driverLossThenRerun() throws Exception {
        Path out = tmp.resolve("driver-loss");
        Path log = tmp.resolve("driver-loss.log");
        Process p = submit("client", log, List.of(), args(out, "1"));
        awaitLine(log, "chunk 2/4 ", p);
        p.destroyForcibly(); // the submitter is the driver's JVM (spark-class execs java)
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        long done = markers(out);
        assertTrue(done >= 2 && done < 4, done + " days complete when the driver died");
        Path log2 = tmp.resolve("driver-loss-rerun.log");
        Process again = submit("client", log2, List.of(), args(out, "1"));
        assertEquals(0, await(again, log2), tail(log2));
        String rerun = Files.readString(log2);
        assertTrue(rerun.contains("chunk 1/4 2025-10-01: complete, skip"), rerun);
        assertTrue(rerun.contains("chunk 2/4 2025-10-02: complete, skip"), rerun);
        assertTrue(rerun.contains("chunk 4/4 2025-10-04: compute"), rerun);
        assertTrue(rerun.contains("chunk 1/4 2025-10-01: complete (_SUCCESS with current part hashes), skipped"), rerun);
        assertFalse(rerun.lines().anyMatch(l -> l.matches("chunk [12]/4 .* rows in .*")),
                "complete chunks are not computed again:\n" + rerun);
        assertEquals(local, output(out));
        assertEquals(4, markers(out));
    }

    @Test
    @DisplayName("--dry-run against the cluster prints the plan and writes nothing")
    void dryRun() throws Exception {
        Path out = tmp.resolve("dry");
        Path log = tmp.resolve("dry.log");
        Process p = submit("client", log, List.of(), args(out, "2", "--dry-run"));
        assertEquals(0, await(p, log), tail(log));
        assertTrue(Files.readString(log).contains("Dry run: nothing written."), tail(log));
        assertFalse(Files.exists(out), "a dry run creates no output");
    }
}
