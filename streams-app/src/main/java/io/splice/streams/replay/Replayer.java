package io.splice.streams.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.splice.avro.FetchLog;
import io.splice.avro.json.RecordJson;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SchemaRegistryException;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.streams.runtime.Errors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code splice replay}: copies the fetch logs served in [start, end) — by {@code FetchLog.ts}, the event time the
 * merge rules use, in topic and file mode alike — from a retained topic or a JSONL file into the replay topic, for
 * data recovery. In topic mode Kafka timestamps only say where to start reading ({@code offsetsForTimes(start -
 * lookback)}); every record up to the end offsets seen at start is read and decoded.
 *
 * <p>Writes go through an idempotent producer ({@code acks=all}): retries never duplicate a record. Only records
 * Kafka acknowledged count as written; when any send fails the replay stops and throws {@link ReplayFailedException}
 * with what was written. Running a replay again (after a failure, or twice) changes nothing downstream: the merge
 * finds the same values and sources and emits nothing (merge rule 7).
 */
public final class Replayer {
    /** Default of {@code --lookback}: how far before start, in Kafka time, topic mode starts reading. */
    public static final Duration DEFAULT_LOOKBACK = Duration.ofHours(1);

    /**
     * What a replay did: records read, matched (in the range and of the join), written (acknowledged by Kafka), and
     * records of the topic that are not decodable logs (skipped: the app dead-letters them from the topic itself).
     */
    public record Counts(long read, long matched, long written, long undecodable) {
        public Counts(long read, long matched, long written) {
            this(read, matched, written, 0);
        }
    }

    /** A replay that could not write every matching log; {@link #counts()} says what it did write. */
    public static final class ReplayFailedException extends RuntimeException {
        private final Counts counts;

        ReplayFailedException(String message, Counts counts, Throwable cause) {
            super(message, cause);
            this.counts = counts;
        }

        public Counts counts() {
            return counts;
        }
    }

    private final Map<String, Object> clientProps;
    private final SchemaRegistryClient registry;
    private final Instant start;
    private final Instant end;
    private final String join;
    private final boolean dryRun;
    private final Duration lookback;

    /**
     * @param join a join name ({@code payments}) or name and version ({@code payments.v2}); null for every join
     */
    public Replayer(Map<String, Object> clientProps, SchemaRegistryClient registry, Instant start, Instant end, String join, boolean dryRun) {
        this(clientProps, registry, start, end, join, dryRun, DEFAULT_LOOKBACK);
    }

    /**
     * @param lookback topic mode starts reading at the first record whose Kafka timestamp is at or after
     *                 {@code start - lookback}: a log produced up to {@code lookback} before the time it says it was
     *                 served (clock skew) is still found
     */
    public Replayer(Map<String, Object> clientProps, SchemaRegistryClient registry, Instant start, Instant end, String join,
                    boolean dryRun, Duration lookback) {
        if (!end.isAfter(start)) {
            throw new IllegalArgumentException("--end " + end + " must be after --start " + start);
        }
        if (lookback.isNegative()) {
            throw new IllegalArgumentException("--lookback " + lookback + " must not be negative");
        }
        this.clientProps = clientProps;
        this.registry = registry;
        this.start = start;
        this.end = end;
        this.join = join;
        this.dryRun = dryRun;
        this.lookback = lookback;
    }

    private boolean matchesJoin(FetchLog log) {
        return join == null || join.equals(log.getJoin()) || join.equals(log.getJoin() + "." + log.getVersion());
    }

    /** The one rule of both modes: the log was served in [start, end). */
    private boolean inRange(FetchLog log) {
        long ts = log.getTs();
        return ts >= start.toEpochMilli() && ts < end.toEpochMilli();
    }

