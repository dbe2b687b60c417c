package io.splice.connectors.featurestore;

import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.connectors.common.DeadLetters;
import io.splice.connectors.common.SinkMetrics;
import io.splice.connectors.common.StitchedInput;
import io.splice.connectors.common.StitchedInput.Decoded;
import io.splice.connectors.common.Version;
import io.splice.core.merge.BadRecordException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.crt.AwsCrtAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.SageMakerClientBuilder;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.SageMakerFeatureStoreRuntimeAsyncClient;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.DeleteRecordRequest;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.DeletionMode;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.FeatureValue;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.GetRecordRequest;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.PutRecordRequest;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.TargetStore;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.TtlDuration;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.TtlDurationUnit;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The Feature Store online sink task.
 *
 * <p>Every record becomes one request (PutRecord, or DeleteRecord for a tombstone). Requests of different record
 * identifiers run concurrently, up to {@code featurestore.max.in.flight}; the others queue (up to
 * {@code featurestore.max.queued}) and a record waits for the previous record of the same identifier to be
 * acknowledged (or dead-lettered), so the store sees each identifier's records in topic order. A put that finds a
 * queued put of its identifier folds into it ({@code featurestore.coalesce}): only the newest EventTime is sent.
 * The AWS SDK's standard retry strategy ({@link FeatureStoreRetries}, with the SDK's throttling detection) retries
 * throttling, 5xx and network errors with exponential backoff and jitter up to
 * {@code featurestore.retry.max.attempts}; then, as on a validation error, the record goes to the dead-letter
 * queue with the reason. {@link #preCommit} returns, per partition, the lowest offset not yet acknowledged.
 * Authentication and authorization errors fail the task (no record would succeed).
 *
 * <p>The stitched topic is keyed by row, the online store by record identifier, holding the identifier's newest row.
 * A row's tombstone therefore deletes the online record only if that record still holds the row: the {@link RowIndex}
 * says which identifier and revision the row was written with, GetRecord whether the record is that revision, and
 * DeleteRecord then carries the record's own EventTime (the row's ts), so any other or re-created row with a ts not
 * older is written again.
 */
public class FeatureStoreSinkTask extends SinkTask {
    private static final Logger log = LoggerFactory.getLogger(FeatureStoreSinkTask.class);

    private FeatureStoreSinkConfig config;
    private StitchedInput input;
    private DeadLetters deadLetters;
    private SageMakerFeatureStoreRuntimeAsyncClient runtime;
    private SageMakerClient control;
    private FeatureGroups groups;
    private Semaphore permits;
    private List<TargetStore> targetStores;
    private TtlDuration ttl;
    private DeletionMode deletionMode;
    private BackoffStrategy backoff;

    private final OffsetTracker tracker = new OffsetTracker();
    /**
     * Per record identifier with work, its ops in order: the head is in flight or ready to start, the others wait
     * behind it (featurestore.coalesce folds a later put into the last one if it is a put not yet started).
     * {@code ready}: heads waiting for a permit, oldest first. {@code queued}: ops not started. Guarded by {@code lock}.
     */
    private final Object lock = new Object();
    private final Map<String, ArrayDeque<Queued>> lanes = new HashMap<>();
    private final ArrayDeque<Queued> ready = new ArrayDeque<>();
    private int queued;
    private int maxQueued;
    private final ConcurrentLinkedQueue<Refused> refused = new ConcurrentLinkedQueue<>();
    private final List<Reported> reported = new ArrayList<>();
    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    private RowIndex rows;
    private boolean deleteOnTombstone;
    private boolean writesOnline;
    private boolean coalesce;
    private int outages; // consecutive batches refused with a RetriableException (registry or control plane down)
    private final Stats stats = new Stats();

