package io.splice.backfill.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.to_timestamp;
import static org.apache.spark.sql.functions.unix_millis;

/**
 * A table partitioned by day, {@code <root>/ds=YYYY-MM-DD/...}, on any Hadoop file system (local, {@code s3a://},
 * HDFS). Files whose names start with {@code _} or {@code .} are ignored, as Spark ignores them.
 */
public final class DayTable {
    public static final String DS = "ds";

    private final String root;
    private final Path rootPath;
    private final FileSystem fs;
    private TreeMap<LocalDate, Path> days;
    /** JSON lines: the schema inferred once per run (from the first and last day read), so chunks do not re-infer. */
    private org.apache.spark.sql.types.StructType jsonSchema;

    private DayTable(String root, Configuration conf) {
        this.root = root;
        this.rootPath = new Path(root);
        try {
            this.fs = rootPath.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the file system of " + root + ": " + e.getMessage(), e);
        }
    }

    public static DayTable at(String root, Configuration conf) {
        return new DayTable(root, conf);
    }

    public String root() {
        return root;
    }

    public FileSystem fs() {
        return fs;
    }

    public boolean exists() {
        try {
            return fs.exists(rootPath);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code ds=} partitions present, by day. */
    public synchronized TreeMap<LocalDate, Path> days() {
        if (days == null) {
            days = new TreeMap<>();
            try {
                for (FileStatus st : fs.listStatus(rootPath)) {
                    String n = st.getPath().getName();
                    if (st.isDirectory() && n.startsWith(DS + "=")) {
                        try {
                            days.put(LocalDate.parse(n.substring(3)), st.getPath());
                        } catch (DateTimeParseException ignored) {
                            // not a day partition
                        }
                    }
                }
            } catch (FileNotFoundException e) {
                // no table: every day is missing
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
            }
        }
        return days;
    }

    /** Data files of a day (recursively), without {@code _}/{@code .} files. */
    public List<LocatedFileStatus> files(LocalDate day) {
        Path p = days().get(day);
        List<LocatedFileStatus> out = new ArrayList<>();
        if (p == null) {
            return out;
        }
        try {
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(p, true);
            while (it.hasNext()) {
                LocatedFileStatus f = it.next();
                String n = f.getPath().getName();
                if (!n.startsWith("_") && !n.startsWith(".")) {
                    out.add(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + p + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * {@code parquet} or {@code json}, from the files' extensions ({@code .parquet}; {@code .json}, {@code .jsonl},
     * {@code .ndjson}, optionally compressed), or the given override.
     */
    public String format(String override) {
        if (override != null && !override.isBlank() && !"auto".equalsIgnoreCase(override)) {
            return override.toLowerCase(Locale.ROOT);
        }
        for (LocalDate d : days().keySet()) {
            for (LocatedFileStatus f : files(d)) {
                String n = f.getPath().getName().toLowerCase(Locale.ROOT);
                if (n.endsWith(".parquet")) {
                    return "parquet";
                }
                if (n.contains(".json") || n.endsWith(".ndjson")) {
                    return "json";
                }
            }
        }
        return "parquet";
    }

    public record DayStats(LocalDate day, int files, long bytes, Long estimatedRows) {
    }

    /** Files, bytes and an estimate of the rows of a day (Parquet footers; JSON lines: bytes / sampled line size). */
    public DayStats stats(LocalDate day, String format) {
        List<LocatedFileStatus> files = files(day);
        long bytes = 0;
        for (LocatedFileStatus f : files) {
            bytes += f.getLen();
        }
        Long rows = null;
        try {
            if ("parquet".equals(format)) {
                long n = 0;
                for (LocatedFileStatus f : files) {
                    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromStatus(f, fs.getConf()))) {
                        n += r.getRecordCount();
                    }
                }
                rows = n;
            } else if ("json".equals(format)) {
                rows = estimateLines(files, bytes);
            }
        } catch (IOException | RuntimeException e) {
            rows = null; // an estimate only
        }
        return new DayStats(day, files.size(), bytes, rows);
    }

    private Long estimateLines(List<LocatedFileStatus> files, long bytes) throws IOException {
        for (LocatedFileStatus f : files) {
            String n = f.getPath().getName();
            if (n.endsWith(".gz") || n.endsWith(".bz2") || n.endsWith(".zst") || n.endsWith(".snappy")) {
                return null;
            }
            if (f.getLen() == 0) {
                continue;
            }
            byte[] buf = new byte[65536];
            int read = 0;
            try (InputStream in = fs.open(f.getPath())) {
                int r;
                while (read < buf.length && (r = in.read(buf, read, buf.length - read)) > 0) {
                    read += r;
                }
            }
            int lines = 0;
            for (int i = 0; i < read; i++) {
                if (buf[i] == '\n') {
                    lines++;
                }
            }
            if (read < buf.length && read > 0 && buf[read - 1] != '\n') {
                lines++;
            }
            return lines == 0 ? null : Math.round(bytes / ((double) read / lines));
        }
        return 0L;
    }

    /** {@code s3://} as Hadoop reads it ({@code s3a://}); anything else unchanged. */
    public static String s3a(String path) {
        return path.startsWith("s3://") ? "s3a://" + path.substring(5) : path;
    }

    /** Reads the given days that exist (with a string {@code ds} column); null when none exists. */
    public Dataset<Row> read(SparkSession spark, Collection<LocalDate> wanted, String format) {
        List<String> paths = new ArrayList<>();
        for (LocalDate d : wanted) {
            Path p = days().get(d);
            if (p != null) {
                paths.add(p.toString());
            }
        }
        if (paths.isEmpty()) {
            return null;
        }
        spark.conf().set("spark.sql.sources.partitionColumnTypeInference.enabled", "false");
        var reader = spark.read().format(format).option("basePath", rootPath.toString());
        if ("json".equals(format)) {
            synchronized (this) {
                if (jsonSchema == null) {
                    List<String> sample = paths.size() <= 2 ? paths : List.of(paths.get(0), paths.get(paths.size() - 1));
                    jsonSchema = spark.read().format(format).option("basePath", rootPath.toString())
                            .load(sample.toArray(String[]::new)).schema();
                }
            }
            reader = reader.schema(jsonSchema);
        }
        return reader.load(paths.toArray(String[]::new));
    }

    /** Epoch milliseconds of a time column: a long/int as is, a timestamp or date converted, a string parsed. */
    public static Column epochMillis(Dataset<Row> df, String column) {
        DataType t;
        try {
            t = df.schema().apply(column).dataType();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("column '" + column + "' not found; columns are "
                    + String.join(", ", df.columns()));
        }
        if (t.equals(DataTypes.LongType) || t.equals(DataTypes.IntegerType)) {
            return col(column).cast("long");
        }
        if (t.equals(DataTypes.TimestampType) || t.equals(DataTypes.TimestampNTZType)) {
            return unix_millis(col(column).cast(DataTypes.TimestampType));
        }
        if (t.equals(DataTypes.DateType)) {
            return unix_millis(col(column).cast(DataTypes.TimestampType));
        }
        if (t.equals(DataTypes.StringType)) {
            // a numeric string is epoch ms, anything else an ISO-8601 time
            return org.apache.spark.sql.functions.coalesce(col(column).cast("long"), unix_millis(to_timestamp(col(column))));
        }
        if (t instanceof org.apache.spark.sql.types.DecimalType || t.equals(DataTypes.DoubleType)) {
            return col(column).cast("long");
        }
        throw new IllegalArgumentException("column '" + column + "' has type " + t.simpleString()
                + "; expected epoch milliseconds (long), a timestamp or an ISO-8601 string");
    }

    /** Day lists per missing day, compressed into ranges: {@code 2025-09-24..2025-09-30, 2025-10-03}. */
    public static String ranges(Collection<LocalDate> days) {
        List<String> parts = new ArrayList<>();
        LocalDate start = null;
        LocalDate prev = null;
        for (LocalDate d : new java.util.TreeSet<>(days)) {
            if (start == null) {
                start = d;
            } else if (!d.equals(prev.plusDays(1))) {
                parts.add(start.equals(prev) ? start.toString() : start + ".." + prev);
                start = d;
            }
            prev = d;
        }
        if (start != null) {
            parts.add(start.equals(prev) ? start.toString() : start + ".." + prev);
        }
        return String.join(", ", parts);
    }
}
