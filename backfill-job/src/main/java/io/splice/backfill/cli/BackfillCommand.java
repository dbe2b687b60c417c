package io.splice.backfill.cli;

import io.splice.backfill.compute.Coverage;
import io.splice.backfill.compute.FeatureEngine;
import io.splice.backfill.compute.FeatureSpec;
import io.splice.backfill.compute.LeftRows;
import io.splice.backfill.compute.SweepEngine;
import io.splice.backfill.io.DayTable;
import io.splice.backfill.io.OutputStore;
import io.splice.backfill.io.OutputStore.DayStatus;
import io.splice.backfill.io.OutputStore.Marker;
import io.splice.backfill.io.Sessions;
import io.splice.backfill.publish.FeatureRowEncoder;
import io.splice.backfill.publish.KafkaPublisher;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.PartDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.SemanticHasher;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map;
import static org.apache.spark.sql.functions.map_filter;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

/** {@code splice backfill}: point-in-time-correct features for a date range, chunk by chunk. */
@Command(name = "backfill", sortOptions = false, usageHelpWidth = 120,
        description = {
                "Computes a join's features for the left rows of [--start-date, --end-date], point-in-time correct",
                "(a row at t aggregates its key's events with t - window <= ts < t), in chunks of --chunk-size-days.",
                "Output: Parquet at <output>/<name>_<version>/ds=<day>/ with a _SUCCESS marker naming the part hashes;",
                "a complete chunk is skipped on a re-run, --overwrite recomputes and swaps it in. With --publish, the",
                "rows also go as FeatureRows (Confluent wire format) to the compacted topic splice.backfill.<name>.<version>."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done (or nothing to do)", "1:a chunk failed (re-run to resume)",
                "2:bad arguments, definitions or missing input partitions"})
public final class BackfillCommand extends SparkCommand implements Callable<Integer> {

    @Option(names = "--definitions", required = true, paramLabel = "FILE", description = "joins.yaml")
    java.nio.file.Path definitions;

    @Option(names = "--join", required = true, paramLabel = "NAME")
    String join;

    @Option(names = "--version", required = true, paramLabel = "V")
    String version;

    @Option(names = "--start-date", required = true, paramLabel = "YYYY-MM-DD", description = "first day (UTC), inclusive")
    LocalDate startDate;

    @Option(names = "--end-date", required = true, paramLabel = "YYYY-MM-DD", description = "last day (UTC), inclusive")
    LocalDate endDate;

    @Option(names = "--chunk-size-days", defaultValue = "1", paramLabel = "N",
            description = "days per unit of work (default ${DEFAULT-VALUE}); see README for sizes")
    int chunkSizeDays;

    @Option(names = "--input-root", defaultValue = "data", paramLabel = "DIR",
            description = "where inputs live by default: <root>/<source> per part, <root>/<join>_rows for the left rows (default ${DEFAULT-VALUE})")
    String inputRoot;

    @Option(names = "--left", paramLabel = "PATH", description = "left rows (row ids, keys, ts) partitioned by ds= (default <input-root>/<join>_rows)")
    String left;

    @Option(names = "--input", paramLabel = "PART=PATH",
            description = "a part's (or a source's) event table, partitioned by ds=; repeatable. A bare PATH sets --input-root.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--output", defaultValue = "out/backfill", paramLabel = "PATH", description = "output root (default ${DEFAULT-VALUE})")
    String output;

    @Option(names = "--format", defaultValue = "auto", paramLabel = "FMT", description = "input format: auto (by file extension), parquet or json")
    String format;

    @Option(names = "--ts-column", defaultValue = "ts", paramLabel = "COL",
            description = "time column of left rows and events: epoch ms, timestamp or ISO string (default ${DEFAULT-VALUE})")
    String tsColumn;

    @Option(names = "--dry-run", description = "print the plan (chunks, input partitions found/missing, estimated rows and bytes, output paths); write nothing")
    boolean dryRun;

    @Option(names = "--overwrite", description = "recompute complete chunks too and replace them atomically")
    boolean overwrite;

    @Option(names = "--allow-missing", description = "run although input partitions are missing (their features are computed without those days)")
    boolean allowMissing;

    @Option(names = "--only-uncovered", description = "compute a part only for rows whose stitched output does not already take it from bootstrap or log")
    boolean onlyUncovered;

    @Option(names = "--stitched", paramLabel = "PATH", description = "stitched offline output (the S3 sink's prefix; default: the join's offline.s3_prefix)")
    String stitched;

