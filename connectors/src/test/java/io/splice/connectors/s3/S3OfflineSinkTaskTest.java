package io.splice.connectors.s3;

import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.InMemorySchemaRegistryClient;
import io.splice.connectors.testing.FakeContext;
import io.splice.connectors.testing.RegistryStub;
import io.splice.connectors.testing.S3Testing;
import io.splice.connectors.testing.TestData;
import io.splice.core.offline.TombstoneHeaders;
import io.splice.local.s3.S3Endpoint;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.splice.connectors.testing.TestData.DAY1;
import static io.splice.connectors.testing.TestData.DAY_MS;
import static io.splice.connectors.testing.TestData.TOPIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The S3 offline sink task driven directly (a small consumer loop stands in for the worker) against S3Proxy. */
class S3OfflineSinkTaskTest {
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private static S3Endpoint s3;
    private static S3Client client;

    @BeforeAll
    static void startS3() {
        s3 = S3Endpoint.transientStore();
        client = S3Testing.client(s3);
    }

    @AfterAll
    static void stopS3() {
        client.close();
        s3.close();
    }

    private static String newBucket() {
        String b = "offline-" + BUCKETS.incrementAndGet();
        client.createBucket(c -> c.bucket(b));
        return b;
    }

    private static Map<String, String> config(String bucket, Map<String, String> extra) {
        Map<String, String> c = TestData.s3Config(s3.endpoint(), bucket);
        c.put("rotate.interval.ms", "-1");
        c.putAll(extra);
        return c;
    }

    /** Record {@code i}: row r{i} of card c{i % 7}; days change every {@code dayEvery} records (alternating). */
    private static SinkRecord record(int i, int dayEvery) {
        long ts = DAY1 + ((i / dayEvery) % 2) * DAY_MS + i * 1000L;
        StitchedRecord v = TestData.payment("r" + i, "c" + (i % 7), ts, 1, i, i * 1.5);
        return TestData.sinkRecord(TOPIC, 0, i, DAY1 + i * 1000L, "r" + i, v);
    }

    /**
     * A stand-in for WorkerSinkTask: feeds batches from the position, honours rewinds and pauses, and commits what
     * preCommit returns. {@link #crash()} forgets the task without stopping it, as a dead worker would.
     */
    private static final class Consumer {
        final List<SinkRecord> log;
        final Function<AtomicLong, S3OfflineSinkTask> factory;
        final Map<String, String> config;
        final AtomicLong clock = new AtomicLong(1_000_000);
        FakeContext context;
        S3OfflineSinkTask task;
        long position;
        long committed;

        Consumer(List<SinkRecord> log, Map<String, String> config, Function<AtomicLong, S3OfflineSinkTask> factory) {
            this.log = log;
            this.config = config;
            this.factory = factory;
            startTask();
        }

        void startTask() {
            context = new FakeContext(true, TP);
            task = factory.apply(clock);
            task.initialize(context);
            task.start(config);
            task.open(List.of(TP));
            position = committed;
        }

        /** Delivers {@code batches} batches of up to {@code size} records (or empty polls while paused). */
        void poll(int batches, int size) {
            for (int b = 0; b < batches; b++) {
                Long rewind = context.rewinds.remove(TP);
                if (rewind != null) {
                    position = rewind;
                }
                List<SinkRecord> batch = new ArrayList<>();
                if (!context.paused.contains(TP)) {
                    while (batch.size() < size && position < log.size()) {
                        batch.add(log.get((int) position++));
                    }
                }
                clock.addAndGet(100);
                task.put(batch);
                commit();
            }
        }

        void commit() {
            Map<TopicPartition, OffsetAndMetadata> c = task.preCommit(Map.of(TP, new OffsetAndMetadata(position)));
            if (c.containsKey(TP)) {
                assertTrue(c.get(TP).offset() >= committed, "commits never go back");
                committed = c.get(TP).offset();
            }
        }

        void crash() {
            task = null;
            startTask();
        }
    }