    /** Counters, for logs, benchmarks and tests. */
    public static final class Stats {
        public final AtomicLong puts = new AtomicLong();
        public final AtomicLong deletes = new AtomicLong();
        /** Tombstones that deleted nothing: the row is unknown, or the online record holds another row or nothing. */
        public final AtomicLong deletesSkipped = new AtomicLong();
        /** Redelivered records already applied before a restart (the row index is ahead of the committed offset). */
        public final AtomicLong alreadyApplied = new AtomicLong();
        /** Attempts after the first of every Feature Store call (the SDK's retries). */
        public final AtomicLong retries = new AtomicLong();
        /** Attempts the store refused as throttled (the SDK's throttling detection), retried or not. */
        public final AtomicLong throttles = new AtomicLong();
        public final AtomicLong deadLettered = new AtomicLong();
        /** Puts not sent: a newer put of the same identifier in the same batch covered them (featurestore.coalesce). */
        public final AtomicLong coalesced = new AtomicLong();

        @Override
        public String toString() {
            return puts + " puts, " + coalesced + " coalesced away, " + deletes + " deletes, " + deletesSkipped
                    + " tombstones deleting nothing, " + alreadyApplied + " already applied, " + retries + " retries, "
                    + throttles + " throttled attempts, "
                    + deadLettered + " to the DLQ";
        }
    }

    private record Refused(SinkRecord record, String reason) {
    }

    private record Reported(SinkRecord record, Future<Void> future) {
    }

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        config = new FeatureStoreSinkConfig(props);
        input = new StitchedInput(config.definitions(), config.topics(), SpliceSerdeConfig.client(config.serdeConfigs()));
        deadLetters = new DeadLetters(context);
        int maxInFlight = config.getInt(FeatureStoreSinkConfig.MAX_IN_FLIGHT);
        permits = new Semaphore(maxInFlight);
        maxQueued = config.getInt(FeatureStoreSinkConfig.MAX_QUEUED);
        int maxAttempts = config.getInt(FeatureStoreSinkConfig.RETRY_MAX_ATTEMPTS);
        backoff = FeatureStoreRetries.backoff(config.getLong(FeatureStoreSinkConfig.RETRY_BACKOFF_INITIAL_MS),
                config.getLong(FeatureStoreSinkConfig.RETRY_BACKOFF_MAX_MS));
        targetStores = config.targetStores().stream().map(TargetStore::fromValue).toList();
        long ttlSeconds = config.getLong(FeatureStoreSinkConfig.TTL_SECONDS);
        ttl = ttlSeconds > 0 ? TtlDuration.builder().unit(TtlDurationUnit.SECONDS).value((int) Math.min(Integer.MAX_VALUE, ttlSeconds)).build() : null;
        deletionMode = DeletionMode.fromValue(config.getString(FeatureStoreSinkConfig.DELETION_MODE));
        deleteOnTombstone = config.getBoolean(FeatureStoreSinkConfig.DELETE_ON_TOMBSTONE);
        coalesce = config.getBoolean(FeatureStoreSinkConfig.COALESCE);
        // GetRecord reads the online store: with OfflineStore alone as target there is no online record to delete
        writesOnline = targetStores.isEmpty() || targetStores.contains(TargetStore.ONLINE_STORE);
        Map<String, Object> indexClient = config.rowIndexClient();
        rows = new RowIndex(indexClient == null ? null : new RowIndexTopic(config.rowIndexTopic(), indexClient,
                config.getInt(FeatureStoreSinkConfig.ROW_INDEX_PARTITIONS)));
        if (indexClient == null && deleteOnTombstone
                && config.definitions().joins().stream().anyMatch(j -> !RecordMapper.oneRowPerIdentifier(j))) {
            log.warn("{} is not set: the row index lives in this task's memory, so a tombstone of a row written before "
                    + "the task (re)started deletes nothing online", FeatureStoreSinkConfig.ROW_INDEX_BOOTSTRAP_SERVERS);
        }

