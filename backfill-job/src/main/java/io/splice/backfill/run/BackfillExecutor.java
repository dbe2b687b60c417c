package io.splice.backfill.run;

import io.splice.backfill.compute.FeatureEngine;
import io.splice.backfill.compute.FeatureSpec;
import io.splice.backfill.compute.LeftRows;
import io.splice.backfill.compute.UncoveredParts;
import io.splice.backfill.io.DayTable;
import io.splice.backfill.io.OutputStore;
import io.splice.backfill.io.OutputStore.Marker;
import io.splice.backfill.io.Sessions;
import io.splice.backfill.publish.FeatureRowEncoder;
import io.splice.backfill.publish.KafkaPublisher;
import io.splice.backfill.run.BackfillPlan.Action;
import io.splice.backfill.run.BackfillPlan.ChunkPlan;
import io.splice.backfill.run.BackfillPlan.Input;
import io.splice.core.api.Aggregation;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.PartDefinition;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map;
import static org.apache.spark.sql.functions.map_filter;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

/**
 * Runs a {@link BackfillPlan} that has no problems: connects to the registry and Kafka first (when publishing), then
 * per chunk does what the plan says — skip, publish the existing output, or compute into {@code _staging/} and swap
 * each day in with its marker (publishing the rows before the markers). Prints one progress line per chunk.
 */
