package io.splice.backfill.training;

import io.splice.backfill.cli.OfflineTableRange;
import io.splice.backfill.cli.SparkCommand;
import io.splice.backfill.io.DayTable;
import io.splice.backfill.io.Sessions;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsException;
import io.splice.core.definitions.DefinitionsLoader;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

/**
 * {@code splice training-set}: one row per live row of a join version whose {@code ts} falls in the days, from its
 * latest revision in the offline table (optionally as it stood at {@code --as-of}), with labels, sampled, served-only;
 * {@code _MANIFEST.json} next to it; {@code --from-manifest} runs a manifest's request again, {@code --verify} says
 * whether a set can still be reproduced.
 */
@Command(name = "training-set", sortOptions = false, usageHelpWidth = 120,
        description = {
                "Writes a training set: one row per live row key of --join/--version whose ts falls in",
                "[--start-date, --end-date], from its latest revision in the offline table (greatest kafka_partition,",
                "kafka_offset; deleted rows dropped). Columns: row ids, keys, ts, ds, every feature typed as declared",
                "(--with-sources: a <feature>__source column each), then the --label-columns. Sorted by ts and row ids;",
                "_MANIFEST.json next to the data records the request, definitions, every object read and the figures."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:written (--verify: still reproducible)", "1:failed (--verify: not reproducible)",
                "2:bad arguments, definitions, missing days or columns"})
public final class TrainingSetCommand extends SparkCommand implements Callable<Integer> {
    @Spec
    CommandSpec self;

    @Mixin
    OfflineTableRange range = new OfflineTableRange();

    @Option(names = "--as-of", paramLabel = "ISO-INSTANT",
            description = "the set as it stood then: only revisions written at or before it (stitched_at, else log_append_time; never the event time), e.g. 2025-10-03T00:00:00Z")
    Instant asOf;

    @Option(names = "--written-column", paramLabel = "COL",
            description = "the column saying when a revision was written, for --as-of (default: stitched_at, else log_append_time); write_time only if the stitched topic uses LogAppendTime")
    String writtenColumn;

    @Option(names = "--served-only", arity = "0..1", fallbackValue = "", paramLabel = "FEATURES", split = ",",
            description = "only rows whose listed features (default: every non-external one) all came from the log (source 'log'); prints how many rows that keeps")
    List<String> servedOnly;

    @Option(names = "--labels", paramLabel = "TABLE", description = "label table (Parquet or JSON lines, by ds= or not), joined on the row ids; the latest label row by its ts wins")
    String labels;

    @Option(names = "--label-columns", split = ",", paramLabel = "C1,C2", description = "the label table's columns to add")
    List<String> labelColumns = new ArrayList<>();

    @Option(names = "--label-row-ids", split = ",", paramLabel = "COLS", description = "the label table's row id columns, in row_ids order (default: the join's row_ids)")
    List<String> labelRowIds = new ArrayList<>();

    @Option(names = "--label-ts-column", defaultValue = "ts", paramLabel = "COL", description = "the label table's time column: which label row is latest (default ${DEFAULT-VALUE})")
    String labelTsColumn;

    @Option(names = "--require-labels", description = "drop rows without a label (default: kept with null labels)")
    boolean requireLabels;