        Duration timeout = Duration.ofMillis(config.getLong(FeatureStoreSinkConfig.REQUEST_TIMEOUT_MS));
        runtime = config.aws().apply(SageMakerFeatureStoreRuntimeAsyncClient.builder())
                .httpClientBuilder(httpClient(config.getString(FeatureStoreSinkConfig.HTTP_CLIENT), maxInFlight, timeout))
                .overrideConfiguration(o -> o.retryStrategy(FeatureStoreRetries.strategy(maxAttempts, backoff))
                        .apiCallAttemptTimeout(timeout)
                        .addExecutionInterceptor(FeatureStoreRetries.retryCounter(stats.retries))
                        .addMetricPublisher(FeatureStoreRetries.throttleCounter(stats.throttles)))
                .build();
        registerMetrics(SinkMetrics.of(context));
        if (config.getBoolean(FeatureStoreSinkConfig.DESCRIBE_FEATURE_GROUPS)) {
            SageMakerClientBuilder b = SageMakerClient.builder().credentialsProvider(config.aws().credentials())
                    .httpClientBuilder(ApacheHttpClient.builder());
            String region = config.aws().region();
            if (region != null && !region.isBlank()) {
                b.region(Region.of(region));
            }
            String ep = config.getString(FeatureStoreSinkConfig.CONTROL_ENDPOINT_OVERRIDE);
            if (ep != null && !ep.isBlank()) {
                b.endpointOverride(URI.create(ep));
            }
            control = b.build();
        }
        groups = new FeatureGroups(control, config.getString(FeatureStoreSinkConfig.EVENT_TIME_FEATURE_NAME));
        log.info("Feature Store sink task started (max.in.flight={}, up to {} attempts per call, target stores={}, "
                        + "row index {})", maxInFlight, maxAttempts, targetStores,
                indexClient == null ? "in memory" : "in topic " + config.rowIndexTopic());
    }

    /** The runtime client's HTTP client ({@code featurestore.http.client}), one connection per request in flight. */
    static SdkAsyncHttpClient.Builder<?> httpClient(String kind, int maxInFlight, Duration timeout) {
        if (FeatureStoreSinkConfig.HTTP_CLIENT_CRT.equals(kind)) {
            return AwsCrtAsyncHttpClient.builder()
                    .maxConcurrency(maxInFlight)
                    .connectionAcquisitionTimeout(timeout.multipliedBy(3));
        }
        return NettyNioAsyncHttpClient.builder()
                .maxConcurrency(maxInFlight)
                .maxPendingConnectionAcquires(Math.max(10_000, maxInFlight * 4))
                .connectionAcquisitionTimeout(timeout.multipliedBy(3));
    }

    /** The task's {@link Stats} as Connect plugin metrics (public for the generated reference page). */
    public void registerMetrics(SinkMetrics metrics) {
        metrics.add("puts-total", "PutRecord calls the Feature Store acknowledged", stats.puts::get);
        metrics.add("coalesced-total", "Puts not sent because a newer put of the same record identifier in the same "
                + "batch covered them (featurestore.coalesce)", stats.coalesced::get);
        metrics.add("deletes-total", "DeleteRecord calls that deleted the online record of a row", stats.deletes::get);
        metrics.add("retries-total", "Attempts after the first of every Feature Store call (the AWS SDK's retries)",
                stats.retries::get);
        metrics.add("throttles-total", "Attempts the Feature Store refused as throttled (ThrottlingException, HTTP 429), "
                + "retried or not", stats.throttles::get);
        metrics.add("dead-letters-total", "Records sent to the dead-letter queue (refused, or retries exhausted)",
                stats.deadLettered::get);
    }

    /**
     * A prepared request: what to send and for which record; {@code eventTs}: a put's row time (its EventTime);
     * {@code covered}: the records of older puts of the same identifier this one makes unnecessary.
     */
    private record Op(SinkRecord record, TopicPartition tp, String orderKey, Supplier<CompletableFuture<?>> send,
                      boolean delete, long eventTs, List<SinkRecord> covered) {
        Op covering(Op older) {
            List<SinkRecord> c = new ArrayList<>(covered.size() + older.covered().size() + 1);
            c.addAll(covered);
            c.add(older.record());
            c.addAll(older.covered());
            return new Op(record, tp, orderKey, send, delete, eventTs, c);
        }
    }

    /** A decoded record, before anything changed for it. */
    private record Input(SinkRecord record, Decoded decoded, FeatureGroups.Group group) {
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        rows.open(partitions);
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        checkFatal();
        drainRefused();
        // Decode the whole batch first: what may throw (a registry outage, describing a group) happens before the row
        // index changes or any request is sent, so that Connect can deliver the same batch again after a
        // RetriableException.
        List<Object> decoded = new ArrayList<>(records.size());
        try {
            for (SinkRecord r : records) {
                try {
                    Decoded d = input.decode(r);
                    decoded.add(new Input(r, d, groups.of(d.join())));
                } catch (BadRecordException e) {
                    decoded.add(new Refused(r, e.describe()));
                }
            }
        } catch (RetriableException e) {
            long wait = backoff.computeDelay(++outages + 1).toMillis(); // the delay before attempt outages + 1
            log.warn("Retrying the batch in {} ms: {}", wait, e.getMessage());
            context.timeout(wait);
            throw e;
        }
        outages = 0;
        List<Op> batch = new ArrayList<>(decoded.size());
        for (Object o : decoded) {
            Refused refusal = o instanceof Refused rf ? rf : null;
            List<Op> ops = List.of();
            if (refusal == null) {
                try {
                    ops = prepare((Input) o);
                } catch (BadRecordException e) {
                    refusal = new Refused(((Input) o).record(), e.describe());
                }
            }
            if (refusal != null) {
                TopicPartition tp = new TopicPartition(refusal.record().topic(), refusal.record().kafkaPartition());
                tracker.submitted(tp, refusal.record().kafkaOffset());
                report(refusal);
            } else if (ops.isEmpty()) {
                SinkRecord r = ((Input) o).record();
                TopicPartition tp = new TopicPartition(r.topic(), r.kafkaPartition());
                tracker.submitted(tp, r.kafkaOffset());
                tracker.done(tp, r.kafkaOffset());
            } else {
                batch.addAll(ops);
            }
        }
        (coalesce ? coalesce(batch) : batch).forEach(this::submit);
        drainRefused();
    }

    /**
     * The batch with, per record identifier, only the newest-EventTime put of each run of puts not separated by a
     * delete of that identifier (ties: the later record); the others ride along as the survivor's covered records.
     * A survivor stays where the run's first put was, so the order of each identifier's requests is kept.
     */
    private List<Op> coalesce(List<Op> batch) {
        List<Op> out = new ArrayList<>(batch.size());
        Map<String, Integer> openRun = new HashMap<>(); // identifier -> index in out of its run's put
        for (Op op : batch) {
            if (op.delete()) {
                openRun.remove(op.orderKey());
                out.add(op);
                continue;
            }
            Integer i = openRun.get(op.orderKey());
            if (i == null) {
                openRun.put(op.orderKey(), out.size());
                out.add(op);
                continue;
            }
            Op held = out.get(i);
            out.set(i, op.eventTs() >= held.eventTs() ? op.covering(held) : held.covering(op));
            stats.coalesced.incrementAndGet();
        }
        return out;
    }

    /** The requests for one record, in order (none: nothing to do), after updating the row index. */
    private List<Op> prepare(Input in) {
        SinkRecord r = in.record();
        Decoded d = in.decoded();
        FeatureGroups.Group group = in.group();
        TopicPartition tp = new TopicPartition(r.topic(), r.kafkaPartition());
        long offset = r.kafkaOffset();
        if (rows.applied(tp, d.rowKey(), offset)) {
            stats.alreadyApplied.incrementAndGet();
            return List.of();
        }
        boolean deletes = deleteOnTombstone && writesOnline;
        if (d.isTombstone()) {
            RowIndex.Entry e = rows.delete(tp, offset, d.rowKey());
            if (!deletes) {
                return List.of();
            }
            // Unknown row: if it is its identifier's only row, the record can only hold it; any other unknown row was
            // not its identifier's newest here, or not written by this task since it started: deleting would be a guess.
            String id = e != null ? e.identifier() : RecordMapper.oneRowPerIdentifier(d.join()) ? d.rowKey() : null;
            if (id == null) {
                stats.deletesSkipped.incrementAndGet();
                return List.of();
            }
            return List.of(deleteOp(r, tp, group, id, e));
        }
        String id = RecordMapper.identifier(d.join(), d.value());
        List<FeatureValue> values = RecordMapper.record(d.join(), group, id, d.value());
        PutRecordRequest.Builder put = PutRecordRequest.builder().featureGroupName(group.name()).record(values);
        if (!targetStores.isEmpty()) {
            put.targetStores(targetStores);
        }
        if (ttl != null) {
            put.ttlDuration(ttl);
        }
        PutRecordRequest req = put.build();
        RowIndex.Entry moved = rows.put(tp, offset, d.rowKey(), id, d.value().getTs(),
                RecordMapper.contentHash(RecordMapper.asMap(values)));
        List<Op> ops = new ArrayList<>(2);
        if (moved != null && deletes) {
            ops.add(deleteOp(r, tp, group, moved.identifier(), moved)); // the row left this identifier
        }
        ops.add(new Op(r, tp, group.name() + "\u0000" + id, () -> runtime.putRecord(req), false, d.value().getTs(), List.of()));
        return ops;
    }

    private Op deleteOp(SinkRecord r, TopicPartition tp, FeatureGroups.Group group, String id, RowIndex.Entry expected) {
        return new Op(r, tp, group.name() + "\u0000" + id, () -> deleteIfHeld(group, id, expected), true, 0L, List.of());
    }

    /**
     * Deletes {@code id}'s online record if it is the row's revision {@code expected} (null: whatever it holds), with
     * the record's own EventTime. Completes with whether a DeleteRecord was sent.
     */
    private CompletableFuture<Boolean> deleteIfHeld(FeatureGroups.Group group, String id, RowIndex.Entry expected) {
        return heldEventTime(group, id, expected).thenCompose(eventTime -> {
            if (eventTime == null) {
                return CompletableFuture.completedFuture(false);
            }
            DeleteRecordRequest.Builder del = DeleteRecordRequest.builder().featureGroupName(group.name())
                    .recordIdentifierValueAsString(id).eventTime(eventTime).deletionMode(deletionMode);
            if (!targetStores.isEmpty()) {
                del.targetStores(targetStores);
            }
            return runtime.deleteRecord(del.build()).handle((ok, err) -> {
                if (err == null) {
                    return CompletableFuture.completedFuture(true);
                }
                Throwable cause = unwrap(err);
                if (deletionMode == DeletionMode.HARD_DELETE && cause instanceof AwsServiceException e && e.statusCode() == 400) {
                    // HardDelete refuses an EventTime older than the record's: another row replaced it since GetRecord
                    return heldEventTime(group, id, expected).thenCompose(still -> still == null
                            ? CompletableFuture.completedFuture(false) : CompletableFuture.<Boolean>failedFuture(cause));
                }
                return CompletableFuture.<Boolean>failedFuture(cause);
            }).thenCompose(f -> f);
        });
    }

    /** The EventTime of {@code id}'s online record if it is {@code expected} (any live record if null), else null. */
    private CompletableFuture<String> heldEventTime(FeatureGroups.Group group, String id, RowIndex.Entry expected) {
        GetRecordRequest get = GetRecordRequest.builder().featureGroupName(group.name()).recordIdentifierValueAsString(id).build();
        return runtime.getRecord(get).thenApply(resp -> {
            if (!resp.hasRecord() || resp.record().isEmpty()) {
                return null;
            }
            Map<String, String> held = RecordMapper.asMap(resp.record());
            if (expected != null && !expected.hash().equals(RecordMapper.contentHash(held))) {
                return null;
            }
            return held.get(group.eventTimeFeature());
        });
    }

    /** An op in its identifier's lane; until it starts, a newer put of the identifier may take its place. */
    private static final class Queued {
        Op op;
        boolean started;

        Queued(Op op) {
            this.op = op;
        }
    }

    /**
     * Queues the op in its identifier's lane and starts what permits allow. Waits only while {@code maxQueued} ops
     * are not started: under load the queue, not the caller, absorbs the stream, and the longer a put waits the more
     * later puts of its identifier fold into it.
     */
    private void submit(Op op) {
        tracker.submitted(op.tp(), op.record().kafkaOffset());
        op.covered().forEach(c -> tracker.submitted(tp(c), c.kafkaOffset()));
        while (true) {
            synchronized (lock) {
                ArrayDeque<Queued> lane = lanes.get(op.orderKey());
                Queued last = lane == null ? null : lane.peekLast();
                if (coalesce && !op.delete() && last != null && !last.started && !last.op.delete()) {
                    last.op = op.eventTs() >= last.op.eventTs() ? op.covering(last.op) : last.op.covering(op);
                    stats.coalesced.incrementAndGet();
                    return;
                }
                if (queued < maxQueued) {
                    Queued q = new Queued(op);
                    queued++;
                    if (lane == null) {
                        lane = new ArrayDeque<>(2);
                        lanes.put(op.orderKey(), lane);
                        ready.add(q);
                    }
                    lane.add(q); // a delete takes the lane's tail too: no put is folded across it
                    break;
                }
                awaitChange();
            }
            checkFatal();
            drainRefused();
        }
        startReady();
    }

    /** Waits (holding {@code lock}) until an op completes, bounded so that the caller can check for failures. */
    private void awaitChange() {
        try {
            lock.wait(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted while waiting for requests in flight", e);
        }
    }

    /** Set while this thread runs {@link #startReady}: a request completing at once must not recurse into it. */
    private static final ThreadLocal<Boolean> STARTING = ThreadLocal.withInitial(() -> false);

    /** Starts ready ops while permits last (any thread: the task's, or one completing a request). */
    private void startReady() {
        if (STARTING.get()) {
            return; // the loop below, further up this thread's stack, takes what was freed
        }
        STARTING.set(true);
        try {
            startReadyLoop();
        } finally {
            STARTING.set(false);
        }
    }

    private void startReadyLoop() {
        while (true) {
            Queued next;
            synchronized (lock) {
                if (ready.isEmpty() || !permits.tryAcquire()) {
                    return;
                }
                next = ready.poll();
                next.started = true;
                queued--;
            }
            start(next.op);
        }
    }

    /** Sends a started op; when it is answered, its lane's next op becomes ready and what permits allow starts. */
    private void start(Op run) {
        call(run).whenComplete((ok, err) -> {
            try {
                if (err == null) {
                    (!run.delete() ? stats.puts : Boolean.TRUE.equals(ok) ? stats.deletes : stats.deletesSkipped).incrementAndGet();
                    tracker.done(run.tp(), run.record().kafkaOffset());
                    run.covered().forEach(c -> tracker.done(tp(c), c.kafkaOffset()));
                } else {
                    Throwable cause = unwrap(err);
                    if (cause instanceof FatalError) {
                        fatal.compareAndSet(null, cause.getCause() == null ? cause : cause.getCause());
                    } else {
                        refused.add(new Refused(run.record(), cause.getMessage()));
                        // the covered records were never written: they go to the DLQ with it, named
                        String by = run.record().topic() + "-" + run.record().kafkaPartition() + "@" + run.record().kafkaOffset();
                        run.covered().forEach(c -> refused.add(new Refused(c, "not written: the newer row of its record "
                                + "identifier (" + by + ") that covered it was refused: " + cause.getMessage())));
                    }
                }
            } finally {
                permits.release();
                synchronized (lock) {
                    ArrayDeque<Queued> lane = lanes.get(run.orderKey());
                    lane.poll(); // this op, the lane's head
                    if (lane.isEmpty()) {
                        lanes.remove(run.orderKey());
                    } else {
                        ready.add(lane.peek());
                    }
                    lock.notifyAll();
                }
                startReady();
            }
        });
    }

    private static TopicPartition tp(SinkRecord r) {
        return new TopicPartition(r.topic(), r.kafkaPartition());
    }

    /** Marks a failure that no retry or DLQ can fix (credentials, permissions). */
    private static final class FatalError extends RuntimeException {
        FatalError(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    private static final class Rejected extends RuntimeException {
        Rejected(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Sends the op's request; the client retries it (the SDK's retry strategy). A failure left after that fails the
     * task ({@link FatalError}) or refuses the record ({@link Rejected}).
     */
    private CompletableFuture<Object> call(Op op) {
        CompletableFuture<?> call;
        try {
            call = op.send().get();
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return call.handle((ok, err) -> {
            if (err == null) {
                return ok;
            }
            Throwable cause = unwrap(err);
            if (FeatureStoreRetries.fatal(cause)) {
                throw new FatalError(cause);
            }
            throw new Rejected((op.delete() ? "DeleteRecord" : "PutRecord") + " refused: "
                    + FeatureStoreRetries.describe(cause));
        });
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private void report(Refused r) {
        stats.deadLettered.incrementAndGet();
        reported.add(new Reported(r.record(), deadLetters.report(r.record(), new ConnectException(r.reason()))));
    }

    /** Reports refused records (on the task thread) and marks the reported ones done. */
    private void drainRefused() {
        Refused r;
        while ((r = refused.poll()) != null) {
            report(r);
        }
        reported.removeIf(rep -> {
            if (!rep.future().isDone()) {
                return false;
            }
            try {
                rep.future().get();
            } catch (Exception e) {
                throw new ConnectException("Could not write to the dead-letter queue", unwrap(e));
            }
            tracker.done(new TopicPartition(rep.record().topic(), rep.record().kafkaPartition()), rep.record().kafkaOffset());
            return true;
        });
    }

    private void checkFatal() {
        Throwable t = fatal.get();
        if (t != null) {
            throw new ConnectException("The Feature Store refuses the sink's requests: " + FeatureStoreRetries.describe(t), t);
        }
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        checkFatal();
        drainRefused();
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        Map<TopicPartition, Long> committable = tracker.committable();
        // the row index must be durable up to an offset before that offset is committed
        List<TopicPartition> notWritten = rows.drain(committable);
        committable.forEach((tp, offset) -> {
            if (currentOffsets.containsKey(tp) && !notWritten.contains(tp)) {
                out.put(tp, new OffsetAndMetadata(offset));
            }
        });
        return out;
    }

    /** Waits until nothing is in flight (bounded); true if everything was acknowledged or dead-lettered. */
    public boolean awaitIdle(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            drainRefused();
            if (tracker.pending() == 0 && fatal.get() == null) {
                return true;
            }
            if (fatal.get() != null || System.nanoTime() >= deadline) {
                return false;
            }
            try {
                boolean busy;
                synchronized (lock) {
                    busy = !lanes.isEmpty();
                    if (busy) {
                        lock.wait(20);
                    }
                }
                if (!busy) {
                    reported.stream().findFirst().map(Reported::future).orElse(CompletableFuture.completedFuture(null))
                            .get(20, TimeUnit.MILLISECONDS);
                }
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException ignored) {
                // loop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        awaitIdle(config.getLong(FeatureStoreSinkConfig.CLOSE_TIMEOUT_MS));
        for (TopicPartition tp : partitions) {
            tracker.forget(tp);
            rows.close(tp);
        }
    }

    @Override
    public void stop() {
        if (config != null) {
            awaitIdle(config.getLong(FeatureStoreSinkConfig.CLOSE_TIMEOUT_MS));
        }
        if (runtime != null) {
            runtime.close();
        }
        if (control != null) {
            control.close();
        }
        if (rows != null) {
            rows.close();
        }
        log.info("Feature Store sink task stopped: {}", stats);
    }

    public Stats stats() {
        return stats;
    }
}
