package io.splice.connectors.s3;

import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.connectors.common.DeadLetters;
import io.splice.connectors.common.SinkMetrics;
import io.splice.connectors.common.StitchedInput;
import io.splice.connectors.common.StitchedInput.Decoded;
import io.splice.connectors.common.Version;
import io.splice.core.api.JoinDefinition;
import io.splice.core.merge.BadRecordException;
import io.splice.core.offline.TombstoneHeaders;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.apache.parquet.hadoop.ParquetWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The S3 offline sink task.
 *
 * <p>Per topic partition, records accumulate in a <em>segment</em> of consecutive offsets that always starts at
 * the committed offset. A segment ends after {@code flush.size} records, before a record whose Kafka timestamp is
 * {@code rotate.interval.ms} past the segment's first one (both decided by the records alone, so a retry cuts
 * at the same offsets) or, optionally, after {@code rotate.idle.ms} without records. It is then written as one
 * Parquet object per (join, {@code ds} day), named {@code <topic>+<partition>+<first offset of that day in the
 * segment>.parquet}, and only after every object is in S3 does {@link #preCommit} hand its end to Connect.
 * A crash before that makes the next owner rebuild the same segment from the same offset and overwrite the same
 * names: no duplicate and no missing offset across the objects.
 */
public class S3OfflineSinkTask extends SinkTask {
    private static final Logger log = LoggerFactory.getLogger(S3OfflineSinkTask.class);

    private final Function<S3OfflineSinkConfig, S3AsyncClient> clientFactory;
    private final LongSupplier clock;

    private S3OfflineSinkConfig config;
    private StitchedInput input;
    private DeadLetters deadLetters;
    private S3AsyncClient s3;
    private S3Uploader uploader;
    private Path bufferDir;
    private final Map<String, OfflineSchema> schemas = new HashMap<>();
    private final Map<TopicPartition, Segment> segments = new HashMap<>();
    private final Stats stats = new Stats();
    /**
     * Wall-clock time the oldest record not yet in S3 arrived (the first record of the oldest open segment), -1 when
     * every record is written: the flush lag metric, read on the reporter's thread.
     */
    private volatile long oldestUnflushedMs = -1;

    public S3OfflineSinkTask() {
        this(S3OfflineSinkTask::defaultClient, System::currentTimeMillis);
    }

    /** For tests: a custom S3 client (e.g. one that fails on purpose) and wall clock. */
    S3OfflineSinkTask(Function<S3OfflineSinkConfig, S3AsyncClient> clientFactory, LongSupplier clock) {
        this.clientFactory = clientFactory;
        this.clock = clock;
    }

    static S3AsyncClient defaultClient(S3OfflineSinkConfig c) {
        return S3Uploader.client(c);
    }

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        config = new S3OfflineSinkConfig(props);
        input = new StitchedInput(config.definitions(), config.topics(), SpliceSerdeConfig.client(config.serdeConfigs()));
        deadLetters = new DeadLetters(context);
        for (JoinDefinition j : config.definitions().joins()) {
            schemas.put(j.id(), OfflineSchema.of(j));
        }
        s3 = clientFactory.apply(config);
        uploader = new S3Uploader(s3, config.getLong(S3OfflineSinkConfig.S3_PART_SIZE),
                config.getString(S3OfflineSinkConfig.S3_SSE), config.getString(S3OfflineSinkConfig.S3_SSE_KMS_KEY_ID));
        try {
            String dir = config.getString(S3OfflineSinkConfig.BUFFER_DIR);
            Path parent = dir == null || dir.isBlank() ? Path.of(System.getProperty("java.io.tmpdir")) : Path.of(dir);
            Files.createDirectories(parent);
            bufferDir = Files.createTempDirectory(parent, "splice-s3-sink-");
        } catch (IOException e) {
            throw new ConnectException("Cannot create the local buffer directory: " + e.getMessage(), e);
        }
        registerMetrics(SinkMetrics.of(context));
        log.info("S3 offline sink task started (flush.size={}, rotate.interval.ms={}, codec={})",
                config.getInt(S3OfflineSinkConfig.FLUSH_SIZE), config.getLong(S3OfflineSinkConfig.ROTATE_INTERVAL_MS),
                config.codec());
    }

    /** The task's flush lag and {@link Stats} as Connect plugin metrics (public for the generated reference page). */
    public void registerMetrics(SinkMetrics metrics) {
        metrics.add("oldest-unflushed-record-age-ms", "Milliseconds since the oldest record not yet written to S3 "
                + "arrived (0: everything received is in S3); grows until flush.size, rotate.interval.ms or "
                + "rotate.idle.ms closes its segment", () -> {
            long oldest = oldestUnflushedMs;
            return oldest < 0 ? 0 : Math.max(0, clock.getAsLong() - oldest);
        });
        metrics.add("objects-total", "Objects written to S3", () -> stats.objects);
        metrics.add("rows-total", "Rows written to S3", () -> stats.rows);
        metrics.add("failed-flushes-total", "Segments whose upload failed (rewound and retried after the backoff)",
                () -> stats.failedFlushes);
        metrics.add("dead-letters-total", "Records sent to the dead-letter queue (undecodable or invalid)",
                () -> stats.deadLettered);
    }

    /** Recomputes {@link #oldestUnflushedMs} after segments changed (on the task's thread). */
    private void trackUnflushed() {
        long oldest = -1;
        for (Segment s : segments.values()) {
            if (s.count > 0 && (oldest < 0 || s.firstAppendMs < oldest)) {
                oldest = s.firstAppendMs;
            }
        }
        oldestUnflushedMs = oldest;
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            segments.computeIfAbsent(tp, Segment::new);
        }
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        long now = clock.getAsLong();
        for (Segment s : segments.values()) {
            s.resumeIfDue(now);
        }
        Set<TopicPartition> skip = new HashSet<>();
        for (SinkRecord r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.kafkaPartition());
            if (skip.contains(tp)) {
                continue; // the partition was rewound: these offsets come again after the seek
            }
            Segment s = segments.computeIfAbsent(tp, Segment::new);
            if (!s.append(r, now)) {
                skip.add(tp);
            }
        }
        long idle = config.getLong(S3OfflineSinkConfig.ROTATE_IDLE_MS);
        if (idle >= 0) {
            for (Segment s : segments.values()) {
                if (s.count > 0 && now - s.lastAppendMs >= idle) {
                    s.closeSegment(now);
                }
            }
        }
        trackUnflushed();
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (Map.Entry<TopicPartition, Segment> e : segments.entrySet()) {
            long c = e.getValue().committable;
            if (c >= 0 && currentOffsets.containsKey(e.getKey())) {
                out.put(e.getKey(), new OffsetAndMetadata(c));
            }
        }
        return out;
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            Segment s = segments.remove(tp);
            if (s != null) {
                s.discard();
            }
        }
        trackUnflushed();
    }

    @Override
    public void stop() {
        for (Segment s : segments.values()) {
            s.discard();
        }
        segments.clear();
        trackUnflushed();
        if (s3 != null) {
            s3.close();
        }
        if (bufferDir != null) {
            try (var files = Files.list(bufferDir)) {
                files.forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // best effort
            }
            bufferDir.toFile().delete();
        }
        log.info("S3 offline sink task stopped: {}", stats);
    }

    /** Counters, for logs and tests. */
    Stats stats() {
        return stats;
    }

    /** Written on the task's thread; the volatile ones are also read by the metrics reporter. */
    static final class Stats {
        volatile long objects;
        volatile long rows;
        long bytes;
        long multipartObjects;
        volatile long deadLettered;
        volatile long failedFlushes;
        long tombstonesFromHeaders;
        long tombstonesFromMemory;
        long tombstonesUnknownRow;

        @Override
        public String toString() {
            return objects + " objects, " + rows + " rows, " + bytes + " bytes (" + multipartObjects + " multipart), "
                    + deadLettered + " to the DLQ, " + failedFlushes + " failed flushes, tombstones filed by headers/"
                    + "memory/Kafka time: " + tombstonesFromHeaders + "/" + tombstonesFromMemory + "/" + tombstonesUnknownRow;
        }
    }

    /** One Parquet file being built: the rows of one join and day within the current segment. */
    private static final class DayFile {
        final String bucket;
        final String folder;
        final String day;
        final long firstOffset;
        final Path path;
        final ParquetWriter<GenericRecord> writer;
        int rows;

        DayFile(String bucket, String folder, String day, long firstOffset, Path path, ParquetWriter<GenericRecord> writer) {
            this.bucket = bucket;
            this.folder = folder;
            this.day = day;
            this.firstOffset = firstOffset;
            this.path = path;
            this.writer = writer;
        }
    }

    private final class Segment {
        final TopicPartition tp;
        long start = -1;
        long firstTime;
        long lastOffset = -1;
        int count;
        long firstAppendMs;
        long lastAppendMs;
        final Map<String, DayFile> files = new LinkedHashMap<>();
        final List<Future<Void>> deadLettered = new ArrayList<>();
        /** The rows of this partition the sink wrote, to file tombstones without headers with their row. */
        final RowMemory memory = new RowMemory(config.getInt(S3OfflineSinkConfig.TOMBSTONE_MEMORY_ROWS));
        /** Tombstones of this segment filed by headers, by memory, by Kafka time (added to the stats once written). */
        final long[] tombstones = new long[3];
        /** The offset to commit: the end of the last segment written, -1 before the first. */
        long committable = -1;
        int failures;
        long resumeAtMs = -1;

        Segment(TopicPartition tp) {
            this.tp = tp;
        }

        void resumeIfDue(long now) {
            if (resumeAtMs >= 0 && now >= resumeAtMs) {
                resumeAtMs = -1;
                context.resume(tp);
                log.info("{}: resuming after a failed upload", tp);
            }
        }

        /** Adds {@code r}; false if writing failed and the partition was rewound to its committed offset. */
        boolean append(SinkRecord r, long now) {
            if (r.kafkaOffset() <= lastOffset || r.kafkaOffset() < committable) {
                // a batch delivered again after put() threw a RetriableException (a registry outage) mid-batch: the
                // records before the failure are already in the segment or uploaded
                return true;
            }
            long time = r.timestamp() != null && r.timestamp() >= 0 ? r.timestamp() : 0L;
            long interval = config.getLong(S3OfflineSinkConfig.ROTATE_INTERVAL_MS);
            if (count > 0 && interval >= 0 && time - firstTime >= interval) {
                if (!closeSegment(now)) {
                    return false;
                }
            }
            if (count == 0) {
                start = r.kafkaOffset();
                firstTime = time;
                firstAppendMs = now;
            }
            Decoded d;
            GenericRecord row = null;
            OfflineSchema.Ended ended = null;
            try {
                d = input.decode(r);
                if (d.isTombstone()) {
                    ended = ended(d);
                }
                row = schemas.get(d.join().id()).row(d, ended);
            } catch (BadRecordException e) {
                stats.deadLettered++;
                deadLettered.add(deadLetters.report(r, new ConnectException(e.describe())));
                d = null;
            }
            try {
                if (d != null) {
                    DayFile f = fileFor(d, ended);
                    f.writer.write(row);
                    f.rows++;
                    if (d.isTombstone()) {
                        memory.deleted(d.rowKey());
                    } else {
                        memory.revision(d.rowKey(), d.value().getTs(), d.value().getRevision());
                    }
                }
            } catch (IOException e) {
                return fail(now, e);
            }
            count++;
            lastOffset = r.kafkaOffset();
            lastAppendMs = now;
            if (count >= config.getInt(S3OfflineSinkConfig.FLUSH_SIZE)) {
                return closeSegment(now);
            }
            return true;
        }

        /**
         * What the tombstone {@code d} ends: from its headers, else from the memory of this partition's rows, else
         * unknown (null: it is filed under its Kafka time's day, with a null revision).
         */
        private OfflineSchema.Ended ended(Decoded d) {
            OfflineSchema.Ended e = OfflineSchema.fromHeaders(d.record());
            if (e != null) {
                tombstones[0]++;
                return e;
            }
            e = memory.lookup(d.rowKey());
            if (e != null) {
                tombstones[1]++;
                return e;
            }
            if (tombstones[2]++ == 0 && stats.tombstonesUnknownRow == 0) {
                log.warn("{}: tombstone of row '{}' at offset {} has no {}/{} headers and its row is not in the sink's "
                                + "memory: filed under the day of its Kafka time with a null revision (a reader of the "
                                + "row's day will not see it). Further cases are counted in the task's stats.", tp,
                        d.rowKey(), d.record().kafkaOffset(), TombstoneHeaders.REVISION, TombstoneHeaders.TS);
            } else {
                log.debug("{}: tombstone of unknown row '{}' at offset {}", tp, d.rowKey(), d.record().kafkaOffset());
            }
            return null;
        }

        private DayFile fileFor(Decoded d, OfflineSchema.Ended ended) throws IOException {
            JoinDefinition j = d.join();
            String day = OfflineSchema.day(d, ended);
            String id = j.id() + "/" + day;
            DayFile f = files.get(id);
            if (f == null) {
                S3OfflineSinkConfig.Location loc = config.location(j);
                Path path = Files.createTempFile(bufferDir, j.name() + "_" + j.version() + "-" + day + "-", ".parquet");
                ParquetWriter<GenericRecord> w = ParquetFiles.open(path, schemas.get(j.id()).schema(), config.codec(),
                        config.getLong(S3OfflineSinkConfig.PARQUET_ROW_GROUP_BYTES));
                f = new DayFile(loc.bucket(), loc.folder(j), day, d.record().kafkaOffset(), path, w);
                files.put(id, f);
            }
            return f;
        }

        String objectKey(DayFile f) {
            int width = config.getInt(S3OfflineSinkConfig.OFFSET_PAD_WIDTH);
            String offset = String.format("%0" + width + "d", f.firstOffset);
            return f.folder + "/ds=" + f.day + "/" + tp.topic() + "+" + tp.partition() + "+" + offset + ".parquet";
        }

        /** Writes the segment's objects; true when they are all in S3 (then its end becomes committable). */
        boolean closeSegment(long now) {
            if (count == 0) {
                return true;
            }
            try {
                for (Future<Void> f : deadLettered) {
                    f.get();
                }
                for (DayFile f : files.values()) {
                    f.writer.close();
                    long size = Files.size(f.path);
                    int parts = uploader.upload(f.bucket, objectKey(f), f.path);
                    stats.objects++;
                    stats.rows += f.rows;
                    stats.bytes += size;
                    if (parts > 1) {
                        stats.multipartObjects++;
                    }
                    log.debug("{}: wrote s3://{}/{} ({} rows, {} bytes, {} part(s))", tp, f.bucket, objectKey(f), f.rows,
                            size, parts);
                    Files.deleteIfExists(f.path);
                }
            } catch (IOException | RuntimeException e) {
                return fail(now, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail(now, e);
            } catch (ExecutionException e) {
                throw new ConnectException("Could not write to the dead-letter queue", e.getCause());
            }
            committable = lastOffset + 1;
            failures = 0;
            memory.commit();
            stats.tombstonesFromHeaders += tombstones[0];
            stats.tombstonesFromMemory += tombstones[1];
            stats.tombstonesUnknownRow += tombstones[2];
            reset();
            return true;
        }

        /** Drops the segment, rewinds the partition to its start and pauses it for the backoff. */
        private boolean fail(long now, Exception e) {
            stats.failedFlushes++;
            long rewindTo = start;
            discard();
            failures++;
            long base = config.getLong(S3OfflineSinkConfig.RETRY_BACKOFF_MS);
            long max = config.getLong(S3OfflineSinkConfig.RETRY_BACKOFF_MAX_MS);
            long backoff = Math.min(max, base * (1L << Math.min(20, failures - 1)));
            log.warn("{}: writing the segment from offset {} failed (attempt {}), rewinding and retrying in {} ms: {}",
                    tp, rewindTo, failures, backoff, e.toString());
            if (rewindTo >= 0) {
                context.offset(tp, rewindTo);
            }
            if (backoff > 0) {
                context.pause(tp);
                resumeAtMs = now + backoff;
            }
            return false;
        }

        void discard() {
            memory.discard();
            for (DayFile f : files.values()) {
                try {
                    f.writer.close();
                } catch (IOException | RuntimeException ignored) {
                    // being dropped
                }
                try {
                    Files.deleteIfExists(f.path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            reset();
        }

        private void reset() {
            Arrays.fill(tombstones, 0L);
            files.clear();
            deadLettered.clear();
            count = 0;
            start = -1;
            lastOffset = -1;
        }
    }
}