    private static S3OfflineSinkTask defaultTask(AtomicLong clock) {
        return new S3OfflineSinkTask(S3OfflineSinkTask::defaultClient, clock::get);
    }

    private static List<String> parquetKeys(String bucket) {
        return S3Testing.keys(client, bucket, "offline/").stream().filter(k -> k.endsWith(".parquet")).toList();
    }

    @Test
    void segmentsBecomeOneParquetObjectPerDayNamedByTheirFirstOffsetWithTypedColumns() {
        // Given 25 records, the first 12 on 2025-10-01 and the rest on 2025-10-02, and flush.size=10
        String bucket = newBucket();
        List<SinkRecord> log = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            long ts = DAY1 + (i < 12 ? 0 : DAY_MS) + i * 1000L;
            StitchedRecord v = TestData.payment("r" + i, "c" + i, ts, 1, i, i * 1.5);
            v.setStitchedAt(i == 4 ? 0L : DAY1 + 7 * DAY_MS + i); // r4: stitched before the app set stitched_at
            log.add(TestData.sinkRecord(TOPIC, 0, i, DAY1 + i, "r" + i, v));
        }
        Consumer consumer = new Consumer(log, config(bucket, Map.of("flush.size", "10")), S3OfflineSinkTaskTest::defaultTask);

        // When they are delivered in batches of 4
        consumer.poll(10, 4);

        // Then the two full segments are written, one object per day, named by the first offset of that day
        String folder = "offline/payments_v2/";
        assertEquals(List.of(
                folder + "ds=2025-10-01/" + TOPIC + "+0+00000000000000000000.parquet",
                folder + "ds=2025-10-01/" + TOPIC + "+0+00000000000000000010.parquet",
                folder + "ds=2025-10-02/" + TOPIC + "+0+00000000000000000012.parquet"), parquetKeys(bucket));
        // and only their end is committed: the last 5 records wait for their segment
        assertEquals(20, consumer.committed);

