package io.splice.backfill.run;

import io.splice.backfill.io.DayTable;
import io.splice.backfill.io.DayTable.DayStats;
import io.splice.backfill.io.OutputStore;
import io.splice.backfill.io.OutputStore.Marker;
import org.apache.hadoop.conf.Configuration;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * {@link DiskState} on a Hadoop file system (local, {@code s3a://}, HDFS): lists without Spark. The tables it opened
 * are the ones the executor reads from, so every input is listed once per run and a JSON schema inferred once.
 */
public final class HadoopDiskState implements DiskState {
    private final Configuration conf;
    private final OutputStore store;
    private final Map<String, DayTable> tables = new LinkedHashMap<>();

    public HadoopDiskState(String outputRoot, String featureGroup, Configuration conf) {
        this.conf = conf;
        this.store = new OutputStore(outputRoot, featureGroup, conf);
    }

    public OutputStore store() {
        return store;
    }

    /** The input table at {@code root} (one instance per root). */
    public synchronized DayTable table(String root) {
        return tables.computeIfAbsent(root, r -> DayTable.at(r, conf));
    }

    @Override
    public String outputDir() {
        return store.dir().toString();
    }

    @Override
    public Optional<Marker> marker(LocalDate day) {
        return store.marker(day);
    }

    @Override
    public boolean outputDayExists(LocalDate day) {
        return store.dayExists(day);
    }

    @Override
    public SortedSet<LocalDate> inputDays(String root) {
        return new TreeSet<>(table(root).days().keySet());
    }

    @Override
    public String inputFormat(String root, String override) {
        return table(root).format(override);
    }

    @Override
    public DayStats inputStats(String root, LocalDate day, String format) {
        return table(root).stats(day, format);
    }
}
