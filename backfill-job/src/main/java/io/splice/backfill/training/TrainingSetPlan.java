package io.splice.backfill.training;

import io.splice.backfill.io.DayTable;
import io.splice.backfill.io.StitchedTable;
import io.splice.backfill.run.Fmt;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.PartDefinition;
import io.splice.core.offline.LatestRevision;
import io.splice.core.offline.OfflineColumns;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a {@code splice training-set} run reads and writes, decided and validated before any row is read: the join,
 * the days, every offline object of those days (or, from a manifest, exactly the objects it lists), the label
 * objects, the output; {@link #problems()} lists every problem at once. {@link #checkSchemas} adds the problems only
 * the tables' schemas show (missing columns, no written-time column for {@code --as-of}).
 */
public final class TrainingSetPlan {
    /** Columns a written-time column is looked for under, in order, when {@code --written-column} is not given. */
    public static final List<String> WRITTEN_COLUMNS = List.of(OfflineColumns.STITCHED_AT, "log_append_time");

    /** An object (file) of the offline table or of the label table. */
    public record InputObject(String path, long size, long modified, String ds) {
    }

    private final TrainingSetRequest request;
    private final JoinDefinition join;
    private final String out;
    private final List<String> problems = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final Configuration conf;
    private String offlineRoot;
    private boolean partitioned;
    private String offlineFormat = "parquet";
    private final List<InputObject> objects = new ArrayList<>();
    private final List<LocalDate> missingDays = new ArrayList<>();
    private String labelRoot;
    private String labelFormat;
    private boolean labelsPartitioned;
    private final List<InputObject> labelObjects = new ArrayList<>();
    private String writtenColumn;
    private List<String> servedFeatures = List.of();
    private final List<String> outputIdColumns = new ArrayList<>();
    private final List<String> outputKeyColumns = new ArrayList<>();

    private TrainingSetPlan(TrainingSetRequest request, JoinDefinition join, String out, Configuration conf) {
        this.request = request;
        this.join = join;
        this.out = out;
        this.conf = conf;
    }

    /**
     * Validates {@code request} against the join and what exists: with {@code pinned} (from a manifest) exactly those
     * offline and label objects are read, each of which must still exist with its size.
     */
    public static TrainingSetPlan build(TrainingSetRequest request, JoinDefinition join, String out, Configuration conf,
                                        List<InputObject> pinned, List<InputObject> pinnedLabels) {
        TrainingSetPlan p = new TrainingSetPlan(request, join, out, conf);
        p.validate(pinned, pinnedLabels);
        return p;
    }

    private void validate(List<InputObject> pinned, List<InputObject> pinnedLabels) {
        TrainingSetRequest r = request;
        if (r.endDate().isBefore(r.startDate())) {
            problems.add("--end-date " + r.endDate() + " is before --start-date " + r.startDate());
        }
        if (r.sampleRate() != null && !(r.sampleRate() > 0 && r.sampleRate() <= 1)) {
            problems.add("--sample-rate must be in (0, 1], not " + r.sampleRate());
        }
        if (!List.of("parquet", "csv").contains(r.format())) {
            problems.add("--format must be parquet or csv, not " + r.format());
        }
        // output columns: row ids, then the keys that are not row ids
        outputIdColumns.addAll(join.rowIds());
        join.keys().stream().filter(k -> !outputIdColumns.contains(k)).forEach(outputKeyColumns::add);
        List<String> nonExternal = new ArrayList<>();
        for (PartDefinition part : join.parts()) {
            if (!part.external()) {
                nonExternal.addAll(part.featureNames());
            }
        }
        if (r.servedOnly() != null) {
            if (r.servedOnly().isEmpty()) {
                servedFeatures = nonExternal;
            } else {
                List<String> all = join.features().stream().map(FeatureDefinition::name).toList();
                List<String> unknown = r.servedOnly().stream().filter(f -> !all.contains(f)).toList();
                if (!unknown.isEmpty()) {
                    problems.add("--served-only names feature(s) " + String.join(", ", unknown) + " that join " + join.id()
                            + " does not define; it defines " + String.join(", ", all));
                }
                servedFeatures = r.servedOnly();
            }
            if (servedFeatures.isEmpty()) {
                problems.add("--served-only: join " + join.id() + " has no non-external feature; name the features");
            }
        }
        if (r.labels() == null) {
            if (!r.labelColumns().isEmpty() || r.requireLabels() || !r.labelRowIds().isEmpty()) {
                problems.add("--label-columns, --label-row-ids and --require-labels need --labels TABLE");
            }
        } else {
            if (r.labelColumns().isEmpty()) {
                problems.add("--labels needs --label-columns c1,c2 (the label table's columns to add)");
            }
            if (!r.labelRowIds().isEmpty() && r.labelRowIds().size() != join.rowIds().size()) {
                problems.add("--label-row-ids names " + r.labelRowIds().size() + " column(s); join " + join.id()
                        + " has " + join.rowIds().size() + " row id(s) " + join.rowIds());
            }
            Set<String> taken = new LinkedHashSet<>(outputColumnsWithoutLabels());
            for (String c : r.labelColumns()) {
                if (taken.contains(c)) {
                    problems.add("label column '" + c + "' has the name of a training set column; rename it in the label table");
                }
            }
        }
        offline(pinned);
        if (r.labels() != null) {
            labels(pinnedLabels);
        }
        if (out != null) {
            try {
                Path o = new Path(out);
                FileSystem fs = o.getFileSystem(conf);
                if (fs.exists(o) && (!fs.getFileStatus(o).isDirectory() || fs.listStatus(o).length > 0)) {
                    problems.add("--out " + out + " exists and is not empty; choose another path or remove it");
                }
            } catch (IOException e) {
                problems.add("cannot check --out " + out + ": " + e.getMessage());
            }
        }
    }

    private void offline(List<InputObject> pinned) {
        String root = request.offline();
        if (root == null && join.offline() != null) {
            root = join.offline().s3Prefix();
        }
        if (root == null) {
            problems.add("no --offline and join " + join.id() + " has no offline.s3_prefix");
            return;
        }
        root = s3a(root);
        StitchedTable t;
        try {
            t = StitchedTable.at(root, join.featureGroupName(), conf);
        } catch (UncheckedIOException e) {
            problems.add(e.getMessage());
            return;
        }
        offlineRoot = t.root();
        if (!t.exists()) {
            problems.add("offline table " + root + " does not exist (neither " + root + "/" + join.featureGroupName() + ")");
            return;
        }
        partitioned = t.partitioned();
        DayTable days = DayTable.at(offlineRoot, conf);
        offlineFormat = days.format(null);
        if (pinned != null) {
            checkPinned("offline object", pinned, objects);
            return;
        }
        if (!partitioned) {
            warnings.add("offline table " + offlineRoot + " has no ds= partitions: every object is read");
            for (LocatedFileStatus f : listAll(days.fs(), new Path(offlineRoot))) {
                objects.add(new InputObject(f.getPath().toString(), f.getLen(), f.getModificationTime(), null));
            }
        } else {
            for (LocalDate d : request.days()) {
                if (!days.days().containsKey(d)) {
                    missingDays.add(d);
                    continue;
                }
                for (LocatedFileStatus f : days.files(d)) {
                    objects.add(new InputObject(f.getPath().toString(), f.getLen(), f.getModificationTime(), d.toString()));
                }
            }
            if (!missingDays.isEmpty()) {
                String msg = "offline table " + offlineRoot + " has no partition ds= for " + DayTable.ranges(missingDays);
                if (request.allowMissing()) {
                    warnings.add(msg + " (--allow-missing: those days have no rows)");
                } else {
                    problems.add(msg + " (--allow-missing to build the set without them)");
                }
            }
        }
        objects.sort(java.util.Comparator.comparing(InputObject::path));
        if (objects.isEmpty() && problems.isEmpty() && missingDays.size() < request.days().size()) {
            problems.add("offline table " + offlineRoot + " has no data object for " + request.startDate() + ".." + request.endDate());
        }
    }

    private void labels(List<InputObject> pinned) {
        labelRoot = s3a(request.labels());
        DayTable t = DayTable.at(labelRoot, conf);
        if (!t.exists()) {
            problems.add("label table " + labelRoot + " does not exist");
            return;
        }
        labelsPartitioned = !t.days().isEmpty();
        if (pinned != null) {
            checkPinned("label object", pinned, labelObjects);
        } else {
            for (LocatedFileStatus f : listAll(t.fs(), new Path(labelRoot))) {
                labelObjects.add(new InputObject(f.getPath().toString(), f.getLen(), f.getModificationTime(), null));
            }
            labelObjects.sort(java.util.Comparator.comparing(InputObject::path));
        }
        labelFormat = "parquet";
        for (InputObject o : labelObjects) {
            String n = o.path().toLowerCase(Locale.ROOT);
            if (n.contains(".json") || n.endsWith(".ndjson")) {
                labelFormat = "json";
                break;
            }
            if (n.endsWith(".parquet")) {
                break;
            }
        }
        if (labelObjects.isEmpty()) {
            problems.add("label table " + labelRoot + " has no data object");
        }
    }

    /** Objects named by a manifest: each must exist with its size; every one that does not is a problem. */
    private void checkPinned(String what, List<InputObject> pinned, List<InputObject> into) {
        for (InputObject o : pinned) {
            String change = change(o, conf);
            if (change != null) {
                problems.add(what + " " + o.path() + " " + change + " since the manifest was written");
            }
            into.add(o);
        }
    }

    /** Null when {@code o} still exists with its size; else what happened to it ("vanished", "changed (size …)"). */
    static String change(InputObject o, Configuration conf) {
        try {
            Path p = new Path(o.path());
            FileSystem fs = p.getFileSystem(conf);
            FileStatus st = fs.getFileStatus(p);
            if (st.getLen() != o.size()) {
                return "changed (size " + o.size() + " -> " + st.getLen() + " bytes)";
            }
            return null;
        } catch (FileNotFoundException e) {
            return "vanished";
        } catch (IOException e) {
            return "cannot be read (" + e.getMessage() + ")";
        }
    }

    static List<LocatedFileStatus> listAll(FileSystem fs, Path root) {
        List<LocatedFileStatus> out = new ArrayList<>();
        try {
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
            while (it.hasNext()) {
                LocatedFileStatus f = it.next();
                String rel = f.getPath().toUri().getPath().substring(root.toUri().getPath().length());
                boolean hidden = Arrays.stream(rel.split("/")).anyMatch(s -> s.startsWith("_") || s.startsWith("."));
                if (!hidden) {
                    out.add(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
        return out;
    }

    static String s3a(String path) {
        return DayTable.s3a(path);
    }

    /**
     * The problems only the schemas show: the offline table's missing columns (the order, {@code ts}, {@code keys},
     * {@code sources}, every feature), the written-time column of {@code --as-of}, the label table's columns.
     */
    public void checkSchemas(StructType offline, StructType labels) {
        if (offline != null) {
            List<String> cols = Arrays.asList(offline.fieldNames());
            List<String> missing = new ArrayList<>(LatestRevision.missing(cols));
            for (String c : requiredOfflineColumns()) {
                if (!cols.contains(c) && !missing.contains(c)) {
                    missing.add(c);
                }
            }
            if (!missing.isEmpty()) {
                problems.add("offline table " + offlineRoot + " has no column(s) " + String.join(", ", missing)
                        + "; columns are " + String.join(", ", cols));
            }
            if (request.asOf() != null) {
                if (request.writtenColumn() != null) {
                    if (!cols.contains(request.writtenColumn())) {
                        problems.add("--written-column " + request.writtenColumn() + ": offline table " + offlineRoot
                                + " has no such column");
                    } else {
                        writtenColumn = request.writtenColumn();
                    }
                } else {
                    writtenColumn = WRITTEN_COLUMNS.stream().filter(cols::contains).findFirst().orElse(null);
                    if (writtenColumn == null) {
                        problems.add("--as-of needs the time each revision was written, and offline table " + offlineRoot
                                + " has no " + String.join(" or ", WRITTEN_COLUMNS) + " column ("
                                + OfflineColumns.WRITE_TIME + " is the Kafka record time, which the stitching app copies"
                                + " from its input: event time, not when the revision was written); pass --written-column "
                                + OfflineColumns.WRITE_TIME + " only if the stitched topic uses message.timestamp.type=LogAppendTime");
                    }
                }
            }
        }
        if (labels != null) {
            List<String> cols = Arrays.asList(labels.fieldNames());
            List<String> need = new ArrayList<>(labelRowIdColumns());
            need.add(request.labelTsColumn());
            need.addAll(request.labelColumns());
            List<String> missing = need.stream().filter(c -> !cols.contains(c)).distinct().toList();
            if (!missing.isEmpty()) {
                problems.add("label table " + labelRoot + " has no column(s) " + String.join(", ", missing)
                        + "; columns are " + String.join(", ", cols)
                        + (request.labelRowIds().isEmpty() ? " (--label-row-ids names the row id columns if they differ)" : ""));
            }
        }
    }

    /** The offline columns the set needs besides the order: ts, keys, sources and every feature. */
    List<String> requiredOfflineColumns() {
        List<String> c = new ArrayList<>(List.of(OfflineColumns.TS, OfflineColumns.KEYS, OfflineColumns.SOURCES));
        join.features().forEach(f -> c.add(f.name()));
        return c;
    }

    /** The label table's row id columns, in {@code row_ids} order. */
    public List<String> labelRowIdColumns() {
        return request.labelRowIds().isEmpty() ? join.rowIds() : request.labelRowIds();
    }

    List<String> outputColumnsWithoutLabels() {
        List<String> c = new ArrayList<>(outputIdColumns);
        c.addAll(outputKeyColumns);
        c.add(OfflineColumns.TS);
        c.add(OfflineColumns.DS);
        join.features().forEach(f -> c.add(f.name()));
        if (request.withSources()) {
            join.features().forEach(f -> c.add(sourceColumn(f.name())));
        }
        return c;
    }

    /** The output column of a feature's source label ({@code --with-sources}). */
    public static String sourceColumn(String feature) {
        return feature + "__source";
    }

    /** The plan as {@code --dry-run} prints it. */
    public List<String> lines() {
        List<String> l = new ArrayList<>();
        TrainingSetRequest r = request;
        l.add(String.format(Locale.ROOT, "Training set of %s, rows with ts in %s..%s (%d day%s)", join.id(), r.startDate(),
                r.endDate(), r.days().size(), r.days().size() == 1 ? "" : "s"));
        long bytes = objects.stream().mapToLong(InputObject::size).sum();
        l.add(String.format(Locale.ROOT, "  offline table: %s (%s), %d object%s, %s", offlineRoot, offlineFormat,
                objects.size(), objects.size() == 1 ? "" : "s", Fmt.bytes(bytes)));
        Map<String, long[]> perDay = new TreeMap<>();
        for (InputObject o : objects) {
            long[] a = perDay.computeIfAbsent(o.ds() == null ? "(unpartitioned)" : o.ds(), k -> new long[2]);
            a[0]++;
            a[1] += o.size();
        }
        perDay.forEach((d, a) -> l.add(String.format(Locale.ROOT, "    ds=%s  %d object%s  %s", d, a[0], a[0] == 1 ? "" : "s",
                Fmt.bytes(a[1]))));
        for (LocalDate d : missingDays) {
            l.add("    ds=" + d + "  MISSING");
        }
        l.add("  latest revision per row: greatest (" + String.join(", ", LatestRevision.ORDER) + "); deleted rows dropped");
        l.add("  as of: " + (r.asOf() == null ? "now (every revision read)"
                : r.asOf() + " (revisions whose " + (writtenColumn == null ? "written time" : writtenColumn) + " <= as-of)"));
        if (r.servedOnly() != null) {
            l.add("  served only: rows whose " + String.join(", ", servedFeatures) + " all came from the log");
        }
        if (r.sampleRate() != null) {
            l.add(String.format(Locale.ROOT, "  sample: rate %s, seed %d (sha256 of seed:row_key)", r.sampleRate(), r.seed()));
        }
        if (r.labels() != null) {
            l.add(String.format(Locale.ROOT, "  labels: %s (%s%s), %d object%s, columns %s joined on %s%s", labelRoot,
                    labelFormat, labelsPartitioned ? ", by ds" : "", labelObjects.size(), labelObjects.size() == 1 ? "" : "s",
                    String.join(", ", r.labelColumns()), String.join(", ", labelRowIdColumns()),
                    r.requireLabels() ? "; rows without a label dropped" : "; rows without a label kept (null labels)"));
        }
        l.add("  columns: " + String.join(", ", outputColumnsWithoutLabels())
                + (r.labels() == null ? "" : ", " + String.join(", ", r.labelColumns())));
        l.add("  output: " + out + " (" + r.format() + ", sorted by ts, " + String.join(", ", outputIdColumns)
                + ") and " + out + "/_MANIFEST.json");
        return l;
    }

    public List<String> problems() {
        return List.copyOf(problems);
    }

    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    public void warn(String w) {
        warnings.add(w);
    }

    public TrainingSetRequest request() {
        return request;
    }

    public JoinDefinition join() {
        return join;
    }

    public String out() {
        return out;
    }

    public String offlineRoot() {
        return offlineRoot;
    }

    public boolean partitioned() {
        return partitioned;
    }

    public String offlineFormat() {
        return offlineFormat;
    }

    public List<InputObject> objects() {
        return List.copyOf(objects);
    }

    public String labelRoot() {
        return labelRoot;
    }

    public String labelFormat() {
        return labelFormat;
    }

    public boolean labelsPartitioned() {
        return labelsPartitioned;
    }

    public List<InputObject> labelObjects() {
        return List.copyOf(labelObjects);
    }

    public String writtenColumn() {
        return writtenColumn;
    }

    public List<String> servedFeatures() {
        return servedFeatures;
    }

    /** The features a backfill computes (not external): the ones a training/serving skew can differ in. */
    public List<FeatureDefinition> nonExternalFeatures() {
        return join.parts().stream().filter(p -> !p.external()).flatMap(p -> p.features().stream()).toList();
    }

    public List<String> idColumns() {
        return List.copyOf(outputIdColumns);
    }

    public List<String> keyColumns() {
        return List.copyOf(outputKeyColumns);
    }

    public Configuration conf() {
        return conf;
    }

    /** Reads only the schemas of the inputs (Spark), for {@link #checkSchemas}. */
    public void checkSchemas(SparkSession spark) {
        StructType o = objects.isEmpty() || offlineRoot == null ? null : TrainingSetJob.readOffline(spark, this).schema();
        StructType l = labelObjects.isEmpty() ? null : TrainingSetJob.readLabels(spark, this).schema();
        checkSchemas(o, l);
    }
}
