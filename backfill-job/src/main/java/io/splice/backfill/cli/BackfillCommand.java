package io.splice.backfill.cli;

import io.splice.backfill.run.BackfillExecutor;
import io.splice.backfill.run.BackfillPlan;
import io.splice.backfill.run.HadoopDiskState;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code splice backfill}: point-in-time-correct features for a date range, chunk by chunk. Parses the options, builds
 * the {@link BackfillPlan} against what exists on disk, prints it with every problem (exit 2 if there is any), and
 * hands it to {@link BackfillExecutor} unless it is a dry run.
 */
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
            description = "days per unit of work (default ${DEFAULT-VALUE}); see docs/backfill.md, Recommended chunk sizes")
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

    @Option(names = "--dry-run", description = "print the plan (chunks and what each does: skip, compute, overwrite or publish; input partitions found/missing, estimated rows and bytes, output paths) and every problem; write nothing")
    boolean dryRun;

    @Option(names = "--overwrite", description = "recompute complete chunks too and replace them atomically")
    boolean overwrite;

    @Option(names = "--allow-missing", description = "run although input partitions are missing (their features are computed without those days)")
    boolean allowMissing;

    @Option(names = "--only-uncovered", description = "compute a part only for rows whose stitched output does not already take it from bootstrap or log")
    boolean onlyUncovered;

    @Option(names = "--consistency-sample", paramLabel = "R", defaultValue = "0",
            description = "with --only-uncovered: also compute and publish this share (0..1) of the covered rows, chosen by row key hash, so that the app counts where served and computed values disagree (splice_consistency_*); their merge is unchanged")
    double consistencySample;

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
        BackfillPlan.Builder options = BackfillPlan.builder(j, startDate, endDate)
                .chunkSizeDays(chunkSizeDays).inputRoot(inputRoot).left(left).inputs(inputs).format(format)
                .tsColumn(tsColumn).engine(engine).overwrite(overwrite).allowMissing(allowMissing)
                .onlyUncovered(onlyUncovered, stitched).consistencySample(consistencySample).dryRun(dryRun);
        KafkaTarget.Resolved target = publish ? kafka.resolve("--publish") : null;
        if (target != null) {
            options.publish(topicPrefix, target.bootstrapServers(), target.registryUrl(), target.problem());
        }
        HadoopDiskState disk = new HadoopDiskState(output, j.featureGroupName(), hadoopConf());
        BackfillPlan plan = options.build(disk);

        plan.lines().forEach(out::println);
        plan.warningLines().forEach(out::println);
        if (!plan.problems().isEmpty()) {
            plan.problemLines().forEach(err::println);
            return 2;
        }
        if (plan.nothingToDo().isPresent()) {
            return 0;
        }
        if (dryRun) {
            out.println("Dry run: nothing written.");
            return 0;
        }
        out.flush();
        Topics topics = new Topics(topicPrefix);
        new BackfillExecutor(plan, disk, out)
                .publishWith(target == null ? null : target::publisher, partitions, List.of(topics.stitched(j), topics.fetchLog()))
                .failAfterSwaps(failAfterSwaps)
                .run(() -> session("splice backfill " + j.id()));
        return 0;
    }
}