    @Option(names = "--publish", description = "also publish FeatureRows to splice.backfill.<name>.<version>")
    boolean publish;

    @Mixin
    KafkaTarget kafka = new KafkaTarget();

    @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX, paramLabel = "P")
    String topicPrefix;

    @Option(names = "--partitions", paramLabel = "N",
            description = "partitions of the topic if it must be created (default: as splice.stitched.<join>, else splice.fetch-log, else 1)")
    Integer partitions;

    @Option(names = "--engine", defaultValue = "sweep", paramLabel = "E",
            description = "sweep (default: sorted per-key pass) or range (RANGE BETWEEN window functions, the slow reference)")
    String engine;

    @Option(names = "--fail-after-swaps", hidden = true, description = "testing: fail after N days were swapped in, before their marker")
    int failAfterSwaps;

    @Override
    public Integer call() {
        PrintWriter out = out();
        PrintWriter err = err();
        JoinDefinition j = loadJoin(definitions, join, version);
        if (j == null) {
            return 2;
        }
        List<Chunk> chunks;
        try {
            chunks = Chunk.split(startDate, endDate, chunkSizeDays);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        KafkaTarget.Resolved target = publish ? kafka.resolve("--publish") : null;
        if (target != null && target.problem() != null) {
            err.println("error: " + target.problem());
            return 2;
        }
        if (onlyUncovered && stitched == null) {
            stitched = j.offline() != null ? j.offline().s3Prefix() : null;
            if (stitched == null) {
                err.println("error: --only-uncovered needs --stitched PATH (or offline.s3_prefix in the join)");
                return 2;
            }
        }
        for (String in : inputs) {
            if (!in.contains("=")) {
                inputRoot = in;
            }
        }
        List<PartDefinition> parts = j.parts().stream().filter(p -> !p.external()).toList();
        List<String> externals = j.parts().stream().filter(PartDefinition::external).map(PartDefinition::name).toList();
        Map<String, String> allHashes = SemanticHasher.hashes(j);
        Map<String, String> hashes = new LinkedHashMap<>();
        parts.forEach(p -> hashes.put(p.name(), allHashes.get(p.name())));
        if (parts.isEmpty()) {
            out.printf("%s has only external parts (%s): they are never backfilled, nothing to do%n", j.id(), String.join(", ", externals));
            return 0;
        }

        Configuration hconf = hadoopConf();
        String leftPath = left != null ? left : join(inputRoot, j.name() + "_rows");
        DayTable leftTable = DayTable.at(leftPath, hconf);
        Map<String, DayTable> sources = new LinkedHashMap<>();
        Map<String, Set<LocalDate>> neededByPath = new LinkedHashMap<>();
        for (PartDefinition p : parts) {
            String path = sourcePath(p);
            sources.put(p.name(), sources.values().stream().filter(t -> t.root().equals(path)).findFirst()
                    .orElseGet(() -> DayTable.at(path, hconf)));
        }
        OutputStore store = new OutputStore(output, j.featureGroupName(), hconf);
        String topic = new Topics(topicPrefix).backfill(j);

        // ---- the plan ----
        out.printf("Backfill %s → %s, %s..%s (%d day%s) in %d chunk%s of up to %d day%s, engine %s%s%n", j.id(), store.dir(),
                startDate, endDate, chunks.stream().mapToInt(c -> c.days().size()).sum(),
                chunks.stream().mapToInt(c -> c.days().size()).sum() == 1 ? "" : "s", chunks.size(),
                chunks.size() == 1 ? "" : "s", chunkSizeDays, chunkSizeDays == 1 ? "" : "s", engine,
                dryRun ? " (dry run)" : "");
        out.printf("  part hashes: %s%s%n", hashes, externals.isEmpty() ? "" : "; external, never computed: " + String.join(", ", externals));
        Map<String, List<LocalDate>> missing = new LinkedHashMap<>();
        List<LocalDate> allDays = new ArrayList<>();
        chunks.forEach(c -> allDays.addAll(c.days()));
        String leftFormat = leftTable.format(format);
        describeInput(out, "left rows", leftTable, leftFormat, allDays, missing, null);
        for (PartDefinition p : parts) {
            DayTable t = sources.get(p.name());
            Duration w = p.longestWindow();
            List<LocalDate> needed = eventDays(t, w, startDate, endDate);
            neededByPath.computeIfAbsent(t.root(), k -> new TreeSet<>()).addAll(needed);
            describeInput(out, p.name() + " (" + p.source() + ", lookback " + Fmt.duration(w) + ")", t, t.format(format),
                    needed, missing, p.name());
        }
        List<String> actions = new ArrayList<>();
        for (Chunk c : chunks) {
            String action = action(store, c, hashes, topic);
            actions.add(action);
            out.printf("  chunk %d/%d %s: %s → %s%n", c.index(), c.total(), c.label(), action,
                    c.start().equals(c.end()) ? store.day(c.start()) : store.day(c.start()) + " … " + store.day(c.end()).getName());
        }
        if (onlyUncovered) {
            out.printf("  only uncovered rows: coverage from the stitched output at %s%n", stitched);
        }
        if (publish) {
            out.printf("  publish: %s (compacted, created if missing) via %s, schema registry %s%n", topic, target.bootstrapServers(), target.registryUrl());
        }
        boolean anyMissing = missing.values().stream().anyMatch(l -> !l.isEmpty());
        if (anyMissing) {
            for (Map.Entry<String, List<LocalDate>> m : missing.entrySet()) {
                if (!m.getValue().isEmpty()) {
                    (allowMissing ? out : err).printf("%s: %s is missing input partition%s for %s%n",
                            allowMissing ? "warning" : "error", m.getKey(), m.getValue().size() == 1 ? "" : "s",
                            DayTable.ranges(m.getValue()));
                }
            }
            if (!allowMissing) {
                err.println("error: missing input partitions (pass --allow-missing to run without them)");
                return 2;
            }
        }
        if (dryRun) {
            out.println("Dry run: nothing written.");
            return 0;
        }

        // ---- the run ----
        // Registry and Kafka first: a wrong address or credential fails in seconds, before Spark starts or anything is computed.
        KafkaPublisher publisher = null;
        int schemaId = -1;
        if (publish) {
            publisher = target.publisher();
            schemaId = publisher.registerSchema(topic);
            Topics t = new Topics(topicPrefix);
            publisher.ensureCompactedTopic(topic, partitions, List.of(t.stitched(j), t.fetchLog()), out);
        }
        try (Sessions.Handle h = session("splice backfill " + j.id())) {
            SparkSession spark = h.spark();
            store.cleanLeftovers();
            FeatureEngine eng = FeatureEngine.named(engine);
            long runStart = System.nanoTime();
            double computedSecs = 0;
            int computed = 0;
            int toCompute = (int) actions.stream().filter(a -> !a.startsWith("complete")).count();
            long totalRows = 0;
            AtomicInteger swaps = new AtomicInteger();
            for (int ci = 0; ci < chunks.size(); ci++) {
                Chunk c = chunks.get(ci);
                String action = actions.get(ci);
                if (action.startsWith("complete")) {
                    out.printf("chunk %d/%d %s: complete (_SUCCESS with current part hashes), skipped%n", c.index(), c.total(), c.label());
                    continue;
                }
                long t0 = System.nanoTime();
                long rows;
                if (action.startsWith("publish")) {
                    rows = publishExisting(spark, store, c, j, parts, publisher, schemaId, topic);
                    out.printf("chunk %d/%d %s: complete, published %s existing rows to %s%n", c.index(), c.total(), c.label(),
                            Fmt.count(rows), topic);
                } else {
                    rows = runChunk(spark, out, eng, j, parts, hashes, leftTable, leftFormat, sources, store, c,
                            publisher, schemaId, topic, swaps);
                }
                totalRows += rows;
                double secs = (System.nanoTime() - t0) / 1e9;
                computedSecs += secs;
                computed++;
                double elapsed = (System.nanoTime() - runStart) / 1e9;
                double eta = computedSecs / computed * (toCompute - computed);
                out.printf("chunk %d/%d %s: %s rows in %s (%s rows/s) | elapsed %s | ETA %s%n", c.index(), c.total(), c.label(),
                        Fmt.count(rows), Fmt.secs(secs), Fmt.count(Math.round(rows / Math.max(secs, 1e-3))),
                        Fmt.secs(elapsed), Fmt.secs(eta));
                out.flush();
            }
            out.printf("done: %s rows in %s, output %s%s%n", Fmt.count(totalRows),
                    Fmt.secs((System.nanoTime() - runStart) / 1e9), store.dir(), publish ? ", published to " + topic : "");
        }
        return 0;
    }

    private String sourcePath(PartDefinition p) {
        for (String in : inputs) {
            int eq = in.indexOf('=');
            if (eq > 0) {
                String name = in.substring(0, eq).trim();
                if (name.equals(p.name())) {
                    return in.substring(eq + 1).trim();
                }
            }
        }
        for (String in : inputs) {
            int eq = in.indexOf('=');
            if (eq > 0 && in.substring(0, eq).trim().equals(p.source())) {
                return in.substring(eq + 1).trim();
            }
        }
        return join(inputRoot, p.source());
    }

    static String join(String root, String child) {
        return root.endsWith("/") ? root + child : root + "/" + child;
    }

    /** Days of events a range needs: from the start minus the longest window to the end; all found days when unbounded. */
    static List<LocalDate> eventDays(DayTable t, Duration longest, LocalDate start, LocalDate end) {
        LocalDate from;
        if (longest == null) {
            from = t.days().isEmpty() ? start : t.days().firstKey();
            if (from.isAfter(start)) {
                from = start;
            }
        } else {
            from = LocalDateTime.of(start, java.time.LocalTime.MIDNIGHT).minus(longest).toLocalDate();
        }
        List<LocalDate> out = new ArrayList<>();
        for (LocalDate d = from; !d.isAfter(end); d = d.plusDays(1)) {
            out.add(d);
        }
        return out;
    }

    private void describeInput(PrintWriter out, String what, DayTable t, String fmt, List<LocalDate> needed,
                               Map<String, List<LocalDate>> missing, String part) {
        List<LocalDate> miss = new ArrayList<>();
        long bytes = 0;
        long rows = 0;
        boolean rowsKnown = true;
        int found = 0;
        for (LocalDate d : needed) {
            if (!t.days().containsKey(d)) {
                miss.add(d);
                continue;
            }
            found++;
            if (dryRun) {
                DayTable.DayStats s = t.stats(d, fmt);
                bytes += s.bytes();
                if (s.estimatedRows() == null) {
                    rowsKnown = false;
                } else {
                    rows += s.estimatedRows();
                }
            }
        }
        String label = part == null ? "left rows" : "part " + part;
        missing.put(label + " (" + t.root() + ")", miss);
        String range = needed.isEmpty() ? "" : needed.get(0) + ".." + needed.get(needed.size() - 1);
        out.printf("  %s: %s [%s] %s: %d of %d day partitions found%s%s%n", what, t.root(), fmt, range, found, needed.size(),
                dryRun ? ", ~" + (rowsKnown ? Fmt.count(rows) : "?") + " rows, " + Fmt.bytes(bytes) : "",
                miss.isEmpty() ? "" : "; missing " + DayTable.ranges(miss));
    }

    private String action(OutputStore store, Chunk c, Map<String, String> hashes, String topic) {
        if (overwrite) {
            return "recompute (--overwrite)";
        }
        Set<String> why = new LinkedHashSet<>();
        boolean published = true;
        for (LocalDate d : c.days()) {
            DayStatus s = store.status(d, hashes, onlyUncovered);
            switch (s) {
                case COMPLETE -> {
                    Marker m = store.marker(d).orElseThrow();
                    if (m.publishedTo() == null || !m.publishedTo().contains(topic)) {
                        published = false;
                    }
                }
                case PARTIAL -> why.add("was computed --only-uncovered");
                case STALE -> why.add("definition changed since");
                case INCOMPLETE -> why.add("interrupted run");
                case ABSENT -> why.add("new");
            }
        }
        if (why.isEmpty()) {
            return publish && !published ? "publish existing output" : "complete, skip";
        }
        if (why.equals(Set.of("new"))) {
            return "compute";
        }
        why.remove("new");
        return "recompute (" + String.join(", ", why) + ")";
    }

    private long runChunk(SparkSession spark, PrintWriter out, FeatureEngine eng, JoinDefinition j, List<PartDefinition> parts,
                          Map<String, String> hashes, DayTable leftTable, String leftFormat, Map<String, DayTable> sources,
                          OutputStore store, Chunk c, KafkaPublisher publisher, int schemaId, String topic, AtomicInteger swaps) {
        List<String> keys = j.keys();
        Dataset<Row> raw = leftTable.read(spark, c.days(), leftFormat);
        Path staging = store.newStaging("chunk-" + c.start());
        try {
            Dataset<Row> leftRows;
            if (raw == null) {
                leftRows = null;
            } else {
                leftRows = LeftRows.prepare(raw, j.rowIds(), keys, tsColumn);
            }
            long rows = 0;
            if (leftRows != null) {
                if (onlyUncovered) {
                    Dataset<Row> latest = Coverage.latest(spark, store.fs().getConf(), stitched, j.featureGroupName(), c.days());
                    leftRows = Coverage.needs(leftRows, latest, parts, hashes);
                }
                leftRows = leftRows.persist(StorageLevel.MEMORY_AND_DISK());
                rows = writeChunk(spark, out, eng, j, parts, hashes, leftRows, sources, c, staging);
                leftRows.unpersist();
            }
            // per-day row counts of what was written
            Map<LocalDate, Long> perDay = new LinkedHashMap<>();
            c.days().forEach(d -> perDay.put(d, 0L));
            if (hasData(store, staging)) {
                for (Row r : spark.read().parquet(staging.toString()).groupBy(DayTable.DS).count().collectAsList()) {
                    perDay.put(LocalDate.parse(r.getString(0)), r.getLong(1));
                }
                if (publisher != null) {
                    Dataset<Row> written = spark.read().parquet(staging.toString());
                    publisher.write(encode(written, j, parts, schemaId), topic);
                }
            }
            for (LocalDate d : c.days()) {
                Marker m = marker(j, hashes, perDay.get(d), c, publisher != null ? List.of(topic) : List.of());
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
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Computes every part for the chunk's rows and writes them to {@code staging}; returns the number of left rows. */
    private long writeChunk(SparkSession spark, PrintWriter out, FeatureEngine eng, JoinDefinition j, List<PartDefinition> parts,
                            Map<String, String> hashes, Dataset<Row> leftRows, Map<String, DayTable> sources, Chunk c, Path staging) {
        long total;
        Map<String, Long> need = new LinkedHashMap<>();
        if (onlyUncovered) {
            List<Column> aggs = new ArrayList<>();
            aggs.add(org.apache.spark.sql.functions.count(lit(1)));
            for (PartDefinition p : parts) {
                aggs.add(org.apache.spark.sql.functions.sum(when(col(Coverage.needColumn(p)), 1).otherwise(0)));
            }
            Row r = leftRows.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();
            total = r.getLong(0);
            for (int i = 0; i < parts.size(); i++) {
                long n = r.isNullAt(i + 1) ? 0 : r.getLong(i + 1);
                need.put(parts.get(i).name(), n);
                out.printf("  %s: %s of %s rows need a backfill%s%n", parts.get(i).name(), Fmt.count(n), Fmt.count(total),
                        n == 0 ? ", skipped" : "");
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
                rowsP = rowsP.where(col(Coverage.needColumn(p)));
            }
            rowsP = rowsP.select(col(FeatureEngine.ROW_KEY), col(FeatureEngine.T), col(p.key()));
            DayTable src = sources.get(p.name());
            Duration w = p.longestWindow();
            List<LocalDate> days = eventDays(src, w, c.start(), c.end());
            Dataset<Row> events = src.read(spark, days, src.format(format));
            Dataset<Row> result;
            if (events == null) {
                result = emptyResult(specs, rowsP);
            } else {
                LeftRows.requireColumns(events, "source '" + p.source() + "' (" + src.root() + ")", List.of(p.key(), tsColumn));
                events = events.withColumn(FeatureEngine.T, DayTable.epochMillis(events, tsColumn));
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
            boolean counting = f.agg() == io.splice.core.api.Aggregation.COUNT || f.agg() == io.splice.core.api.Aggregation.COUNT_DISTINCT;
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

    private long publishExisting(SparkSession spark, OutputStore store, Chunk c, JoinDefinition j, List<PartDefinition> parts,
                                 KafkaPublisher publisher, int schemaId, String topic) {
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
                throw new java.io.UncheckedIOException(e);
            }
        }
        long rows = 0;
        if (!paths.isEmpty()) {
            Dataset<Row> written = spark.read().option("basePath", store.dir().toString()).parquet(paths.toArray(String[]::new));
            rows = written.count();
            publisher.write(encode(written, j, parts, schemaId), topic);
        }
        for (LocalDate d : c.days()) {
            Marker m = store.marker(d).orElseThrow();
            List<String> topics = new ArrayList<>(m.publishedTo() == null ? List.of() : m.publishedTo());
            topics.add(topic);
            store.writeMarker(d, m.withPublishedTo(topics));
        }
        return rows;
    }

    private Marker marker(JoinDefinition j, Map<String, String> hashes, long rows, Chunk c, List<String> publishedTo) {
        List<String> features = new ArrayList<>();
        j.parts().stream().filter(p -> !p.external()).forEach(p -> features.addAll(p.featureNames()));
        return new Marker(j.id(), hashes, rows, c.label(), onlyUncovered, j.keys(), features, publishedTo,
                Instant.now().toString());
    }
}
