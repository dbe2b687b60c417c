package io.splice.backfill.run;

import io.splice.backfill.io.DayTable.DayStats;
import io.splice.backfill.io.OutputStore.Marker;

import java.time.LocalDate;
import java.util.Optional;
import java.util.SortedSet;

/**
 * What exists on disk that a {@link BackfillPlan} depends on: the day partitions of the input tables and the output's
 * day directories and {@code _SUCCESS} markers. {@link HadoopDiskState} reads them from a file system; tests describe
 * them directly, so a plan is built and checked without Spark.
 */
public interface DiskState {
    /** The output directory of the join version, {@code <output>/<name>_<version>}. */
    String outputDir();

    /** The marker of an output day, when there is one. */
    Optional<Marker> marker(LocalDate day);

    /** Whether the output day's directory exists (with or without a marker). */
    boolean outputDayExists(LocalDate day);

    /** The {@code ds=} partitions present in the input table at {@code root}. */
    SortedSet<LocalDate> inputDays(String root);

    /** {@code parquet} or {@code json} (by file extension), or {@code override} unless it is {@code auto}. */
    String inputFormat(String root, String override);

    /** Files, bytes and estimated rows of one input day (for the dry run's estimates). */
    DayStats inputStats(String root, LocalDate day, String format);
}