public final class BackfillExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(BackfillExecutor.class);

    private final BackfillPlan plan;
    private final HadoopDiskState disk;
    private final PrintWriter out;
    private Supplier<KafkaPublisher> publisher;
    private Integer partitions;
    private List<String> partitionsLike = List.of();
    private int failAfterSwaps;

    public BackfillExecutor(BackfillPlan plan, HadoopDiskState disk, PrintWriter out) {
        if (!plan.problems().isEmpty()) {
            throw new IllegalArgumentException("the plan has problems: " + String.join("; ", plan.problems()));
        }
        this.plan = plan;
        this.disk = disk;
        this.out = out;
    }

    /**
     * How to publish (needed when the plan publishes): the publisher, and the topic's partitions if it must be
     * created ({@code partitions}, else as the first of {@code like} that exists, else 1).
     */
    public BackfillExecutor publishWith(Supplier<KafkaPublisher> publisher, Integer partitions, List<String> like) {
        this.publisher = publisher;
        this.partitions = partitions;
        this.partitionsLike = List.copyOf(like);
        return this;
    }

    /** Testing: fail after {@code n} days were swapped in, before their marker (0: never). */
    public BackfillExecutor failAfterSwaps(int n) {
        this.failAfterSwaps = n;
        return this;
    }

    /** Runs the plan in a Spark session from {@code sessions}; returns the rows written or published. */
    public long run(Supplier<Sessions.Handle> sessions) {
        LOG.info("backfill plan:\n{}", plan);
        JoinDefinition j = plan.join();
        OutputStore store = disk.store();
        BackfillPlan.Publish target = plan.publish();
        // Registry and Kafka first: a wrong address or credential fails in seconds, before Spark starts or anything is computed.
        KafkaPublisher pub = null;
        int schemaId = -1;
        if (target != null) {
            pub = publisher.get();
            schemaId = pub.registerSchema(target.topic());
            pub.ensureCompactedTopic(target.topic(), partitions, partitionsLike, out);
        }
        try (Sessions.Handle h = sessions.get()) {
            SparkSession spark = h.spark();
            store.cleanLeftovers();
            FeatureEngine eng = FeatureEngine.named(plan.engine());
            long runStart = System.nanoTime();
            double computedSecs = 0;
            int done = 0;
            long toRun = plan.chunksToRun();
            long totalRows = 0;
            AtomicInteger swaps = new AtomicInteger();
            for (ChunkPlan cp : plan.chunks()) {
                Chunk c = cp.chunk();
                if (cp.action() == Action.SKIP) {
                    out.printf("chunk %d/%d %s: complete (_SUCCESS with current part hashes), skipped%n", c.index(), c.total(), c.label());
                    continue;
                }
                long t0 = System.nanoTime();
                long rows;
                if (cp.action() == Action.PUBLISH) {
                    rows = publishExisting(spark, store, c, pub, schemaId, target.topic());
                    out.printf("chunk %d/%d %s: complete, published %s existing rows to %s%n", c.index(), c.total(), c.label(),
                            Fmt.count(rows), target.topic());
                } else {
                    rows = computeChunk(spark, eng, store, c, cp.publish() ? pub : null, schemaId,
                            target == null ? null : target.topic(), swaps);
                }
                totalRows += rows;
                double secs = (System.nanoTime() - t0) / 1e9;
                computedSecs += secs;
                done++;
                double elapsed = (System.nanoTime() - runStart) / 1e9;
                double eta = computedSecs / done * (toRun - done);
                out.printf("chunk %d/%d %s: %s rows in %s (%s rows/s) | elapsed %s | ETA %s%n", c.index(), c.total(), c.label(),
                        Fmt.count(rows), Fmt.secs(secs), Fmt.count(Math.round(rows / Math.max(secs, 1e-3))),
                        Fmt.secs(elapsed), Fmt.secs(eta));
                out.flush();
            }
            out.printf("done: %s rows in %s, output %s%s%n", Fmt.count(totalRows),
                    Fmt.secs((System.nanoTime() - runStart) / 1e9), store.dir(), target != null ? ", published to " + target.topic() : "");
            return totalRows;
        }
    }

    private long computeChunk(SparkSession spark, FeatureEngine eng, OutputStore store, Chunk c, KafkaPublisher pub,
                              int schemaId, String topic, AtomicInteger swaps) {
        JoinDefinition j = plan.join();
        Input leftIn = plan.leftRows();
        Dataset<Row> raw = disk.table(leftIn.root()).read(spark, c.days(), leftIn.format());
        Path staging = store.newStaging("chunk-" + c.start());
        try {
            long rows = 0;
            if (raw != null) {
                Dataset<Row> leftRows = LeftRows.prepare(raw, j.rowIds(), j.keys(), plan.tsColumn());
                if (plan.onlyUncovered()) {
                    Dataset<Row> latest = UncoveredParts.latest(spark, store.fs().getConf(), plan.stitched(), j.featureGroupName(), c.days());
                    leftRows = UncoveredParts.needs(leftRows, latest, plan.parts(), plan.partHashes(), plan.consistencySample());
                }
                leftRows = leftRows.persist(StorageLevel.MEMORY_AND_DISK());
                rows = writeChunk(spark, eng, leftRows, c, staging);
                leftRows.unpersist();
            }
            // per-day row counts of what was written
            Map<LocalDate, Long> perDay = new LinkedHashMap<>();
            c.days().forEach(d -> perDay.put(d, 0L));
            if (hasData(store, staging)) {
                for (Row r : spark.read().parquet(staging.toString()).groupBy(DayTable.DS).count().collectAsList()) {
                    perDay.put(LocalDate.parse(r.getString(0)), r.getLong(1));
                }
                if (pub != null) {
                    Dataset<Row> written = spark.read().parquet(staging.toString());
                    pub.write(encode(written, j, plan.parts(), schemaId), topic);
                }
            }
            for (LocalDate d : c.days()) {
                Marker m = marker(perDay.get(d), c, pub != null ? List.of(topic) : List.of());
                store.swapIn(staging, d, m, () -> {
                    if (failAfterSwaps > 0 && swaps.incrementAndGet() >= failAfterSwaps) {
                        throw new IllegalStateException("simulated failure after " + failAfterSwaps + " day swap(s) (--fail-after-swaps)");
                    }
                });
            }
            return rows >= 0 ? rows : perDay.values().stream().mapToLong(Long::longValue).sum();
        } finally {
            store.delete(staging);
        }
    }

    private static boolean hasData(OutputStore store, Path staging) {
        try {
            if (!store.fs().exists(staging)) {
                return false;
            }
            for (FileStatus st : store.fs().listStatus(staging)) {
                if (st.isDirectory() && st.getPath().getName().startsWith(DayTable.DS + "=")) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Computes every part for the chunk's rows and writes them to {@code staging}; returns the number of left rows (-1: count what is written). */
    private long writeChunk(SparkSession spark, FeatureEngine eng, Dataset<Row> leftRows, Chunk c, Path staging) {
        JoinDefinition j = plan.join();
        List<PartDefinition> parts = plan.parts();
        Map<String, String> hashes = plan.partHashes();
        boolean onlyUncovered = plan.onlyUncovered();
        long total;
        Map<String, Long> need = new LinkedHashMap<>();
        if (onlyUncovered) {
            List<Column> aggs = new ArrayList<>();
            aggs.add(org.apache.spark.sql.functions.count(lit(1)));
            for (PartDefinition p : parts) {
                aggs.add(org.apache.spark.sql.functions.sum(when(col(UncoveredParts.needColumn(p)), 1).otherwise(0)));
            }
            aggs.add(org.apache.spark.sql.functions.sum(when(col(UncoveredParts.SAMPLED), 1).otherwise(0)));
            Row r = leftRows.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();
            total = r.getLong(0);
            boolean sampling = plan.consistencySample() > 0;
            for (int i = 0; i < parts.size(); i++) {
                long n = r.isNullAt(i + 1) ? 0 : r.getLong(i + 1);
                need.put(parts.get(i).name(), n);
                out.printf("  %s: %s of %s rows need a backfill%s%s%n", parts.get(i).name(), Fmt.count(n), Fmt.count(total),
                        sampling ? " or are in the consistency sample" : "", n == 0 ? ", skipped" : "");
            }
            if (sampling) {
                long sampled = r.isNullAt(parts.size() + 1) ? 0 : r.getLong(parts.size() + 1);
                out.printf("  consistency sample: %s of %s rows (%s) computed whether covered or not%n", Fmt.count(sampled),
                        Fmt.count(total), plan.consistencySample());
            }
        } else {
            total = -1; // counted from what is written
        }
        Dataset<Row> base = leftRows;
        List<String> computedParts = new ArrayList<>();
        for (PartDefinition p : parts) {
            if (onlyUncovered && need.get(p.name()) == 0) {
                continue;
            }
            List<FeatureSpec> specs = p.features().stream().map(FeatureSpec::of).toList();
            Dataset<Row> rowsP = leftRows;
            if (onlyUncovered) {
                rowsP = rowsP.where(col(UncoveredParts.needColumn(p)));
            }
            rowsP = rowsP.select(col(FeatureEngine.ROW_KEY), col(FeatureEngine.T), col(p.key()));
            Input in = plan.partInputs().get(p.name());
            DayTable src = disk.table(in.root());
            Duration w = p.longestWindow();
            List<LocalDate> days = BackfillPlan.eventDays(disk.inputDays(in.root()), w, c.start(), c.end());
            Dataset<Row> events = src.read(spark, days, in.format());
            Dataset<Row> result;
            if (events == null) {
                result = emptyResult(specs, rowsP);
            } else {
                String ts = plan.tsColumn();
                LeftRows.requireColumns(events, "source '" + p.source() + "' (" + src.root() + ")", List.of(p.key(), ts));
                events = events.withColumn(FeatureEngine.T, DayTable.epochMillis(events, ts));
                Column inRange = col(FeatureEngine.T).lt(c.endMillisExclusive());
                if (w != null) {
                    inRange = inRange.and(col(FeatureEngine.T).geq(c.startMillis() - w.toMillis()));
                }
                result = eng.compute(specs, rowsP, events.where(inRange), p.key());
            }
            String flag = "__c_" + p.name();
            base = base.join(result.withColumn(flag, lit(true)), FeatureEngine.ROW_KEY, "left");
            computedParts.add(p.name());
        }
        // part_hashes: exactly the parts computed for the row
        List<Column> kv = new ArrayList<>();
        for (String p : computedParts) {
            kv.add(lit(p));
            kv.add(when(col("__c_" + p), lit(hashes.get(p))));
        }
        Column partHashes = kv.isEmpty()
                ? map().cast("map<string,string>")
                : map_filter(map(kv.toArray(Column[]::new)), (k, v) -> v.isNotNull());
        List<Column> sel = new ArrayList<>();
        sel.add(col(FeatureEngine.ROW_KEY));
        sel.add(col(FeatureEngine.T).as("ts"));
        j.keys().forEach(k -> sel.add(col(k)));
        for (PartDefinition p : parts) {
            for (FeatureDefinition f : p.features()) {
                sel.add(computedParts.contains(p.name()) ? col(f.name())
                        : lit(null).cast(FeatureSpec.sparkType(f.type())).as(f.name()));
            }
        }
        sel.add(lit(j.version()).as("feature_version"));
        sel.add(partHashes.as("part_hashes"));
        sel.add(col(DayTable.DS));
        Dataset<Row> result = base.select(sel.toArray(Column[]::new));
        if (onlyUncovered) {
            result = result.where(size(col("part_hashes")).gt(0));
        }
        if (!computedParts.isEmpty()) {
            result.write().mode("overwrite").partitionBy(DayTable.DS).parquet(staging.toString());
        }
        return total;
    }

    /** No event partition at all for the chunk (--allow-missing): counts are 0, every other aggregate null. */
    private static Dataset<Row> emptyResult(List<FeatureSpec> specs, Dataset<Row> rowsP) {
        List<Column> cols = new ArrayList<>();
        cols.add(col(FeatureEngine.ROW_KEY));
        for (FeatureSpec f : specs) {
            boolean counting = f.agg() == Aggregation.COUNT || f.agg() == Aggregation.COUNT_DISTINCT;
            cols.add((counting ? lit(0L) : lit(null)).cast(f.declaredType()).as(f.name()));
        }
        return rowsP.select(cols.toArray(Column[]::new));
    }

    static Dataset<Row> encode(Dataset<Row> written, JoinDefinition j, List<PartDefinition> parts, int schemaId) {
        LinkedHashMap<String, List<String>> partFeatures = new LinkedHashMap<>();
        List<String> features = new ArrayList<>();
        for (PartDefinition p : parts) {
            partFeatures.put(p.name(), new ArrayList<>(p.featureNames()));
            features.addAll(p.featureNames());
        }
        return FeatureRowEncoder.encode(written, schemaId, j.keys(), features, partFeatures);
    }

    /** A complete chunk not yet on the topic: publishes its existing output, then names the topic in its markers. */
    private long publishExisting(SparkSession spark, OutputStore store, Chunk c, KafkaPublisher pub, int schemaId, String topic) {
        List<String> paths = new ArrayList<>();
        for (LocalDate d : c.days()) {
            try {
                for (FileStatus st : store.fs().listStatus(store.day(d))) {
                    if (st.getPath().getName().endsWith(".parquet")) {
                        paths.add(store.day(d).toString());
                        break;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        long rows = 0;
        if (!paths.isEmpty()) {
            Dataset<Row> written = spark.read().option("basePath", store.dir().toString()).parquet(paths.toArray(String[]::new));
            rows = written.count();
            pub.write(encode(written, plan.join(), plan.parts(), schemaId), topic);
        }
        for (LocalDate d : c.days()) {
            Marker m = store.marker(d).orElseThrow();
            List<String> topics = new ArrayList<>(m.publishedTo() == null ? List.of() : m.publishedTo());
            if (!topics.contains(topic)) {
                topics.add(topic);
            }
            store.writeMarker(d, m.withPublishedTo(topics));
        }
        return rows;
    }

    private Marker marker(long rows, Chunk c, List<String> publishedTo) {
        JoinDefinition j = plan.join();
        List<String> features = new ArrayList<>();
        plan.parts().forEach(p -> features.addAll(p.featureNames()));
        return new Marker(j.id(), plan.partHashes(), rows, c.label(), plan.onlyUncovered(), j.keys(), features, publishedTo,
                Instant.now().toString());
    }
}
