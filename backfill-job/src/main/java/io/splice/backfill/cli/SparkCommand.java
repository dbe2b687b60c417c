package io.splice.backfill.cli;

import io.splice.backfill.io.Sessions;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.definitions.DefinitionsException;
import io.splice.core.definitions.DefinitionsLoader;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** Options and helpers every Spark sub-command shares. */
public abstract class SparkCommand {
    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master (default: spark-submit's, else local[*]); local runs bind the driver to 127.0.0.1")
    String master;

    @Option(names = "--conf", paramLabel = "K=V",
            description = "Spark setting, e.g. spark.sql.shuffle.partitions=64 or spark.hadoop.fs.s3a.endpoint=...; repeatable")
    Map<String, String> conf = new LinkedHashMap<>();

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    protected Sessions.Handle session(String app) {
        return Sessions.obtain(app, master, conf);
    }

    /**
     * Hadoop settings for planning without Spark: the classpath's *-site.xml, the spark.hadoop.* settings
     * spark-submit gave this driver (as system properties: its --conf and spark-defaults.conf), then every --conf
     * spark.hadoop.* of this command.
     */
    protected Configuration hadoopConf() {
        Optional<org.apache.spark.sql.SparkSession> existing = Optional.ofNullable(
                org.apache.spark.sql.SparkSession.getDefaultSession().getOrElse(() -> null));
        Configuration c = existing.map(s -> new Configuration(s.sparkContext().hadoopConfiguration()))
                .orElseGet(SparkCommand::submittedHadoopConf);
        conf.forEach((k, v) -> {
            if (k.startsWith("spark.hadoop.")) {
                c.set(k.substring("spark.hadoop.".length()), v);
            }
        });
        return c;
    }

    /** The classpath's *-site.xml plus the spark.hadoop.* system properties (what spark-submit passes a driver). */
    static Configuration submittedHadoopConf() {
        Configuration c = new Configuration();
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("spark.hadoop."))
                .forEach(k -> c.set(k.substring("spark.hadoop.".length()), System.getProperty(k)));
        return c;
    }

    /**
     * A file named on the command line, or where {@code spark-submit --files} shipped it. YARN and Kubernetes put
     * shipped files in the driver's working directory, but a standalone cluster's driver (cluster deploy mode) runs
     * in the worker's {@code driver-…} directory without them: a relative path that does not exist is looked up in
     * {@code spark.files} by file name, and copied from there (any Hadoop file system: file:, s3a:, hdfs:).
     */
    static Path shippedFile(Path file) {
        if (Files.exists(file) || file.isAbsolute()) {
            return file;
        }
        String files = System.getProperty("spark.files", "");
        for (String f : files.split(",")) {
            if (f.isBlank()) {
                continue;
            }
            URI uri = URI.create(f.trim());
            String uriName = uri.getPath() == null ? "" : Path.of(uri.getPath()).getFileName().toString();
            if (!uriName.equals(file.getFileName().toString())) {
                continue;
            }
            if (uri.getScheme() == null || "file".equals(uri.getScheme())) {
                Path local = Path.of(uri.getPath());
                if (Files.exists(local)) {
                    return local;
                }
            }
            try {
                Path local = Files.createTempDirectory("splice-files-").resolve(uriName);
                org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(uri);
                src.getFileSystem(submittedHadoopConf()).copyToLocalFile(src, new org.apache.hadoop.fs.Path(local.toUri()));
                return local;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot fetch " + uri + " (spark.files) for " + file + ": " + e.getMessage(), e);
            }
        }
        return file;
    }

    /** Loads the definitions and finds the join, printing every problem; null when it cannot. */
    protected JoinDefinition loadJoin(Path file, String name, String version) {
        Definitions defs;
        try {
            file = shippedFile(file);
            defs = DefinitionsLoader.load(file);
        } catch (DefinitionsException e) {
            err().println("error: " + e.getMessage());
            return null;
        }
        Optional<JoinDefinition> j = defs.join(name, version);
        if (j.isEmpty()) {
            err().printf("error: %s defines no join %s version %s; it defines %s%n", file, name, version,
                    defs.joins().stream().map(JoinDefinition::id).collect(Collectors.joining(", ")));
            return null;
        }
        return j.get();
    }
}