    public Counts fromTopic(String from, String to) {
        Map<String, Object> c = new HashMap<>(clientProps);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        SpliceAvroDeserializer<FetchLog> deser = SpliceAvroDeserializer.of(registry, FetchLog.class);
        long read = 0, matched = 0, undecodable = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             Sender sender = dryRun ? null : new Sender(to)) {
            List<PartitionInfo> infos = consumer.partitionsFor(from, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic " + from + " does not exist (--from)");
            }
            List<TopicPartition> parts = new ArrayList<>();
            infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            consumer.assign(parts);
            Map<TopicPartition, Long> query = new HashMap<>();
            long seekTime = Math.max(0, start.minus(lookback).toEpochMilli());
            parts.forEach(p -> query.put(p, seekTime));
            Map<TopicPartition, OffsetAndTimestamp> startOffsets = consumer.offsetsForTimes(query, Duration.ofSeconds(30));
            Map<TopicPartition, Long> endOffsets = new HashMap<>(consumer.endOffsets(parts, Duration.ofSeconds(30)));
            List<TopicPartition> active = new ArrayList<>();
            for (TopicPartition p : parts) {
                OffsetAndTimestamp o = startOffsets.get(p);
                if (o != null && o.offset() < endOffsets.get(p)) {
                    active.add(p);
                }
            }
            consumer.assign(active);
            for (TopicPartition p : active) {
                consumer.seek(p, startOffsets.get(p).offset());
            }
            while (!active.isEmpty() && (sender == null || sender.ok())) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= endOffsets.get(tp)) {
                        continue;
                    }
                    read++;
                    FetchLog log;
                    try {
                        log = r.value() == null ? null : deser.deserialize(from, r.value());
                    } catch (RuntimeException e) {
                        if (registryUnavailable(e)) {
                            throw e; // not the record's fault: the replay fails rather than skip good logs
                        }
                        log = null;
                    }
                    if (log == null) {
                        undecodable++; // the stitching app dead-letters it from the topic itself
                        continue;
                    }
                    if (!inRange(log) || !matchesJoin(log)) {
                        continue;
                    }
                    matched++;
                    if (sender != null) {
                        sender.send(new ProducerRecord<>(to, null, r.timestamp(), r.key(), r.value(), r.headers()));
                        if (!sender.ok()) {
                            break;
                        }
                    }
                }
                active.removeIf(p -> consumer.position(p) >= endOffsets.get(p));
                consumer.assign(active);
            }
            return finish(sender, read, matched, undecodable);
        }
    }

    /** A registry that cannot be reached or answers 5xx (an unknown schema id is a 404: the record is bad). */
    private static boolean registryUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SchemaRegistryException sre) {
                return sre.status() < 0 || sre.status() >= 500;
            }
        }
        return false;
    }

    /** Replays a JSONL file of logs: each line a FetchLog as JSON, or an event line {"key": …, "value": FetchLog}. */
    public Counts fromFile(Path file, String to) throws IOException {
        SpliceAvroSerializer<FetchLog> ser = new SpliceAvroSerializer<>(registry);
        long read = 0, matched = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             Sender sender = dryRun ? null : new Sender(to)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null && (sender == null || sender.ok())) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                read++;
                JsonNode node;
                FetchLog log;
                try {
                    node = RecordJson.MAPPER.readTree(line);
                    log = RecordJson.fetchLog(node.has("value") ? node.get("value") : node);
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException(file + " line " + lineNo + ": not JSON: "
                            + e.getOriginalMessage().replaceAll("\\s+", " ").replaceAll(" ?\\(?(start marker )?at \\[Source.*$", ""));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + " line " + lineNo + ": " + e.getMessage());
                }
                if (!inRange(log) || !matchesJoin(log)) {
                    continue;
                }
                matched++;
                if (sender != null) {
                    String key = node.hasNonNull("key") ? node.get("key").asText() : null;
                    sender.send(new ProducerRecord<>(to, null, log.getTs(),
                            key == null ? null : key.getBytes(StandardCharsets.UTF_8), ser.serialize(to, log)));
                }
            }
            return finish(sender, read, matched, 0);
        }
    }

    private Counts finish(Sender sender, long read, long matched, long undecodable) {
        if (sender == null) {
            return new Counts(read, matched, 0, undecodable);
        }
        sender.flush();
        Counts counts = new Counts(read, matched, sender.acked.get(), undecodable);
        Exception failure = sender.failure.get();
        if (failure != null) {
            throw new ReplayFailedException("replay to " + sender.to + " failed: wrote " + counts.written() + " of " + matched
                    + " matching logs" + (sender.ok() ? "" : " read so far") + " (acknowledged by Kafka); " + Errors.oneLine(failure)
                    + ". Fix the cause and run the same replay again: logs already stitched change nothing downstream",
                    counts, failure);
        }
        return counts;
    }

    /** Sends with callbacks: counts what Kafka acknowledged, keeps the first failure. */
    private final class Sender implements AutoCloseable {
        final String to;
        final KafkaProducer<byte[], byte[]> producer;
        final AtomicLong acked = new AtomicLong();
        final AtomicReference<Exception> failure = new AtomicReference<>();
        private long sent;
        private long completed;

        Sender(String to) {
            this.to = to;
            checkExists(to);
            Map<String, Object> p = new HashMap<>(clientProps);
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
            this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        }

        boolean ok() {
            return failure.get() == null;
        }

        void send(ProducerRecord<byte[], byte[]> r) {
            try {
                producer.send(r, (metadata, e) -> {
                    if (e == null) {
                        acked.incrementAndGet();
                    } else {
                        failure.compareAndSet(null, e);
                    }
                    synchronized (this) {
                        completed++;
                        notifyAll();
                    }
                });
                synchronized (this) {
                    sent++;
                }
            } catch (KafkaException e) {
                failure.compareAndSet(null, e);
            }
        }

        /**
         * Waits until Kafka answered every send. Not {@code flush()} alone: it can return before the callbacks of a
         * batch the producer split (one too large for the topic) have run.
         */
        void flush() {
            try {
                producer.flush();
            } catch (KafkaException e) {
                failure.compareAndSet(null, e);
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos(); // past delivery.timeout.ms (2 min)
            synchronized (this) {
                while (completed < sent) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        failure.compareAndSet(null, new IllegalStateException((sent - completed) + " sends to " + to
                                + " were neither acknowledged nor failed after 3 minutes"));
                        return;
                    }
                    try {
                        wait(Math.max(1, left / 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        failure.compareAndSet(null, e);
                        return;
                    }
                }
            }
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(30));
        }
    }

    /** A missing destination would block each send for max.block.ms (60 s) before failing: say so at once. */
    private void checkExists(String to) {
        try (Admin admin = Admin.create(clientProps)) {
            admin.describeTopics(List.of(to), new DescribeTopicsOptions().timeoutMs(30_000)).allTopicNames().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new IllegalArgumentException("topic " + to + " does not exist: start splice run once (it creates the "
                        + "replay topic), create it, or pass another --to");
            }
            throw new IllegalStateException("cannot describe topic " + to + ": " + Errors.oneLine(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
