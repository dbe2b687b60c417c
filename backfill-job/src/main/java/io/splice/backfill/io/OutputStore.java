package io.splice.backfill.io;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The backfill's output, {@code <output>/<name>_<version>/ds=<day>/}. A day is complete when its {@code _SUCCESS}
 * marker exists: a JSON document naming the part hashes the day was computed with, written after the day's files are
 * in place. A chunk is computed into {@code _staging/} and each day then swapped in: the old day directory is renamed
 * into {@code _trash/}, the new one renamed into place, the marker written, the trash deleted. Spark and most readers
 * ignore directories starting with {@code _}, so readers never see a half-written day; a crash leaves a day without a
 * marker, which the next run recomputes and replaces whole — never appends to.
 */
public final class OutputStore {
    public static final String MARKER = "_SUCCESS";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    /** What {@code _SUCCESS} says about a day. */
    public record Marker(
            @JsonProperty("join") String join,
            @JsonProperty("part_hashes") Map<String, String> partHashes,
            @JsonProperty("rows") long rows,
            @JsonProperty("chunk") String chunk,
            @JsonProperty("only_uncovered") boolean onlyUncovered,
            @JsonProperty("keys") List<String> keys,
            @JsonProperty("features") List<String> features,
            @JsonProperty("published_to") List<String> publishedTo,
            @JsonProperty("written_at") String writtenAt) {

        public Marker withPublishedTo(List<String> topics) {
            return new Marker(join, partHashes, rows, chunk, onlyUncovered, keys, features, topics, writtenAt);
        }
    }

    public enum DayStatus {
        /** Marker present with the current part hashes. */
        COMPLETE,
        /** Marker present but the run is a full one and the day was computed with --only-uncovered. */
        PARTIAL,
        /** Marker present with other part hashes: the definition changed. */
        STALE,
        /** Directory without a marker: an interrupted run. */
        INCOMPLETE,
        ABSENT
    }

    private final Path dir;
    private final FileSystem fs;

    public OutputStore(String outputRoot, String featureGroup, Configuration conf) {
        this.dir = new Path(outputRoot, featureGroup);
        try {
            this.fs = dir.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    public FileSystem fs() {
        return fs;
    }

    public Path day(LocalDate d) {
        return new Path(dir, dayName(d));
    }

    /** A day's directory name, {@code ds=YYYY-MM-DD}. */
    public static String dayName(LocalDate d) {
        return DayTable.DS + "=" + d;
    }

    public Optional<Marker> marker(LocalDate d) {
        Path m = new Path(day(d), MARKER);
        try {
            if (!fs.exists(m)) {
                return Optional.empty();
            }
            try (InputStream in = fs.open(m)) {
                byte[] bytes = in.readAllBytes();
                if (bytes.length == 0) {
                    // an empty _SUCCESS was not written by Splice: nothing is known about it
                    return Optional.of(new Marker(null, Map.of(), -1, null, false, null, null, null, null));
                }
                return Optional.of(JSON.readValue(bytes, Marker.class));
            }
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether the day's directory exists (with or without a marker). */
    public boolean dayExists(LocalDate d) {
        try {
            return fs.exists(day(d));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A day's status from its marker (if any) and whether its directory exists, for a run computing the parts with
     * {@code hashes} ({@code onlyUncoveredRun}: a run with --only-uncovered, for which a partial day is complete).
     */
    public static DayStatus status(Optional<Marker> m, boolean dayExists, Map<String, String> hashes, boolean onlyUncoveredRun) {
        if (m.isEmpty()) {
            return dayExists ? DayStatus.INCOMPLETE : DayStatus.ABSENT;
        }
        if (!hashes.equals(m.get().partHashes())) {
            return DayStatus.STALE;
        }
        if (m.get().onlyUncovered() && !onlyUncoveredRun) {
            return DayStatus.PARTIAL;
        }
        return DayStatus.COMPLETE;
    }

    public void writeMarker(LocalDate d, Marker marker) {
        try (FSDataOutputStream out = fs.create(new Path(day(d), MARKER), true)) {
            out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(marker));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + new Path(day(d), MARKER) + ": " + e.getMessage(), e);
        }
    }

    /** A fresh directory under {@code _staging/} for one chunk's output. */
    public Path newStaging(String label) {
        return new Path(new Path(dir, "_staging"), label + "-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** Removes what crashed runs left in {@code _staging/} and {@code _trash/}. */
    public void cleanLeftovers() {
        for (String n : List.of("_staging", "_trash")) {
            try {
                fs.delete(new Path(dir, n), true);
            } catch (IOException e) {
                // best effort
            }
        }
    }

    /**
     * Replaces day {@code d} with the staged {@code ds=d} directory (or an empty one when the chunk had no rows that
     * day), then writes the marker: old → {@code _trash}, staged → place, marker, delete trash.
     */
    public void swapIn(Path staging, LocalDate d, Marker marker, Runnable beforeMarker) {
        Path target = day(d);
        Path staged = new Path(staging, DayTable.DS + "=" + d);
        try {
            Path trash = null;
            if (fs.exists(target)) {
                trash = new Path(new Path(new Path(dir, "_trash"), UUID.randomUUID().toString()), target.getName());
                fs.mkdirs(trash.getParent());
                if (!fs.rename(target, trash)) {
                    throw new IOException("rename " + target + " -> " + trash + " failed");
                }
            }
            fs.mkdirs(dir);
            if (fs.exists(staged)) {
                if (!fs.rename(staged, target)) {
                    throw new IOException("rename " + staged + " -> " + target + " failed");
                }
            } else {
                fs.mkdirs(target);
            }
            if (beforeMarker != null) {
                beforeMarker.run();
            }
            writeMarker(d, marker);
            if (trash != null) {
                fs.delete(trash.getParent(), true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot swap in " + target + ": " + e.getMessage(), e);
        }
    }

    public void delete(Path p) {
        try {
            fs.delete(p, true);
        } catch (IOException e) {
            // best effort
        }
    }
}
