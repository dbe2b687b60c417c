package io.splice.connectors.featurestore;

import io.splice.avro.StitchedRecord;
import io.splice.connectors.testing.FakeContext;
import io.splice.connectors.testing.RegistryStub;
import io.splice.connectors.testing.TestData;
import io.splice.local.featurestore.FeatureGroupSpec;
import io.splice.local.featurestore.FeatureStoreEndpoint;
import io.splice.local.featurestore.Write;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.http.crt.AwsCrtAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.splice.connectors.testing.TestData.CARDS_TOPIC;
import static io.splice.connectors.testing.TestData.DAY1;
import static io.splice.connectors.testing.TestData.TOPIC;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Feature Store sink task driven directly, against the local Feature Store endpoint through the real SDK. */
class FeatureStoreSinkTaskTest {
    private FeatureStoreEndpoint endpoint;
    private final List<FeatureStoreSinkTask> tasks = new ArrayList<>();

    @BeforeEach
    void start() {
        endpoint = FeatureStoreEndpoint.start();
        endpoint.createFeatureGroup(paymentsGroup());
        endpoint.createFeatureGroup(FeatureGroupSpec.of("cards_v1", "card_id", "EventTime")
                .withFeature("card_id", "String").withFeature("EventTime", "String").withFeature("limit_usd", "Integral"));
    }

    static FeatureGroupSpec paymentsGroup() {
        return FeatureGroupSpec.of("payments_v2", "card_id", "EventTime")
                .withFeature("card_id", "String").withFeature("EventTime", "String")
                .withFeature("txn_count_1h", "Integral").withFeature("txn_amount_24h", "Fractional")
                .withFeature("risk_score", "Fractional").withFeature("segment", "String")
                .withFeature("is_vip", "String").withFeature("n_devices", "Integral").withFeature("ratio", "Fractional");
    }

    @AfterEach
    void stop() {
        tasks.forEach(FeatureStoreSinkTask::stop);
        endpoint.close();
    }

    private Map<String, String> config(Map<String, String> extra) {
        Map<String, String> c = new HashMap<>();
        c.put("splice.definitions.yaml", TestData.DEFINITIONS);
        c.put("schema.registry.url", TestData.REGISTRY_URL);
        c.put("aws.region", "us-east-1");
        c.put("aws.access.key.id", "local");
        c.put("aws.secret.access.key", "local");
        c.put("aws.endpoint.override", endpoint.endpoint().toString());
        c.put("featurestore.control.endpoint.override", endpoint.endpoint().toString());
        c.put("featurestore.retry.backoff.initial.ms", "5");
        c.put("featurestore.retry.backoff.max.ms", "100");
        c.putAll(extra);
        return c;
    }

    private FeatureStoreSinkTask task(FakeContext ctx, Map<String, String> extra) {
        FeatureStoreSinkTask t = new FeatureStoreSinkTask();
        t.initialize(ctx);
        t.start(config(extra));
        tasks.add(t);
        return t;
    }

    private static String iso(long ms) {
        return Instant.ofEpochMilli(ms).toString().replace("Z", "").concat(ms % 1000 == 0 ? ".000Z" : "Z");
    }

    @ParameterizedTest(name = "featurestore.http.client={0}")
    @ValueSource(strings = {"crt", "netty"})
    void everyRecordLandsWithItsValuesAsStringsAndOnlyAcknowledgedOffsetsAreCommitted(String httpClient) {
        // Given 300 revisions of 40 cards over two partitions, the Feature Store answering after 50 ms
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of("featurestore.max.in.flight", "16", "featurestore.coalesce", "false",
                "featurestore.http.client", httpClient));
        endpoint.faults().latency(Duration.ofMillis(50));
        List<SinkRecord> records = new ArrayList<>();
        Map<String, StitchedRecord> latest = new LinkedHashMap<>();
        for (int i = 0; i < 300; i++) {
            StitchedRecord v = TestData.payment("r" + i, "c" + (i % 40), DAY1 + i * 1000L, 1, i, i * 0.25);
            records.add(TestData.sinkRecord(TOPIC, i % 2, i / 2, DAY1 + i, "r" + i, v));
            latest.put("c" + (i % 40), v);
        }

