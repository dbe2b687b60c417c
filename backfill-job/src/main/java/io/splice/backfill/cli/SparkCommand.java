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

import java.io.PrintWriter;
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

    /** Hadoop settings for planning without Spark: the classpath's *-site.xml plus every --conf spark.hadoop.*. */
    protected Configuration hadoopConf() {
        Optional<org.apache.spark.sql.SparkSession> existing = Optional.ofNullable(
                org.apache.spark.sql.SparkSession.getDefaultSession().getOrElse(() -> null));
        Configuration c = existing.map(s -> new Configuration(s.sparkContext().hadoopConfiguration())).orElseGet(Configuration::new);
        conf.forEach((k, v) -> {
            if (k.startsWith("spark.hadoop.")) {
                c.set(k.substring("spark.hadoop.".length()), v);
            }
        });
        return c;
    }

    /** Loads the definitions and finds the join, printing every problem; null when it cannot. */
    protected JoinDefinition loadJoin(Path file, String name, String version) {
        Definitions defs;
        try {
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