        // And the rows read back with Parquet carry typed feature columns and the bookkeeping columns
        Path first = S3Testing.download(client, bucket, folder + "ds=2025-10-01/" + TOPIC + "+0+00000000000000000000.parquet");
        MessageType schema = S3Testing.parquetSchema(first);
        assertEquals(List.of("row_key", "ts", "keys", "txn_count_1h", "txn_amount_24h", "risk_score", "segment", "is_vip",
                "n_devices", "ratio", "sources", "feature_version", "part_hashes", "revision", "write_time", "stitched_at",
                "is_deleted", "kafka_partition", "kafka_offset"), schema.getFields().stream().map(f -> f.getName()).toList());
        assertEquals(PrimitiveTypeName.INT64, schema.getType("txn_count_1h").asPrimitiveType().getPrimitiveTypeName());
        assertEquals(PrimitiveTypeName.DOUBLE, schema.getType("txn_amount_24h").asPrimitiveType().getPrimitiveTypeName());
        assertEquals(PrimitiveTypeName.BOOLEAN, schema.getType("is_vip").asPrimitiveType().getPrimitiveTypeName());
        assertEquals(PrimitiveTypeName.INT32, schema.getType("n_devices").asPrimitiveType().getPrimitiveTypeName());
        assertEquals(PrimitiveTypeName.FLOAT, schema.getType("ratio").asPrimitiveType().getPrimitiveTypeName());
        assertEquals(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS),
                schema.getType("ts").getLogicalTypeAnnotation());
        assertEquals(LogicalTypeAnnotation.mapType(), schema.getType("sources").getLogicalTypeAnnotation());
        assertEquals("SNAPPY", S3Testing.codec(first));
        List<GenericRecord> rows = S3Testing.rows(first);
        assertEquals(10, rows.size());
        GenericRecord r3 = rows.get(3);
        assertEquals("r3", r3.get("row_key").toString());
        assertEquals(DAY1 + 3000L, r3.get("ts"));
        assertEquals(3L, r3.get("txn_count_1h"));
        assertEquals(4.5, r3.get("txn_amount_24h"));
        assertNull(r3.get("risk_score"));
        assertEquals("seg-0", r3.get("segment").toString());
        assertEquals(false, r3.get("is_vip"));
        assertEquals(3, r3.get("n_devices"));
        assertEquals("c3", stringMap(r3.get("keys")).get("card_id"));
        assertEquals("missing", stringMap(r3.get("sources")).get("risk_score"));
        assertEquals("backfill", stringMap(r3.get("sources")).get("txn_count_1h"));
        assertEquals("0123456789abcdef", stringMap(r3.get("part_hashes")).get("card_txn"));
        assertEquals("v2", r3.get("feature_version").toString());
        assertEquals(1L, r3.get("revision"));
        assertEquals(DAY1 + 3, r3.get("write_time"));
        // stitched_at is when the app produced the revision (not the Kafka time it inherits), null when unknown
        assertEquals(DAY1 + 7 * DAY_MS + 3, r3.get("stitched_at"));
        assertNull(rows.get(4).get("stitched_at"));
        assertEquals(false, r3.get("is_deleted"));
        assertEquals(3L, r3.get("kafka_offset"));
        assertEquals(2, S3Testing.rows(client, bucket, folder + "ds=2025-10-01/" + TOPIC + "+0+00000000000000000010.parquet").size());
        assertEquals(8, S3Testing.rows(client, bucket, folder + "ds=2025-10-02/" + TOPIC + "+0+00000000000000000012.parquet").size());
        first.toFile().delete();
        consumer.task.stop();
    }

    private static Map<String, String> stringMap(Object m) {
        Map<String, String> out = new HashMap<>();
        ((Map<?, ?>) m).forEach((k, v) -> out.put(k.toString(), v.toString()));
        return out;
    }

    @Test
    void flushLagIsTheAgeOfTheOldestRecordNotYetInS3() {
        // Given flush.size=10 and records of one day
        String bucket = newBucket();
        List<SinkRecord> log = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            log.add(record(i, 100));
        }
        Consumer c = new Consumer(log, config(bucket, Map.of("flush.size", "10")), S3OfflineSinkTaskTest::defaultTask);
        assertEquals(0.0, c.context.metric("oldest-unflushed-record-age-ms"), "nothing received yet");

        // When 4 records arrive and 5 s pass
        c.poll(1, 4);
        c.clock.addAndGet(5_000);
        // Then the flush lag is 5 s, and 4 more records (100 ms later) do not make it younger
        assertEquals(5_000.0, c.context.metric("oldest-unflushed-record-age-ms"));
        c.poll(1, 4);
        assertEquals(5_100.0, c.context.metric("oldest-unflushed-record-age-ms"));

        // When the segment of 10 is written and the last 2 records start the next one
        c.poll(1, 4);
        // Then the lag is the age of those 2
        assertEquals(0.0, c.context.metric("oldest-unflushed-record-age-ms"));
        c.clock.addAndGet(700);
        assertEquals(700.0, c.context.metric("oldest-unflushed-record-age-ms"));
        assertEquals(1.0, c.context.metric("objects-total"));
        assertEquals(10.0, c.context.metric("rows-total"));
        assertEquals(0.0, c.context.metric("failed-flushes-total"));

        // and after the partition is closed (rebalance) nothing is waiting on this task
        c.task.close(List.of(TP));
        assertEquals(0.0, c.context.metric("oldest-unflushed-record-age-ms"));
        c.task.stop();
    }

    @Test
    void recordTimeRotationCutsAtTheSameOffsetsWhateverTheBatching() {
        // Given records one second apart and rotate.interval.ms=7s (flush.size large)
        List<SinkRecord> log = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            log.add(TestData.sinkRecord(TOPIC, 0, i, DAY1 + i * 1000L, "r" + i, TestData.payment("r" + i, "c", DAY1, 1, i, 1.0)));
        }
        Map<Integer, List<String>> keysByBatchSize = new TreeMap<>();
        for (int batch : new int[]{1, 4, 30}) {
            String bucket = newBucket();
                Consumer c = new Consumer(log, config(bucket, Map.of("flush.size", "1000", "rotate.interval.ms", "7000")),
                    S3OfflineSinkTaskTest::defaultTask);
            // When they are delivered one by one, four at a time, or all at once
            c.poll(31, batch);
            keysByBatchSize.put(batch, parquetKeys(bucket).stream().map(k -> k.substring(k.lastIndexOf('+') + 1)).toList());
            assertEquals(28, c.committed);
            c.task.stop();
        }
        // Then the objects are the same: a new one every 7 seconds of record time
        List<String> expected = List.of("00000000000000000000.parquet", "00000000000000000007.parquet",
                "00000000000000000014.parquet", "00000000000000000021.parquet");
        assertEquals(Map.of(1, expected, 4, expected, 30, expected), keysByBatchSize);
    }

    @Test
    void killingTheTaskMidBatchAndRestartingLosesAndDuplicatesNoOffset() {
        // Given 195 records whose day alternates every 4 records (segments of 15 span both days: 2 objects each),
        // and an S3 client that dies on the 4th, 9th and 10th PUT (first object of a segment written, second not)
        String bucket = newBucket();
        List<SinkRecord> log = new ArrayList<>();
        for (int i = 0; i < 195; i++) {
            log.add(record(i, 4));
        }
        AtomicInteger puts = new AtomicInteger();
        Function<S3OfflineSinkConfig, S3AsyncClient> flaky = cfg -> new FailingS3(S3OfflineSinkTask.defaultClient(cfg),
                n -> n == 4 || n == 9 || n == 10, puts);
        Map<String, String> cfg = config(bucket, Map.of("flush.size", "15", "retry.backoff.ms", "200"));
        Consumer consumer = new Consumer(log, cfg, clock -> new S3OfflineSinkTask(flaky, clock::get));

        // When it runs for a while (failed uploads rewind and pause the partition), is killed mid-way without
        // stopping (no commit of its open segment), restarted, and runs to the end
        consumer.poll(20, 7);
        assertTrue(consumer.committed > 0 && consumer.committed < 195, "killed mid-way, committed " + consumer.committed);
        assertFalse(consumer.context.rewinds.isEmpty() && consumer.task.stats().failedFlushes == 0);
        consumer.crash();
        consumer.poll(200, 7);

        // Then everything is committed, and every offset is in exactly one row across all objects
        assertEquals(195, consumer.committed);
        Map<Long, Integer> seen = new TreeMap<>();
        for (String key : parquetKeys(bucket)) {
            for (GenericRecord r : S3Testing.rows(client, bucket, key)) {
                seen.merge((Long) r.get("kafka_offset"), 1, Integer::sum);
                String day = key.substring(key.indexOf("ds=") + 3, key.indexOf("ds=") + 13);
                assertEquals(day, java.time.LocalDate.ofInstant(java.time.Instant.ofEpochMilli((Long) r.get("ts")),
                        java.time.ZoneOffset.UTC).toString(), "row in the folder of its day");
            }
        }
        assertEquals(195, seen.size(), "no missing offset");
        assertEquals(List.of(1), seen.values().stream().distinct().toList(), "no duplicate offset");
        assertEquals(0L, seen.keySet().iterator().next());
        assertTrue(puts.get() > 26, "failures forced rewrites: " + puts.get() + " PUTs for 26 objects");
        consumer.task.stop();
    }

    @ParameterizedTest
    @ValueSource(strings = {"when_supported", "when_required"})
    void largeObjectsUseAMultipartUploadWithServerSideEncryption(String checksum) {
        // Given uncompressible rows worth more than one 5 MiB part, SSE AES256, either checksum setting (path-style
        // addressing and the endpoint override of S3Proxy, as every test here)
        String bucket = newBucket();
        Random random = new Random(7);
        List<SinkRecord> log = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            StitchedRecord v = TestData.payment("r" + i, "c" + i, DAY1, 1, i, 1.0);
            byte[] noise = new byte[1200];
            random.nextBytes(noise);
            v.getValues().put("segment", java.util.Base64.getEncoder().encodeToString(noise));
            log.add(TestData.sinkRecord(TOPIC, 0, i, DAY1, "r" + i, v));
        }
        Consumer c = new Consumer(log, config(bucket, Map.of("flush.size", "4000", "parquet.codec", "UNCOMPRESSED",
                "s3.part.size.bytes", Long.toString(5L * 1024 * 1024), "s3.sse", "AES256", "s3.checksum.calculation", checksum)),
                S3OfflineSinkTaskTest::defaultTask);

        // When the segment is written
        c.poll(9, 500);

        // Then it is one multipart object with every row, encrypted with S3-managed keys
        List<String> keys = parquetKeys(bucket);
        assertEquals(1, keys.size());
        var head = client.headObject(b -> b.bucket(bucket).key(keys.get(0)));
        assertTrue(head.contentLength() > 5L * 1024 * 1024, "size " + head.contentLength());
        assertEquals(1, c.task.stats().multipartObjects);
        int parts = (int) ((head.contentLength() + 5L * 1024 * 1024 - 1) / (5L * 1024 * 1024));
        assertTrue(head.eTag().matches("\"?[0-9a-f]+-" + parts + "\"?"), "the store assembled " + parts + " parts: " + head.eTag());
        assertEquals(ServerSideEncryption.AES256, head.serverSideEncryption());
        assertEquals(4000, S3Testing.rows(client, bucket, keys.get(0)).size());
        assertEquals(4000, c.committed);
        c.task.stop();
    }

    @Test
    void badRecordsGoToTheDeadLetterQueueWithTheirReasonAndTombstonesBecomeDeletedRows() {
        // Given good records, an undecodable one, one with a string for a long feature, one of an unknown join, a tombstone
        String bucket = newBucket();
        StitchedRecord wrongType = TestData.payment("r2", "c2", DAY1, 1, 2, 1.0);
        wrongType.getValues().put("txn_count_1h", "many");
        StitchedRecord unknownJoin = TestData.payment("r3", "c3", DAY1, 1, 3, 1.0);
        unknownJoin.setVersion("v9");
        List<SinkRecord> log = List.of(
                TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r0", TestData.payment("r0", "c0", DAY1, 1, 0, 1.0)),
                TestData.rawRecord(TOPIC, 0, 1, DAY1, "r1", TestData.utf8("not avro")),
                TestData.sinkRecord(TOPIC, 0, 2, DAY1, "r2", wrongType),
                TestData.sinkRecord(TOPIC, 0, 3, DAY1, "r3", unknownJoin),
                TestData.sinkRecord(TOPIC, 0, 4, DAY1 + DAY_MS, "r0", null),
                TestData.sinkRecord(TOPIC, 0, 5, DAY1, "r5", TestData.payment("r5", "c5", DAY1, 2, 5, 1.0)));
        Consumer c = new Consumer(log, config(bucket, Map.of("flush.size", "6")), S3OfflineSinkTaskTest::defaultTask);

        // When they are delivered
        c.poll(2, 10);

        // Then the three bad ones reached the DLQ with the reason, the rest is in S3, and all six offsets are committed
        Map<Long, String> dlq = c.context.deadLetters.stream().collect(Collectors.toMap(d -> d.record().kafkaOffset(),
                d -> d.error().getMessage()));
        assertEquals(List.of(1L, 2L, 3L), dlq.keySet().stream().sorted().toList());
        assertTrue(dlq.get(1L).startsWith("undecodable:"), dlq.get(1L));
        assertTrue(dlq.get(2L).contains("txn_count_1h") && dlq.get(2L).contains("long"), dlq.get(2L));
        assertTrue(dlq.get(3L).contains("payments.v9"), dlq.get(3L));
        assertEquals(6, c.committed);
        // and the tombstone of r0 (Kafka time a day later) is filed with the row it deletes: its day and revision 1
        List<String> keys = parquetKeys(bucket);
        assertEquals(1, keys.size());
        List<GenericRecord> day1 = S3Testing.rows(client, bucket, keys.get(0));
        assertEquals(List.of(0L, 4L, 5L), day1.stream().map(r -> (Long) r.get("kafka_offset")).toList());
        GenericRecord tombstone = day1.get(1);
        assertEquals(true, tombstone.get("is_deleted"));
        assertEquals("r0", tombstone.get("row_key").toString());
        assertEquals(1L, tombstone.get("revision"));
        assertEquals(DAY1, tombstone.get("ts"));
        assertEquals(DAY1 + DAY_MS, tombstone.get("write_time"));
        c.task.stop();
    }

    private static SinkRecord tombstoneWithHeaders(long offset, long kafkaTime, String rowKey, long revision, long ts) {
        SinkRecord r = TestData.sinkRecord(TOPIC, 0, offset, kafkaTime, rowKey, null);
        r.headers().addBytes(TombstoneHeaders.REVISION, TombstoneHeaders.encode(revision)); // ByteArrayConverter's view
        r.headers().addString(TombstoneHeaders.TS, Long.toString(ts));                      // a string converter's view
        r.headers().addBytes(TombstoneHeaders.STITCHED_AT, TombstoneHeaders.encode(kafkaTime + 60_000));
        return r;
    }

    private static String dayOf(String key) {
        return key.substring(key.indexOf("ds=") + 3, key.indexOf("ds=") + 13);
    }

    @Test
    void aBatchDeliveredAgainAfterARegistryOutageWritesNoOffsetTwice() {
        // Given a registry that knows two schema ids of StitchedRecord (a doc-only variant registered later), and a task
        // that has already decoded records of the first
        try (RegistryStub registry = new RegistryStub()) {
            String bucket = newBucket();
            Schema variant = new Schema.Parser().parse(StitchedRecord.getClassSchema().toString()
                    .replaceFirst("\"doc\":\"", "\"doc\":\"variant: "));
            int variantId = InMemorySchemaRegistryClient.forScope(TestData.REGISTRY_SCOPE).register("variant-value", variant);
            SinkRecord first = record(0, 100);
            SinkRecord second = record(1, 100);
            SinkRecord third = record(2, 100);
            byte[] framed = ((byte[]) third.value()).clone();
            ByteBuffer.wrap(framed, 1, 4).putInt(variantId);
            SinkRecord thirdVariant = TestData.rawRecord(TOPIC, 0, 2, third.timestamp(), "r2", framed);
            FakeContext ctx = new FakeContext(true, TP);
            S3OfflineSinkTask task = new S3OfflineSinkTask(S3OfflineSinkTask::defaultClient, () -> 1_000_000L);
            task.initialize(ctx);
            task.start(config(bucket, Map.of("schema.registry.url", registry.url(), "flush.size", "3")));
            task.open(List.of(TP));
            task.put(List.of(first));

            // When the registry fails on the batch's second record (a schema id not seen yet), Connect gets a
            // RetriableException and delivers the same batch again once the registry answers
            registry.mode(RegistryStub.Mode.UNAVAILABLE);
            assertThrows(RetriableException.class, () -> task.put(List.of(second, thirdVariant)));
            registry.mode(RegistryStub.Mode.UP);
            task.put(List.of(second, thirdVariant));

            // Then every offset is written once
            assertEquals(3L, task.preCommit(Map.of(TP, new OffsetAndMetadata(3))).get(TP).offset());
            List<Long> offsets = new ArrayList<>();
            for (String key : parquetKeys(bucket)) {
                S3Testing.rows(client, bucket, key).forEach(r -> offsets.add((Long) r.get("kafka_offset")));
            }
            offsets.sort(null);
            assertEquals(List.of(0L, 1L, 2L), offsets);
            assertTrue(ctx.deadLetters.isEmpty());
            task.stop();
        }
    }

    @Test
    void tombstonesAreFiledUnderTheDayOfTheRowTheyDeleteWithTheRevisionTheyEnd() {
        // Given row r0 (ts on 2025-10-01, revisions 1 and 2) and, three days later in Kafka time: its tombstone
        // without headers (the sink remembers r0), a tombstone with splice.revision/splice.ts headers of r7 (a row
        // this task never saw, ts on 2025-10-02), a tombstone of r9 that nothing tells about, r0 re-created
        // (revision 3) and deleted again; segments of 2 records, and the first upload of the segment
        // holding r0's first tombstone fails (a rewind and replay)
        String bucket = newBucket();
        long later = DAY1 + 3 * DAY_MS;
        List<SinkRecord> log = List.of(
                TestData.sinkRecord(TOPIC, 0, 0, DAY1 + 10, "r0", TestData.payment("r0", "c0", DAY1 + 5, 1, 0, 1.0)),
                TestData.sinkRecord(TOPIC, 0, 1, DAY1 + 20, "r0", TestData.payment("r0", "c0", DAY1 + 6, 2, 0, 2.0)),
                TestData.sinkRecord(TOPIC, 0, 2, later, "r0", null),
                tombstoneWithHeaders(3, later, "r7", 4, DAY1 + DAY_MS + 7),
                TestData.sinkRecord(TOPIC, 0, 4, later, "r9", null),
                TestData.sinkRecord(TOPIC, 0, 5, later, "r0", TestData.payment("r0", "c0", DAY1 + 8, 3, 0, 3.0)),
                TestData.sinkRecord(TOPIC, 0, 6, later + 1, "r0", null),
                TestData.sinkRecord(TOPIC, 0, 7, later + 2, "r1", TestData.payment("r1", "c1", later, 1, 0, 1.0)));
        AtomicInteger puts = new AtomicInteger();
        Function<S3OfflineSinkConfig, S3AsyncClient> flaky = cfg -> new FailingS3(S3OfflineSinkTask.defaultClient(cfg),
                n -> n == 2, puts);
        Consumer c = new Consumer(log, config(bucket, Map.of("flush.size", "2", "retry.backoff.ms", "0")),
                clock -> new S3OfflineSinkTask(flaky, clock::get));

        // When they are delivered
        c.poll(12, 3);

        // Then every offset is written once, and each tombstone sits in the day of the revision it ends
        assertEquals(8, c.committed);
        assertTrue(c.task.stats().failedFlushes > 0, "the injected failure happened");
        Map<Long, GenericRecord> byOffset = new TreeMap<>();
        Map<Long, String> dayByOffset = new TreeMap<>();
        for (String key : parquetKeys(bucket)) {
            for (GenericRecord r : S3Testing.rows(client, bucket, key)) {
                assertNull(byOffset.put((Long) r.get("kafka_offset"), r), "offset written twice: " + r);
                dayByOffset.put((Long) r.get("kafka_offset"), dayOf(key));
            }
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), List.copyOf(byOffset.keySet()));
        // r0's tombstone, from the sink's memory: r0's day, revision 2 and its ts
        assertEquals("2025-10-01", dayByOffset.get(2L));
        assertEquals(true, byOffset.get(2L).get("is_deleted"));
        assertEquals(2L, byOffset.get(2L).get("revision"));
        assertEquals(DAY1 + 6, byOffset.get(2L).get("ts"));
        assertEquals(later, byOffset.get(2L).get("write_time"));
        // r7's, from its headers
        assertEquals("2025-10-02", dayByOffset.get(3L));
        assertEquals(4L, byOffset.get(3L).get("revision"));
        assertEquals(DAY1 + DAY_MS + 7, byOffset.get(3L).get("ts"));
        assertEquals(later + 60_000, byOffset.get(3L).get("stitched_at"));
        assertNull(byOffset.get(2L).get("stitched_at"), "a tombstone without the header: unknown");
        // r9's: nothing known, the Kafka time's day and a null revision
        assertEquals("2025-10-04", dayByOffset.get(4L));
        assertNull(byOffset.get(4L).get("revision"));
        // r0 re-created and deleted again: the tombstone ends revision 3
        assertEquals("2025-10-01", dayByOffset.get(6L));
        assertEquals(3L, byOffset.get(6L).get("revision"));
        assertEquals(DAY1 + 8, byOffset.get(6L).get("ts"));
        assertEquals(1, c.task.stats().tombstonesFromHeaders);
        assertEquals(2, c.task.stats().tombstonesFromMemory);
        assertEquals(1, c.task.stats().tombstonesUnknownRow);
        c.task.stop();
    }

    @Test
    void withoutMemoryATombstoneWithoutHeadersFallsBackToItsKafkaTime() {
        // Given tombstone.memory.rows=0 and r0 written, then deleted a day later (Kafka time) without headers
        String bucket = newBucket();
        List<SinkRecord> log = List.of(
                TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r0", TestData.payment("r0", "c0", DAY1, 1, 0, 1.0)),
                TestData.sinkRecord(TOPIC, 0, 1, DAY1 + DAY_MS, "r0", null),
                tombstoneWithHeaders(2, DAY1 + DAY_MS, "r5", 2, DAY1));
        Consumer c = new Consumer(log, config(bucket, Map.of("flush.size", "3", "tombstone.memory.rows", "0")),
                S3OfflineSinkTaskTest::defaultTask);
        // When
        c.poll(2, 10);
        // Then r0's tombstone is under its Kafka day with no revision; r5's headers still place it
        List<String> keys = parquetKeys(bucket);
        assertEquals(List.of("2025-10-01", "2025-10-02"), keys.stream().map(S3OfflineSinkTaskTest::dayOf).toList());
        List<GenericRecord> day2 = S3Testing.rows(client, bucket, keys.get(1));
        assertEquals(1, day2.size());
        assertNull(day2.get(0).get("revision"));
        assertEquals(List.of(0L, 2L), S3Testing.rows(client, bucket, keys.get(0)).stream()
                .map(r -> (Long) r.get("kafka_offset")).toList());
        c.task.stop();
    }

    @ParameterizedTest
    @ValueSource(strings = {"UNCOMPRESSED", "SNAPPY", "ZSTD", "GZIP"})
    void everyCodecWritesFilesParquetJavaReads(String codec) {
        String bucket = newBucket();
        List<SinkRecord> log = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            log.add(record(i, 1000));
        }
        Consumer c = new Consumer(log, config(bucket, Map.of("flush.size", "50", "parquet.codec", codec)), S3OfflineSinkTaskTest::defaultTask);
        c.poll(2, 50);
        String key = parquetKeys(bucket).get(0);
        Path f = S3Testing.download(client, bucket, key);
        assertEquals(codec, S3Testing.codec(f));
        List<GenericRecord> rows = S3Testing.rows(f);
        assertEquals(50, rows.size());
        assertEquals(49L * 1, rows.get(49).get("txn_count_1h"));
        f.toFile().delete();
        c.task.stop();
    }

    /** Delegates to the sink's real client; PUT number n (1-based, one per object, multipart or not) fails when asked. */
    static final class FailingS3 implements S3AsyncClient {
        private final S3AsyncClient delegate;
        private final java.util.function.IntPredicate failOn;
        private final AtomicInteger calls;

        FailingS3(S3AsyncClient delegate, java.util.function.IntPredicate failOn, AtomicInteger calls) {
            this.delegate = delegate;
            this.failOn = failOn;
            this.calls = calls;
        }

        @Override
        public CompletableFuture<PutObjectResponse> putObject(PutObjectRequest r, AsyncRequestBody body) {
            if (failOn.test(calls.incrementAndGet())) {
                return CompletableFuture.failedFuture(SdkClientException.create("injected: connection reset"));
            }
            return delegate.putObject(r, body);
        }

        @Override
        public String serviceName() {
            return delegate.serviceName();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    @SuppressWarnings("unused")
    private static Collection<SinkRecord> none() {
        return List.of();
    }
}