    @Option(names = "--sample-rate", paramLabel = "R", description = "keep this share of the rows, by a hash of the row key (the same rows for every version)")
    Double sampleRate;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "seed of --sample-rate (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--format", defaultValue = "parquet", paramLabel = "FMT", description = "parquet (default) or csv")
    String format;

    @Option(names = "--with-sources", description = "add a <feature>__source column per feature (log, backfill, bootstrap:<topic>, missing)")
    boolean withSources;

    @Option(names = "--allow-missing", description = "build the set although days have no ds= partition (a warning, not an error)")
    boolean allowMissing;

    @Option(names = "--out", paramLabel = "PATH", description = "output directory (must not exist or be empty): data files and _MANIFEST.json")
    String out;

    @Option(names = "--dry-run", description = "print what would be read and written and every problem; write nothing")
    boolean dryRun;

    @Option(names = "--from-manifest", paramLabel = "PATH",
            description = "run the request of a manifest (file or training set directory) again, reading exactly the objects it lists, into --out")
    String fromManifest;

    @Option(names = "--verify", paramLabel = "PATH",
            description = "re-read the inputs of a training set (its directory or manifest) and say whether it is still reproducible")
    String verify;

    @Override
    public Integer call() {
        PrintWriter o = out();
        PrintWriter e = err();
        if (verify != null) {
            return verify(o, e);
        }
        TrainingSetRequest request;
        JoinDefinition j;
        String defsText;
        String defsPath;
        List<TrainingSetPlan.InputObject> pinned = null;
        List<TrainingSetPlan.InputObject> pinnedLabels = null;
        if (fromManifest != null) {
            if (out == null) {
                e.println("error: --from-manifest needs --out PATH (where to write the set again)");
                return 2;
            }
            TrainingSetManifest m;
            try {
                m = TrainingSetManifest.read(fromManifest, hadoopConf());
            } catch (IllegalArgumentException ex) {
                e.println("error: " + ex.getMessage());
                return 2;
            }
            request = m.request();
            defsText = m.definitionsText();
            defsPath = m.definitionsPath();
            j = joinOf(defsText, "manifest " + fromManifest, request.join(), request.version(), e);
            if (j == null) {
                return 2;
            }
            pinned = m.offlineObjects();
            pinnedLabels = m.labelObjects();
            o.printf("re-running the request of %s (definitions sha256 %s, %d offline object%s)%n", fromManifest,
                    m.definitionsSha256().substring(0, 12), pinned.size(), pinned.size() == 1 ? "" : "s");
        } else {
            List<String> missing = new ArrayList<>(range.missing());
            if (out == null && !dryRun) missing.add("--out");
            if (!missing.isEmpty()) {
                e.println("error: missing " + String.join(", ", missing) + " (or --from-manifest PATH / --verify PATH)");
                return 2;
            }
            j = loadJoin(range.definitions, range.join, range.version);
            if (j == null) {
                return 2;
            }
            try {
                defsText = Files.readString(range.definitions);
            } catch (IOException ex) {
                e.println("error: cannot read " + range.definitions + ": " + ex.getMessage());
                return 2;
            }
            defsPath = range.definitions.toString();
            request = new TrainingSetRequest(range.join, range.version, range.startDate, range.endDate, range.offline, asOf, writtenColumn, servedOnly,
                    labels, labelColumns, labelRowIds, labelTsColumn, requireLabels, sampleRate, seed, format, withSources,
                    allowMissing);
        }
        Configuration conf = hadoopConf();
        TrainingSetPlan plan = TrainingSetPlan.build(request, j, out, conf, pinned, pinnedLabels);
        try (Sessions.Handle h = session("splice training-set " + j.id())) {
            SparkSession spark = h.spark();
            if (plan.problems().isEmpty()) {
                plan.checkSchemas(spark);
            }
            plan.lines().forEach(o::println);
            plan.warnings().forEach(w -> o.println("warning: " + w));
            if (!plan.problems().isEmpty()) {
                plan.problems().forEach(p -> e.println("error: " + p));
                return 2;
            }
            if (dryRun) {
                o.println("Dry run: nothing written.");
                return 0;
            }
            o.flush();
            TrainingSetJob.Result r = TrainingSetJob.run(spark, plan, o);
            String cmd = "splice " + String.join(" ", self.root().commandLine().getParseResult().originalArgs());
            TrainingSetManifest.write(plan, r, cmd, defsPath, defsText);
            o.printf("wrote %d rows (fingerprint %s) and %s/%s%n", r.rows(), r.fingerprint(), out, TrainingSetManifest.FILE);
        }
        return 0;
    }

    private static JoinDefinition joinOf(String text, String source, String name, String version, PrintWriter e) {
        Definitions defs;
        try {
            defs = DefinitionsLoader.parse(text, source, Topics.defaults());
        } catch (DefinitionsException ex) {
            e.println("error: " + ex.getMessage());
            return null;
        }
        Optional<JoinDefinition> j = defs.join(name, version);
        if (j.isEmpty()) {
            e.printf("error: %s defines no join %s version %s; it defines %s%n", source, name, version,
                    defs.joins().stream().map(JoinDefinition::id).collect(Collectors.joining(", ")));
            return null;
        }
        return j.get();
    }

    /** {@code --verify}: every input object still there, same size, same records and Kafka range. */
    private int verify(PrintWriter o, PrintWriter e) {
        Configuration conf = hadoopConf();
        TrainingSetManifest m;
        try {
            m = TrainingSetManifest.read(verify, conf);
        } catch (IllegalArgumentException ex) {
            e.println("error: " + ex.getMessage());
            return 2;
        }
        TrainingSetRequest req = m.request();
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<TrainingSetPlan.InputObject> offlineObjects = m.offlineObjects();
        List<String> intact = new ArrayList<>();
        for (TrainingSetPlan.InputObject x : offlineObjects) {
            String change = TrainingSetPlan.change(x, conf);
            if (change != null) {
                problems.add("offline object " + x.path() + " " + change);
            } else {
                intact.add(x.path());
            }
        }
        List<TrainingSetPlan.InputObject> lobj = m.labelObjects();
        if (lobj != null) {
            for (TrainingSetPlan.InputObject x : lobj) {
                String change = TrainingSetPlan.change(x, conf);
                if (change != null) {
                    problems.add("label object " + x.path() + " " + change);
                }
            }
        }
        o.printf("verifying %s: %d offline object%s%s%n", verify, offlineObjects.size(), offlineObjects.size() == 1 ? "" : "s",
                lobj == null ? "" : ", " + lobj.size() + " label object" + (lobj.size() == 1 ? "" : "s"));
        try (Sessions.Handle h = session("splice training-set --verify")) {
            SparkSession spark = h.spark();
            if (!intact.isEmpty()) {
                // the objects of the same size: re-read their records and Kafka ranges
                String root = m.offlineRoot();
                boolean partitioned = m.json().path("offline").path("partitioned").asBoolean(true);
                var reader = spark.read().format(m.json().path("offline").path("format").asText("parquet"));
                if (partitioned) {
                    reader = reader.option("basePath", root);
                }
                Map<String, long[]> recorded = m.offlineRanges();
                Map<String, String> byKey = new HashMap<>();
                intact.forEach(p -> byKey.put(TrainingSetJob.key(p), p));
                Set<String> seen = new HashSet<>();
                for (Row r : reader.load(intact.toArray(String[]::new)).groupBy(input_file_name())
                        .agg(count(lit(1)), min(col("kafka_partition")), max(col("kafka_partition")),
                                min(col("kafka_offset")), max(col("kafka_offset"))).collectAsList()) {
                    String p = byKey.getOrDefault(TrainingSetJob.key(r.getString(0)), r.getString(0));
                    seen.add(p);
                    long[] a = recorded.get(p);
                    long[] now = {r.getLong(1), r.isNullAt(2) ? -1 : r.getInt(2), r.isNullAt(3) ? -1 : r.getInt(3),
                            r.isNullAt(4) ? -1 : r.getLong(4), r.isNullAt(5) ? -1 : r.getLong(5)};
                    if (a == null || !java.util.Arrays.equals(a, now)) {
                        problems.add("offline object " + p + " changed (records or Kafka partition/offset range differ)");
                    }
                }
                for (String p : intact) {
                    long[] a = recorded.get(p);
                    if (!seen.contains(p) && a != null && a[0] > 0) {
                        problems.add("offline object " + p + " changed (no records now)");
                    }
                }
            }
            // objects that appeared since in the days read: a plain re-run would read them, --from-manifest does not
            if (m.offlineRoot() != null && m.json().path("offline").path("partitioned").asBoolean(false)) {
                DayTable t = DayTable.at(m.offlineRoot(), conf);
                Set<String> known = new HashSet<>();
                offlineObjects.forEach(x -> known.add(TrainingSetJob.key(x.path())));
                int fresh = 0;
                for (LocalDate d : req.days()) {
                    for (LocatedFileStatus f : t.files(d)) {
                        if (!known.contains(TrainingSetJob.key(f.getPath().toString()))) {
                            fresh++;
                        }
                    }
                }
                if (fresh > 0) {
                    notes.add(fresh + " object" + (fresh == 1 ? "" : "s") + " appeared in the days since: a run with the"
                            + " same arguments would read " + (fresh == 1 ? "it" : "them")
                            + (req.asOf() == null ? "" : " (only records written by " + req.asOf() + " count)")
                            + "; --from-manifest reads only the listed objects");
                }
            }
        }
        String defsPath = m.definitionsPath();
        if (defsPath != null) {
            try {
                String now = Files.readString(java.nio.file.Path.of(defsPath));
                if (!TrainingSetManifest.sha256(now).equals(m.definitionsSha256())) {
                    notes.add("definitions " + defsPath + " changed since; the manifest holds the text used");
                }
            } catch (IOException | RuntimeException ex) {
                notes.add("definitions " + defsPath + " cannot be read now; the manifest holds the text used");
            }
        }
        notes.forEach(n -> o.println("note: " + n));
        problems.forEach(p -> o.println("NOT REPRODUCIBLE: " + p));
        if (problems.isEmpty()) {
            o.printf("REPRODUCIBLE: every input object is unchanged; --from-manifest %s gives the same %s rows (fingerprint %s)%n",
                    verify, m.json().path("output").path("rows").asText(), m.fingerprint());
            return 0;
        }
        return 1;
    }

}
