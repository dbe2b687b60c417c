package io.splice.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.PartDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.SpliceRuntime;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * {@code splice demo}: the whole system on the local stack, end to end.
 *
 * <ol>
 *   <li>starts Kafka, the schema registry, S3, the Feature Store endpoint and Connect with both sinks;</li>
 *   <li>generates the card-transactions {@link World} and writes the backfill's input tables;</li>
 *   <li>starts {@code splice backfill --publish} (a child process) as soon as Kafka is up, for the rows no log
 *       covers: the unlogged first day, the outage window, the features partial logs lack (and a consistency sample
 *       of logged rows);</li>
 *   <li>produces the fetch logs (with a few bad records and another join's logs) and the vendor's bootstrap table;</li>
 *   <li>runs the stitching app (in this JVM) until every input is consumed, and the sinks until they committed
 *       every stitched record (conditions, each bounded by {@code --timeout});</li>
 *   <li>reads back the stitched topic, the DLQ, S3 and the Feature Store endpoint into a {@link DemoSummary};</li>
 *   <li>writes a training set with the world's labels ({@code splice training-set}) and the consistency report
 *       ({@code splice consistency}, which finds the world's planted skew), both child processes, then the coverage
 *       report, and stops everything it started.</li>
 * </ol>
 */
public final class Demo {
    static final String DEFINITIONS_RESOURCE = "/demo-joins.yaml";
    static final String APPLICATION_ID = "splice-demo";

    /** Settings of one run; {@code brokers} > 1 runs Kafka as a cluster of that many processes (RF min(3, brokers)). */
    public record Options(int days, int cards, double ratePerHour, int outageHours, long seed, int partitions,
                          Path outDir, Duration timeout, LocalDate endExclusive, int brokers) {
        /** One in-JVM broker. */
        public Options(int days, int cards, double ratePerHour, int outageHours, long seed, int partitions,
                       Path outDir, Duration timeout, LocalDate endExclusive) {
            this(days, cards, ratePerHour, outageHours, seed, partitions, outDir, timeout, endExclusive, 1);
        }

        public static Options defaults() {
            return new Options(3, 200, 40, 4, 42, 3, Path.of("splice-demo-out"), Duration.ofSeconds(150),
                    LocalDate.now(ZoneOffset.UTC));
        }
    }

    private Demo() {
    }

    /** Runs the demo; everything started is stopped and every temporary file removed, also on failure. */
    public static DemoSummary run(Options o, Progress progress) throws Exception {
        try (Cleanup cleanup = new Cleanup()) {
            return run(o, progress, cleanup);
        }
    }

    /**
     * Runs the demo, registering what it starts with {@code cleanup} (which a shutdown hook may close at any time);
     * closes {@code cleanup} before returning.
     */
    public static DemoSummary run(Options o, Progress progress, Cleanup cleanup) throws Exception {
        long t0 = System.nanoTime();
        World world = World.generate(new World.Settings(o.days(), o.cards(), o.ratePerHour(), o.outageHours(),
                o.endExclusive(), o.seed()));
        Path home = BackfillProcess.locateHome();
        Path work = Files.createTempDirectory("splice-demo-");
        cleanup.add(() -> deleteRecursively(work));
        Files.createDirectories(o.outDir());
        Path defsFile = work.resolve("joins.yaml");
        try (InputStream in = Demo.class.getResourceAsStream(DEFINITIONS_RESOURCE)) {
            Files.copy(in, defsFile);
        }
        Topics topics = Topics.defaults();
        Definitions defs = DefinitionsLoader.load(defsFile, topics);
        JoinDefinition join = defs.join(World.JOIN, World.VERSION).orElseThrow();
        Path data = work.resolve("data");
        Path transactions = world.writeTransactions(data);
        Path left = world.writeLeftRows(data);
        world.writeBootstrapTable(o.outDir());
        progress.step("world: %d days from %s, %d cards, %d payments, %d scoring requests (%d logged, %d to backfill, "
                        + "%d logged ones in the consistency sample), outage %s..%s", o.days(), world.firstDay(), o.cards(),
                world.transactions().size(), world.requests().size(), world.logs().size(), world.backfillRows().size(),
                world.consistencySampleRows().size(),
                world.outageStart(), world.outageEnd());

        Phases phases = new Phases();
        try {
            progress.step("starting the local stack (Kafka, schema registry, S3, Feature Store, Connect) ...");
            BackfillProcess[] backfillRef = new BackfillProcess[1];
            DemoStack stack = cleanup.add(DemoStack.start(defs, defsFile, topics, o.partitions(), o.brokers(), progress, s -> {
                // the Spark job takes a while to start: launch it as soon as it can publish
                backfillRef[0] = cleanup.add(BackfillProcess.start(home, backfillArgs(o, world, defsFile, left,
                        transactions, work.resolve("backfill-out"), s), work, progress));
                progress.step("backfill started: splice backfill --join %s --version %s --start-date %s --end-date %s --publish",
                        World.JOIN, World.VERSION, world.firstDay(), world.lastDay());
            }));
            BackfillProcess backfill = backfillRef[0];
            phases.mark("stack");

            SchemaRegistryClient registry = SpliceSerdeConfig.client(Map.of(SpliceSerdeConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl()));
            Produced produced = produce(stack, registry, world, join, topics);
            progress.step("produced %d fetch logs (+%d bad, +%d of another join) and %d bootstrap rows",
                    produced.logs(), produced.bad(), produced.otherJoin(), produced.bootstrap());

            long appStart = System.nanoTime();
            SpliceRuntime app = cleanup.add(new SpliceRuntime(defs, new SpliceStreamsConfig(streamsConfig(stack, work))));
            app.start();
            progress.step("stitching app running (exactly-once, %d partitions), metrics on http://127.0.0.1:%d/metrics",
                    o.partitions(), app.metricsPort());

            // the logs and the bootstrap table were produced before the app started: time how fast it catches up
            List<String> backlogTopics = new ArrayList<>(List.of(topics.fetchLog()));
            join.bootstrapParts().forEach(b -> backlogTopics.add(b.topic()));
            long backlog;
            try (Admin admin = stack.admin()) {
                backlog = awaitConsumed(admin, APPLICATION_ID, backlogTopics, o.timeout(), "the stitching app");
            }
            double backlogSeconds = (System.nanoTime() - appStart) / 1e9;
            progress.step("stitching app consumed the %d log and bootstrap records in %.1f s (including its start)",
                    backlog, backlogSeconds);

            backfill.awaitSuccess(o.timeout());
            phases.mark("backfill");
            progress.step("backfill done");

            List<String> inputs = new ArrayList<>(backlogTopics);
            inputs.add(topics.backfill(join));
            long inputRecords;
            try (Admin admin = stack.admin()) {
                inputRecords = awaitConsumed(admin, APPLICATION_ID, inputs, o.timeout(), "the stitching app");
            }
            progress.step("stitching app consumed all %d input records", inputRecords);

            Map<Integer, Long> next = new TreeMap<>();
            LatestRows stitched = TopicReader.stitched(stack.bootstrapServers(), stack.schemaRegistryUrl(),
                    topics.stitched(join), o.timeout(), next);
            stack.connect(); // started in the background
            try (Admin admin = stack.admin()) {
                awaitCommitted(admin, "connect-" + DemoStack.S3_CONNECTOR, topics.stitched(join), next, o.timeout(), "the S3 sink");
                awaitCommitted(admin, "connect-" + DemoStack.FS_CONNECTOR, topics.stitched(join), next, o.timeout(), "the Feature Store sink");
            }
            phases.mark("stitch+sinks");
            progress.step("sinks committed all %d stitched records", stitched.records());

            Map<String, Long> dlq = TopicReader.deadLetters(stack.bootstrapServers(), topics.dlq(), o.timeout());
            URI prefix = URI.create(join.offline().s3Prefix());
            String keyPrefix = prefix.getPath().replaceFirst("^/", "") + "/" + join.name() + "_" + join.version() + "/";
            // a local copy of the offline table for the Spark jobs below (the default build has no s3a connector)
            Path offlineCopy = o.outDir().resolve("offline");
            deleteRecursively(offlineCopy);
            OfflineTable offline = OfflineTable.fromS3(stack.s3Client(), prefix.getHost(), keyPrefix,
                    offlineCopy.resolve(join.name() + "_" + join.version()));
            int online = stack.featureStore().identifiers(join.featureGroupName()).size();
            double skipped = app.meters().find("splice.logs.unknown.join").counters().stream().mapToDouble(c -> c.count()).sum();

            List<String> features = join.features().stream().map(f -> f.name()).toList();
            DemoSummary.Consistency consistency = appConsistency(app, join);

            // what users train on: a training set with the world's labels, and the consistency report per day
            Path labels = world.writeLabels(o.outDir());
            Path trainingSet = o.outDir().resolve("training-set");
            Path consistencyJson = o.outDir().resolve("consistency.json");
            deleteRecursively(trainingSet);
            Files.deleteIfExists(consistencyJson);
            List<String> range = List.of("--definitions", defsFile.toString(), "--join", World.JOIN, "--version", World.VERSION,
                    "--start-date", world.firstDay().toString(), "--end-date", world.lastDay().toString(),
                    "--offline", offlineCopy.toString(), "--conf", "spark.sql.shuffle.partitions=4");
            List<String> setArgs = new ArrayList<>(range);
            setArgs.addAll(List.of("--labels", labels.toString(), "--label-columns", "is_fraud", "--out", trainingSet.toString()));
            List<String> consistencyArgs = new ArrayList<>(range);
            consistencyArgs.addAll(List.of("--backfill", work.resolve("backfill-out").toString(), "--out", consistencyJson.toString()));
            progress.step("writing a training set and the consistency report (Spark): splice training-set ... --labels %s; "
                    + "splice consistency ... --backfill <backfill output>", labels);
            try (BackfillProcess set = BackfillProcess.startJob(home, "training-set", setArgs, work, progress, List.of(), null);
                 BackfillProcess check = BackfillProcess.startJob(home, "consistency", consistencyArgs, work, progress, List.of(), null)) {
                set.awaitSuccess(o.timeout());
                check.awaitSuccess(o.timeout());
            }
            phases.mark("training-set+consistency");
            JsonNode manifest = new ObjectMapper().readTree(trainingSet.resolve("_MANIFEST.json").toFile());
            JsonNode counts = manifest.path("counts");
            DemoSummary.TrainingSet set = new DemoSummary.TrainingSet(counts.path("rows").asLong(),
                    counts.path("served_rows").asLong(), counts.path("rows_with_label").asLong(), trainingSet.toAbsolutePath());
            JsonNode consistencyReport = new ObjectMapper().readTree(consistencyJson.toFile());
            consistency = consistency.withReport(consistencyReport, consistencyJson.toAbsolutePath());

            Coverage coverage = stitched.coverage(features, join.recordIdentifier());
            Path report = o.outDir().resolve("report.html");
            CoverageReport.write(report, offline.latest().coverage(features, join.recordIdentifier()),
                    "Splice demo: " + join.id(), "offline store " + join.offline().s3Prefix() + "/" + join.name() + "_" + join.version()
                            + " (" + offline.objects().size() + " objects, latest revision per row)", consistencyReport);
            double seconds = (System.nanoTime() - t0) / 1e9;
            DemoSummary summary = new DemoSummary(
                    join.id(), world, coverage, stitched.records(), stitched.revisions(), dlq, (long) skipped,
                    offline.objects().size(), offline.rows(), offline.latestRows(), offline.bytes(), online,
                    coverage.recordIdentifiers(), produced, inputRecords, backlog, backlogSeconds, phases.seconds(), report.toAbsolutePath(),
                    consistency, set, seconds);
            return finish(summary, cleanup, t0, progress, o);
        } finally {
            cleanup.close();
        }
    }

    /** The app's online/offline consistency counters of {@code join}, per non-external feature. */
    private static DemoSummary.Consistency appConsistency(SpliceRuntime app, JoinDefinition join) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (PartDefinition p : join.parts()) {
            if (p.external()) {
                continue;
            }
            for (String f : p.featureNames()) {
                var compared = app.meters().find("splice.consistency.compared").tags("join", join.id(), "feature", f).counter();
                var mismatched = app.meters().find("splice.consistency.mismatched").tags("join", join.id(), "feature", f).counter();
                m.put(f, new long[]{compared == null ? 0 : (long) compared.count(), mismatched == null ? 0 : (long) mismatched.count()});
            }
        }
        return new DemoSummary.Consistency(m, null, null);
    }

    /** Stops everything, then records the whole wall time (the cleanup included) and writes summary.json. */
    private static DemoSummary finish(DemoSummary summary, Cleanup cleanup, long t0, Progress progress, Options o) throws IOException {
        long stop = System.nanoTime();
        cleanup.close();
        progress.step("stopped everything and removed the temporary files in %.1f s", (System.nanoTime() - stop) / 1e9);
        DemoSummary done = summary.withSeconds((System.nanoTime() - t0) / 1e9);
        Files.writeString(o.outDir().resolve("summary.json"), done.toJson() + "\n");
        return done;
    }

    /** What was produced to the input topics. */
    public record Produced(int logs, int bad, int otherJoin, int bootstrap) {
    }

    private static Produced produce(DemoStack stack, SchemaRegistryClient registry, World world, JoinDefinition join, Topics topics) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        Map<String, String> hashes = SemanticHasher.hashes(join);
        SpliceAvroSerializer<FetchLog> logs = new SpliceAvroSerializer<>(registry);
        SpliceAvroSerializer<FeatureRow> rows = new SpliceAvroSerializer<>(registry);
        String logTopic = topics.fetchLog();
        int n = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
            for (World.LogRecord l : world.logs()) {
                String key = l.context().get("request_id"); // keyed by row key: co-partitioned, no repartition
                producer.send(new ProducerRecord<>(logTopic, null, l.ts(), key, logs.serialize(logTopic, fetchLog(l, hashes))));
                n++;
            }
            for (World.LogRecord l : world.otherJoinLogs()) {
                producer.send(new ProducerRecord<>(logTopic, null, l.ts(), l.context().get("request_id"),
                        logs.serialize(logTopic, fetchLog(l, Map.of("ranking", "0123456789abcdef")))));
            }
            for (World.BadLog b : world.badLogs()) {
                byte[] value = b.raw() != null ? b.raw() : logs.serialize(logTopic, fetchLog(b.log(), hashes));
                long ts = b.log() != null ? b.log().ts() : World.millis(world.lastDay());
                producer.send(new ProducerRecord<>(logTopic, null, ts, b.key(), value));
            }
            String dump = join.bootstrapParts().get(0).topic();
            for (World.Request r : world.bootstrapRows()) {
                Map<String, Object> values = new LinkedHashMap<>();
                values.put("risk_score", r.bootstrapRisk());
                values.put("is_fraud", r.fraud()); // a label: extra columns are ignored by the merge
                FeatureRow row = FeatureRow.newBuilder().setRowKey(r.requestId()).setTs(r.ts())
                        .setKeys(Map.of("card_id", r.cardId())).setValues(values).setPartHashes(null).build();
                producer.send(new ProducerRecord<>(dump, null, r.ts(), r.requestId(), rows.serialize(dump, row)));
            }
            producer.flush();
        }
        return new Produced(n, world.badLogs().size(), world.otherJoinLogs().size(), world.bootstrapRows().size());
    }

    private static FetchLog fetchLog(World.LogRecord l, Map<String, String> hashes) {
        return FetchLog.newBuilder().setJoin(l.join()).setVersion(l.version()).setTs(l.ts())
                .setKeys(new HashMap<>(l.keys())).setContext(new HashMap<>(l.context()))
                .setValues(new LinkedHashMap<>(l.values())).setPartHashes(new HashMap<>(hashes)).build();
    }

    static Map<String, Object> streamsConfig(DemoStack stack, Path work) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("bootstrap.servers", stack.bootstrapServers());
        c.put("schema.registry.url", stack.schemaRegistryUrl());
        c.put("application.id", APPLICATION_ID);
        c.put(SpliceStreamsConfig.TOPIC_PREFIX, stack.topics().prefix());
        c.put(SpliceStreamsConfig.TOPIC_PARTITIONS, Integer.toString(stack.partitions()));
        c.put(SpliceStreamsConfig.TOPIC_REPLICATION, Short.toString(stack.replicationFactor()));
        c.put(SpliceStreamsConfig.LOG_KEYED_BY_ROW_KEY, "true");
        c.put(SpliceStreamsConfig.METRICS_PORT, "0");
        c.put("state.dir", work.resolve("streams-state").toString());
        c.put("num.stream.threads", "1");
        c.put("commit.interval.ms", "200");
        c.put("splice.state.store", "in_memory"); // a throwaway run: no RocksDB (the changelog still backs the state up)
        return c;
    }

    private static List<String> backfillArgs(Options o, World world, Path defs, Path left, Path transactions, Path out,
                                             DemoStack stack) {
        return List.of(
                "--definitions", defs.toString(),
                "--join", World.JOIN, "--version", World.VERSION,
                "--start-date", world.firstDay().toString(), "--end-date", world.lastDay().toString(),
                "--chunk-size-days", Integer.toString(o.days()),
                "--left", left.toString(),
                "--input", "transactions=" + transactions,
                "--output", out.toString(),
                "--publish", "--bootstrap-servers", stack.bootstrapServers(), "--schema-registry", stack.schemaRegistryUrl(),
                "--conf", "spark.sql.shuffle.partitions=4",
                "--conf", "spark.default.parallelism=2");
    }

    /**
     * Waits until consumer group {@code group} has committed the end offset of every partition of {@code topics}
     * (non-transactional inputs; with exactly-once, their outputs are committed in the same transaction). Returns
     * the number of records in those topics.
     */
    static long awaitConsumed(Admin admin, String group, List<String> topics, Duration timeout, String who) throws Exception {
        Map<TopicPartition, Long> end = endOffsets(admin, topics);
        long total = end.values().stream().mapToLong(Long::longValue).sum();
        Map<TopicPartition, Long> wanted = new HashMap<>();
        end.forEach((tp, off) -> {
            if (off > 0) {
                wanted.put(tp, off);
            }
        });
        awaitGroup(admin, group, wanted, timeout, who);
        return total;
    }

    /** Waits until {@code group} has committed at least {@code next} (per partition of {@code topic}). */
    static void awaitCommitted(Admin admin, String group, String topic, Map<Integer, Long> next, Duration timeout, String who) throws Exception {
        Map<TopicPartition, Long> wanted = new HashMap<>();
        next.forEach((p, off) -> {
            if (off > 0) {
                wanted.put(new TopicPartition(topic, p), off);
            }
        });
        awaitGroup(admin, group, wanted, timeout, who);
    }

    private static void awaitGroup(Admin admin, String group, Map<TopicPartition, Long> wanted, Duration timeout, String who) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<TopicPartition, Long> behind = new TreeMap<>(Comparator.comparing(TopicPartition::toString));
        while (true) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            behind.clear();
            wanted.forEach((tp, off) -> {
                OffsetAndMetadata c = committed.get(tp);
                long have = c == null ? 0 : c.offset();
                if (have < off) {
                    behind.put(tp, off - have);
                }
            });
            if (behind.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(who + " (consumer group " + group + ") did not catch up within "
                        + timeout.toSeconds() + " s; records behind per partition: " + behind);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, List<String> topics) throws Exception {
        Map<TopicPartition, OffsetSpec> req = new HashMap<>();
        admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).forEach((name, d) ->
                d.partitions().forEach(p -> req.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
        Map<TopicPartition, Long> out = new HashMap<>();
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e
                : admin.listOffsets(req).all().get(30, TimeUnit.SECONDS).entrySet()) {
            out.put(e.getKey(), e.getValue().offset());
        }
        return out;
    }

    /** Wall time of the phases, in order. */
    static final class Phases {
        private final long start = System.nanoTime();
        private long last = start;
        private final Map<String, Double> seconds = new LinkedHashMap<>();

        void mark(String phase) {
            long now = System.nanoTime();
            seconds.put(phase, Math.round((now - last) / 1e8) / 10.0);
            last = now;
        }

        Map<String, Double> seconds() {
            return seconds;
        }
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("warning: " + e.getMessage());
        }
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }
}