        // When they are put; preCommit right away and once everything is acknowledged
        task.put(records);
        Map<TopicPartition, OffsetAndMetadata> early = task.preCommit(current(150));
        assertTrue(task.awaitIdle(30_000));
        Map<TopicPartition, OffsetAndMetadata> done = task.preCommit(current(150));

        // Then early commits stop below the unacknowledged records and the final ones cover everything
        assertTrue(early.values().stream().allMatch(o -> o.offset() < 150), early.toString());
        assertEquals(Map.of(new TopicPartition(TOPIC, 0), 150L, new TopicPartition(TOPIC, 1), 150L),
                done.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset())));
        // and every card holds its latest revision, every value a string, nulls omitted
        assertEquals(40, endpoint.identifiers("payments_v2").size());
        StitchedRecord c7 = latest.get("c7");
        Map<String, String> stored = endpoint.record("payments_v2", "c7").orElseThrow();
        assertEquals(Map.of("card_id", "c7", "EventTime", iso(c7.getTs()),
                "txn_count_1h", c7.getValues().get("txn_count_1h").toString(),
                "txn_amount_24h", new java.math.BigDecimal(c7.getValues().get("txn_amount_24h").toString()).stripTrailingZeros().toPlainString(),
                "segment", c7.getValues().get("segment").toString(), "is_vip", c7.getValues().get("is_vip").toString(),
                "n_devices", c7.getValues().get("n_devices").toString(), "ratio", "0.5"), stored);
        assertEquals(300, endpoint.writes().size());
        assertEquals(300L, task.stats().puts.get());
    }

    @Test
    void theHttpClientSettingPicksTheSdksCrtClientByDefaultAndNettyOnRequest() {
        assertEquals("crt", new FeatureStoreSinkConfig(config(Map.of())).getString(FeatureStoreSinkConfig.HTTP_CLIENT));
        assertInstanceOf(AwsCrtAsyncHttpClient.Builder.class, FeatureStoreSinkTask.httpClient("crt", 8, Duration.ofSeconds(1)));
        assertInstanceOf(NettyNioAsyncHttpClient.Builder.class, FeatureStoreSinkTask.httpClient("netty", 8, Duration.ofSeconds(1)));
        assertThrows(org.apache.kafka.common.config.ConfigException.class,
                () -> new FeatureStoreSinkConfig(config(Map.of("featurestore.http.client", "apache"))));
    }

    private static Map<TopicPartition, OffsetAndMetadata> current(long next) {
        return Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(next), new TopicPartition(TOPIC, 1),
                new OffsetAndMetadata(next));
    }

    @ParameterizedTest(name = "featurestore.http.client={0}")
    @ValueSource(strings = {"crt", "netty"})
    void underThrottlingAndUnavailabilityNothingIsLostAndNothingIsWrittenTwiceOrOutOfOrder(String httpClient) {
        // Given 30 % of calls throttled and 5 % answered 503
        endpoint.faults().seed(42).throttle(0.30).unavailable(0.05);
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of("featurestore.max.in.flight", "64", "featurestore.retry.max.attempts", "40",
                "featurestore.coalesce", "false", "featurestore.http.client", httpClient));
        List<SinkRecord> records = new ArrayList<>();
        Map<String, List<String>> produced = new HashMap<>();
        int n = 1200;
        for (int i = 0; i < n; i++) {
            String card = "c" + (i % 40);
            StitchedRecord v = TestData.payment("r" + i, card, DAY1 + i * 1000L, 1, i, 1.0);
            records.add(TestData.sinkRecord(TOPIC, i % 3, i / 3, DAY1 + i, "r" + i, v));
            produced.computeIfAbsent(card, k -> new ArrayList<>()).add(Long.toString(i));
        }

        // When they are put in batches of 400
        for (int i = 0; i < n; i += 400) {
            task.put(records.subList(i, i + 400));
        }
        assertTrue(task.awaitIdle(60_000));

        // Then each card's accepted writes are exactly its records, once each, in topic order
        Map<String, List<String>> written = new HashMap<>();
        for (Write w : endpoint.writes()) {
            written.computeIfAbsent(w.recordIdentifier(), k -> new ArrayList<>()).add(w.record().get("txn_count_1h"));
            assertTrue(w.applied(), "each write is newer than the previous one of its card");
        }
        assertEquals(produced, written);
        assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
        assertTrue(endpoint.injectedFaults() > n / 4, "faults were injected: " + endpoint.injectedFaults());
        assertEquals(endpoint.injectedFaults(), task.stats().retries.get());
        assertEquals(List.of(400L, 400L, 400L), committedOfThreePartitions(task));
    }

    @Test
    void refusedRecordsReachTheDeadLetterQueueWithTheirReasonAndTheRestGoesOn() {
        // Given a feature group that does not define 'segment', a record with a string for a long feature, and
        // later a Feature Store that throttles everything
        endpoint.createFeatureGroup(new FeatureGroupSpec("payments_v2", "card_id", "EventTime",
                paymentsGroup().featureDefinitions().entrySet().stream().filter(e -> !e.getKey().equals("segment"))
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), null));
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of("featurestore.retry.max.attempts", "3"));
        StitchedRecord ok = TestData.payment("r0", "c0", DAY1, 1, 0, 1.0);
        ok.getValues().put("segment", null);
        StitchedRecord undefinedFeature = TestData.payment("r1", "c1", DAY1, 1, 1, 1.0);
        StitchedRecord wrongType = TestData.payment("r2", "c2", DAY1, 1, 2, 1.0);
        wrongType.getValues().put("segment", null);
        wrongType.getValues().put("txn_count_1h", "lots");
        StitchedRecord throttled = TestData.payment("r3", "c3", DAY1, 1, 3, 1.0);
        throttled.getValues().put("segment", null);

        // When they are put
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r0", ok), TestData.sinkRecord(TOPIC, 0, 1, DAY1, "r1", undefinedFeature),
                TestData.sinkRecord(TOPIC, 0, 2, DAY1, "r2", wrongType)));
        assertTrue(task.awaitIdle(10_000));
        endpoint.faults().throttle(1.0);
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 3, DAY1, "r3", throttled)));
        assertTrue(task.awaitIdle(10_000));

        // Then the good record landed, the three others are in the DLQ with why, and all offsets are committable
        assertTrue(endpoint.record("payments_v2", "c0").isPresent());
        Map<Long, String> dlq = ctx.deadLetters.stream().collect(Collectors.toMap(d -> d.record().kafkaOffset(), d -> d.error().getMessage()));
        assertEquals(List.of(1L, 2L, 3L), dlq.keySet().stream().sorted().toList());
        assertTrue(dlq.get(1L).startsWith("PutRecord refused: ValidationError (HTTP 400)") && dlq.get(1L).contains("segment"), dlq.get(1L));
        assertTrue(dlq.get(2L).startsWith("wrong-type:"), dlq.get(2L));
        assertTrue(dlq.get(3L).contains("gave up after 3 attempts: ThrottlingException (HTTP 400)"), dlq.get(3L));
        assertEquals(4L, task.preCommit(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(4))).get(new TopicPartition(TOPIC, 0)).offset());
        // and the task's metrics count them: 3 throttled attempts of which 2 were retried (the last one was not)
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(3.0, ctx.metric("throttles-total")));
        assertEquals(2.0, ctx.metric("retries-total"));
        assertEquals(3.0, ctx.metric("dead-letters-total"));
        assertEquals(1.0, ctx.metric("puts-total"));

        // When the store is unavailable instead (503, retried too, but not throttling)
        endpoint.faults().clear().unavailable(1.0);
        StitchedRecord unavailable = TestData.payment("r4", "c4", DAY1, 1, 4, 1.0);
        unavailable.getValues().put("segment", null);
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 4, DAY1, "r4", unavailable)));
        assertTrue(task.awaitIdle(10_000));

        // Then retries grow and throttles do not
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(4.0, ctx.metric("retries-total")));
        assertEquals(3.0, ctx.metric("throttles-total"));
        assertEquals(4.0, ctx.metric("dead-letters-total"));
    }

    @Test
    void anAuthorizationErrorFailsTheTaskWithoutRetriesOrDeadLetters() throws Exception {
        // Given a Feature Store that refuses the sink's principal (403 AccessDeniedException) to every call
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer denying = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        denying.createContext("/", ex -> {
            calls.incrementAndGet();
            byte[] body = "{\"__type\":\"AccessDeniedException\",\"message\":\"not allowed\"}".getBytes();
            ex.getResponseHeaders().add("x-amzn-ErrorType", "AccessDeniedException");
            ex.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
            ex.sendResponseHeaders(403, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        denying.start();
        try {
            FakeContext ctx = new FakeContext(true);
            FeatureStoreSinkTask task = task(ctx, Map.of("aws.endpoint.override", "http://127.0.0.1:" + denying.getAddress().getPort(),
                    "featurestore.describe.feature.groups", "false"));

            // When a record is put
            task.put(List.of(TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r1", TestData.payment("r1", "c1", DAY1, 1, 1, 1.0))));

            // Then the call is not retried, nothing is dead-lettered or committable, and the task fails
            assertTrue(!task.awaitIdle(10_000));
            assertEquals(1, calls.get());
            assertEquals(0L, task.stats().retries.get());
            assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
            ConnectException failed = assertThrows(ConnectException.class, () -> task.preCommit(current(1)));
            assertTrue(failed.getMessage().contains("AccessDeniedException (HTTP 403)"), failed.getMessage());
            assertThrows(ConnectException.class, () -> task.put(List.of()));
        } finally {
            denying.stop(0);
        }
    }

    @Test
    void theRetrySettingsMapOntoTheSdksBackoff() {
        // featurestore.retry.backoff.initial.ms=100, .max.ms=1000: before attempt k, a delay in [d/2, d], d = min(1000, 100 * 2^(k-2))
        var backoff = FeatureStoreRetries.backoff(100, 1000);
        assertEquals(0L, backoff.computeDelay(1).toMillis());
        for (int i = 0; i < 200; i++) {
            long second = backoff.computeDelay(2).toMillis();
            long fourth = backoff.computeDelay(4).toMillis();
            long tenth = backoff.computeDelay(10).toMillis();
            assertTrue(second >= 50 && second <= 100, "attempt 2: " + second);
            assertTrue(fourth >= 200 && fourth <= 400, "attempt 4: " + fourth);
            assertTrue(tenth >= 500 && tenth <= 1000, "attempt 10: " + tenth);
        }
        // 0 ms: retried at once
        assertEquals(0L, FeatureStoreRetries.backoff(0, 20_000).computeDelay(5).toMillis());
        assertEquals(3, FeatureStoreRetries.strategy(3, backoff).maxAttempts());
    }

    @Test
    void coalescingSendsOnlyTheNewestEventTimePutOfEachIdentifierPerBatchAndCommitsWhatItCovers() {
        // Given 1,200 rows of 40 cards over 3 partitions, every 7th a late row older than its card's rows so far, with
        // 30 % of calls throttled
        endpoint.faults().seed(7).throttle(0.30);
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of("featurestore.max.in.flight", "64", "featurestore.retry.max.attempts", "40"));
        List<SinkRecord> records = new ArrayList<>();
        Map<String, StitchedRecord> newest = new HashMap<>();
        int n = 1200;
        for (int i = 0; i < n; i++) {
            String card = "c" + (i % 40);
            long ts = i % 7 == 3 ? DAY1 - i * 1000L : DAY1 + i * 1000L;
            StitchedRecord v = TestData.payment("r" + i, card, ts, 1, i, 1.0);
            records.add(TestData.sinkRecord(TOPIC, i % 3, i / 3, DAY1 + i, "r" + i, v));
            newest.merge(card, v, (a, b) -> b.getTs() >= a.getTs() ? b : a);
        }

        // When they are put in batches of 400
        for (int i = 0; i < n; i += 400) {
            task.put(records.subList(i, i + 400));
        }
        assertTrue(task.awaitIdle(60_000));

        // Then each batch sent one put per card, each newer than the card's last (no write the store ignores)
        assertEquals(120, endpoint.writes().size());
        assertTrue(endpoint.writes().stream().allMatch(Write::applied), "every put sent was newer than what the card held");
        assertEquals(120L, task.stats().puts.get());
        assertEquals(1080L, task.stats().coalesced.get());
        // and the store ends as without coalescing: each card holds its newest-EventTime row
        for (Map.Entry<String, StitchedRecord> e : newest.entrySet()) {
            assertEquals(e.getValue().getValues().get("txn_count_1h").toString(),
                    endpoint.record("payments_v2", e.getKey()).orElseThrow().get("txn_count_1h"), e.getKey());
        }
        // and every offset, covered ones included, is committable; nothing went to the DLQ
        assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
        assertEquals(List.of(400L, 400L, 400L), committedOfThreePartitions(task));
    }

    @Test
    void aPutWaitingBehindItsIdentifiersInFlightPutTakesInTheLaterOnesAcrossBatchesButNotAcrossADelete() {
        // Given a Feature Store answering after 300 ms and card c1's rows arriving one batch at a time: r0 (sent at
        // once), r1, r2 and an older late r3 while r0 is in flight, then a tombstone of r2's row and r4
        endpoint.faults().latency(Duration.ofMillis(300));
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of());
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r0", TestData.payment("r0", "c1", DAY1, 1, 0, 1.0))));
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 1, DAY1, "r1", TestData.payment("r1", "c1", DAY1 + 1000, 1, 1, 1.0))));
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 2, DAY1, "r2", TestData.payment("r2", "c1", DAY1 + 2000, 1, 2, 1.0))));
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 3, DAY1, "r3", TestData.payment("r3", "c1", DAY1 - 5000, 1, 3, 1.0))));
        // r1 and r3 are folded into r2, which waits: none of their offsets is committable yet
        assertEquals(0L, task.preCommit(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(0)))
                .get(new TopicPartition(TOPIC, 0)).offset());
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 4, DAY1, "r2", null)));
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 5, DAY1, "r4", TestData.payment("r4", "c1", DAY1 + 4000, 1, 4, 1.0))));
        assertTrue(task.awaitIdle(20_000));

        // Then c1 got r0, then r2 (covering r1 and r3), then the delete of r2's record, then r4: nothing crossed the delete
        assertEquals(java.util.Arrays.asList("0", "2", null, "4"), endpoint.writes().stream()
                .map(w -> w.record().get("txn_count_1h")).toList(), "the delete is the write without a count");
        assertTrue(endpoint.writes().stream().allMatch(Write::applied));
        assertEquals(2L, task.stats().coalesced.get());
        assertEquals(1L, task.stats().deletes.get());
        assertEquals("4", endpoint.record("payments_v2", "c1").orElseThrow().get("txn_count_1h"));
        assertEquals(6L, task.preCommit(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(6)))
                .get(new TopicPartition(TOPIC, 0)).offset());
        assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
    }

    @Test
    void whenEveryRequestIsInFlightPutsQueueAndLaterPutsOfAQueuedIdentifierFoldIntoItUpToMaxQueued() {
        // Given one request in flight at most, at most 3 queued, and a Feature Store answering after 500 ms
        endpoint.faults().latency(Duration.ofMillis(500));
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of("featurestore.max.in.flight", "1", "featurestore.max.queued", "3"));
        // When c1's r0 is sent, c2's r1 and c3's r2 queue behind it, then c2's newer r3 and c3's older r4 arrive
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r0", TestData.payment("r0", "c1", DAY1, 1, 0, 1.0))));
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 1, DAY1, "r1", TestData.payment("r1", "c2", DAY1 + 1000, 1, 1, 1.0)),
                TestData.sinkRecord(TOPIC, 0, 2, DAY1, "r2", TestData.payment("r2", "c3", DAY1 + 2000, 1, 2, 1.0))));
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 3, DAY1, "r3", TestData.payment("r3", "c2", DAY1 + 3000, 1, 3, 1.0)),
                TestData.sinkRecord(TOPIC, 0, 4, DAY1, "r4", TestData.payment("r4", "c3", DAY1 - 4000, 1, 4, 1.0))));
        // r3 and r4 took no place in the queue; c4's r5 takes the third
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 5, DAY1, "r5", TestData.payment("r5", "c4", DAY1 + 5000, 1, 5, 1.0))));
        // c5's r6 finds the queue full: put() returns only once r0 is answered and c2's put has left the queue
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 6, DAY1, "r6", TestData.payment("r6", "c5", DAY1 + 6000, 1, 6, 1.0))));
        assertTrue(endpoint.writes().size() >= 1, "put() waited for a queued request to start");
        assertTrue(task.awaitIdle(20_000));

        // Then the store got r0, c2's newest (r3, covering r1), c3's newest (r2, covering the older r4), r5, r6: in
        // the order they queued, 5 puts for 7 records
        assertEquals(List.of("0", "3", "2", "5", "6"), endpoint.writes().stream().map(w -> w.record().get("txn_count_1h")).toList());
        assertTrue(endpoint.writes().stream().allMatch(Write::applied));
        assertEquals(5L, task.stats().puts.get());
        assertEquals(2L, task.stats().coalesced.get());
        assertEquals(7L, task.preCommit(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(7)))
                .get(new TopicPartition(TOPIC, 0)).offset());
        assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
    }

    @Test
    void theRowsAPutCoveredGoToTheDeadLetterQueueWithItWhenItIsRefusedAndNotBefore() {
        // Given a feature group without 'segment', and card c5's two rows in one batch: an acceptable older one and a
        // newer one the Feature Store refuses; the Feature Store answers after 200 ms
        endpoint.createFeatureGroup(new FeatureGroupSpec("payments_v2", "card_id", "EventTime",
                paymentsGroup().featureDefinitions().entrySet().stream().filter(e -> !e.getKey().equals("segment"))
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), null));
        endpoint.faults().latency(Duration.ofMillis(200));
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of("featurestore.retry.max.attempts", "1"));
        StitchedRecord older = TestData.payment("r0", "c5", DAY1, 1, 0, 1.0);
        older.getValues().put("segment", null);
        StitchedRecord newer = TestData.payment("r1", "c5", DAY1 + 1000, 1, 1, 1.0);

        // When they are put
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r0", older), TestData.sinkRecord(TOPIC, 0, 1, DAY1, "r1", newer)));
        // the covered row's offset is not committable before the put covering it is answered
        assertEquals(0L, task.preCommit(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(0)))
                .get(new TopicPartition(TOPIC, 0)).offset());
        assertTrue(task.awaitIdle(10_000));

        // Then nothing was written; both rows are in the DLQ, the covered one saying which row's refusal it shares
        assertEquals(0, endpoint.writes().size());
        assertEquals(0L, task.stats().puts.get());
        Map<Long, String> dlq = ctx.deadLetters.stream().collect(Collectors.toMap(d -> d.record().kafkaOffset(), d -> d.error().getMessage()));
        assertEquals(List.of(0L, 1L), dlq.keySet().stream().sorted().toList());
        assertTrue(dlq.get(1L).startsWith("PutRecord refused: ValidationError (HTTP 400)"), dlq.get(1L));
        assertTrue(dlq.get(0L).startsWith("not written: the newer row of its record identifier (" + TOPIC + "-0@1)"), dlq.get(0L));
        assertEquals(1L, task.stats().coalesced.get());
        assertEquals(2L, task.preCommit(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(2))).get(new TopicPartition(TOPIC, 0)).offset());
    }

    @Test
    void anOlderEventTimeDoesNotOverwriteTheNewerRecord() {
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of("featurestore.coalesce", "false"));
        // Given card c1 at 10:00 (count 10), then a late revision of another row of c1 at 09:00 (count 9)
        task.put(List.of(TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r10", TestData.payment("r10", "c1", DAY1 + 36_000_000L, 1, 10, 1.0)),
                TestData.sinkRecord(TOPIC, 0, 1, DAY1, "r9", TestData.payment("r9", "c1", DAY1 + 32_400_000L, 1, 9, 1.0))));
        assertTrue(task.awaitIdle(10_000));
        // Then both were sent and the store kept the 10:00 one
        assertEquals(List.of(true, false), endpoint.writes().stream().map(Write::applied).toList());
        assertEquals("10", endpoint.record("payments_v2", "c1").orElseThrow().get("txn_count_1h"));
        assertEquals("2025-10-01T10:00:00.000Z", endpoint.record("payments_v2", "c1").orElseThrow().get("EventTime"));
    }

    @Test
    void tombstonesBecomeDeleteRecordOfTheRecordHoldingTheRowAtTheRowsTs() {
        FakeContext ctx = new FakeContext(true);
        FeatureStoreSinkTask task = task(ctx, Map.of());
        // Given card k1 of the cards join (row key = card id) and row r1 of payments (card c9)
        task.put(List.of(TestData.sinkRecord(CARDS_TOPIC, 0, 0, DAY1, "k1", TestData.card("k1", DAY1, 1, 500)),
                TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r1", TestData.payment("r1", "c9", DAY1, 1, 1, 1.0))));
        assertTrue(task.awaitIdle(10_000));
        assertTrue(endpoint.record("cards_v1", "k1").isPresent());
        assertTrue(endpoint.record("payments_v2", "c9").isPresent());

        // When both rows are deleted (tombstones a minute later), and a row this task never wrote is deleted too
        task.put(List.of(TestData.sinkRecord(CARDS_TOPIC, 0, 1, DAY1 + 60_000, "k1", null),
                TestData.sinkRecord(TOPIC, 0, 1, DAY1 + 60_000, "r1", null),
                TestData.sinkRecord(TOPIC, 0, 2, DAY1 + 60_000, "r77", null)));
        assertTrue(task.awaitIdle(10_000));

        // Then both records are gone, deleted at their rows' ts; the unknown row deleted nothing and is no dead letter
        assertTrue(endpoint.record("cards_v1", "k1").isEmpty());
        assertTrue(endpoint.record("payments_v2", "c9").isEmpty());
        List<Write> deletes = endpoint.writes().stream().filter(w -> w.operation() == Write.Operation.DELETE).toList();
        assertEquals(2, deletes.size());
        assertTrue(deletes.stream().allMatch(w -> w.applied() && w.eventTime().toEpochMilli() == DAY1), deletes::toString);
        assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
        assertEquals(2L, task.stats().deletes.get());
        assertEquals(1L, task.stats().deletesSkipped.get());
        assertEquals(3L, task.preCommit(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(3)))
                .get(new TopicPartition(TOPIC, 0)).offset());
    }

    @Test
    void aRegistryOutageIsRetriedAndNeverDeadLettered() {
        try (RegistryStub registry = new RegistryStub()) {
            // Given a registry that answers 503, later one that drops connections
            FakeContext ctx = new FakeContext(true);
            FeatureStoreSinkTask task = task(ctx, Map.of("schema.registry.url", registry.url()));
            List<SinkRecord> batch = List.of(
                    TestData.sinkRecord(TOPIC, 0, 0, DAY1, "r1", TestData.payment("r1", "c1", DAY1, 1, 1, 1.0)),
                    TestData.sinkRecord(TOPIC, 0, 1, DAY1, "r2", TestData.payment("r2", "c2", DAY1, 1, 2, 1.0)));
            registry.mode(RegistryStub.Mode.UNAVAILABLE);

            // When the batch is put: Connect gets a RetriableException (it pauses and delivers the same batch again)
            assertThrows(RetriableException.class, () -> task.put(batch));
            registry.mode(RegistryStub.Mode.DOWN);
            assertThrows(RetriableException.class, () -> task.put(batch));

            // Then nothing was dead-lettered, sent or marked committable
            assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
            assertEquals(0, endpoint.writes().size());
            assertTrue(task.preCommit(current(2)).isEmpty());

            // and once the registry answers, the redelivered batch is written once
            registry.mode(RegistryStub.Mode.UP);
            task.put(batch);
            assertTrue(task.awaitIdle(10_000));
            assertTrue(ctx.deadLetters.isEmpty(), () -> "nothing dead-lettered: " + ctx.deadLetters);
            assertEquals(2, endpoint.writes().size());
            assertEquals("2", endpoint.record("payments_v2", "c2").orElseThrow().get("txn_count_1h"));
            assertEquals(2L, task.preCommit(current(2)).get(new TopicPartition(TOPIC, 0)).offset());
        }
    }

    /** What preCommit allows to commit of partitions 0, 1 and 2. */
    private static List<Long> committedOfThreePartitions(FeatureStoreSinkTask task) {
        Map<TopicPartition, OffsetAndMetadata> current = new HashMap<>();
        for (int p = 0; p < 3; p++) {
            current.put(new TopicPartition(TOPIC, p), new OffsetAndMetadata(0));
        }
        Map<TopicPartition, OffsetAndMetadata> committed = task.preCommit(current);
        return List.of(committed.get(new TopicPartition(TOPIC, 0)).offset(), committed.get(new TopicPartition(TOPIC, 1)).offset(),
                committed.get(new TopicPartition(TOPIC, 2)).offset());
    }
}
