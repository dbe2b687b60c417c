package io.splice.demo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.demo.Coverage;
import io.splice.demo.CoverageReport;
import io.splice.demo.LatestRows;
import io.splice.demo.ReportInput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "report", sortOptions = false, usageHelpWidth = 120,
        description = {
                "Writes the coverage report: a self-contained HTML file (inline SVG, no network) with, per day, a stacked",
                "bar of the sources of the values (bootstrap / log / backfill / missing) and, per feature, the missing",
                "share and the mix of sources. Every row counts once, with its latest revision. With --consistency, the",
                "mismatch rate of served vs computed values per feature and day (from splice consistency --out).",
                "",
                "Inputs (--input):",
                "  kafka:<topic>          a stitched topic (with --bootstrap-servers and --schema-registry)",
                "  s3://bucket/prefix     the S3 sink's offline table, e.g. s3://bucket/features/payments_v1/",
                "                         (--s3-endpoint for S3-compatible stores; credentials: the AWS default chain)",
                "  DIR or FILE.parquet    a local copy of the offline table",
                "  FILE.jsonl             stitched.jsonl written by `splice simulate`",
                "Without --input: kafka:<the stitched topic of --join/--version> when --bootstrap-servers is given."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:written", "1:the input could not be read", "2:bad arguments"})
public final class ReportCommand implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "report.html", paramLabel = "FILE", description = "the HTML file to write (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--input", paramLabel = "SOURCE", description = "where the stitched rows are (see above)")
    String input;

    @Option(names = "--definitions", paramLabel = "FILE", description = "joins.yaml: feature order and the join's stitched topic")
    Path definitions;

    @Option(names = "--join", paramLabel = "NAME", description = "the join (with --version) to report on")
    String join;

    @Option(names = "--version", paramLabel = "V", description = "the join's version, e.g. v1")
    String version;

    @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX, paramLabel = "P", description = "topic prefix (default ${DEFAULT-VALUE})")
    String topicPrefix;

    @Option(names = "--bootstrap-servers", paramLabel = "HOSTS", description = "Kafka, for a kafka: input")
    String bootstrapServers;

    @Option(names = "--schema-registry", paramLabel = "URL", description = "Confluent-compatible schema registry, for a kafka: input")
    String schemaRegistry;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3-compatible endpoint (path-style), e.g. the one `splice stack` prints")
    URI s3Endpoint;

    @Option(names = "--aws-region", paramLabel = "REGION", description = "region of an s3:// input (default: the SDK's chain)")
    String region;

    @Option(names = "--title", paramLabel = "TEXT", description = "the report's title")
    String title;

    @Option(names = "--consistency", paramLabel = "FILE",
            description = "the JSON of `splice consistency --out FILE`: adds the mismatch rate per feature per day")
    Path consistency;

    @Override
    public Integer call() {
        var err = spec.commandLine().getErr();
        JoinDefinition j = null;
        if (definitions != null) {
            Definitions defs = DefinitionsLoader.load(definitions, new Topics(topicPrefix));
            if (join != null && version != null) {
                j = defs.join(join, version).orElse(null);
                if (j == null) {
                    err.printf("error: %s defines no join %s version %s%n", definitions, join, version);
                    return 2;
                }
            } else if (defs.joins().size() == 1) {
                j = defs.joins().get(0);
            }
        }
        String source = input;
        if (source == null) {
            String name = j != null ? j.name() : join;
            String v = j != null ? j.version() : version;
            if (bootstrapServers == null || name == null || v == null) {
                err.println("error: name the input with --input (kafka:<topic>, s3://bucket/prefix, a directory, or stitched.jsonl), "
                        + "or give --bootstrap-servers with --join and --version");
                return 2;
            }
            source = "kafka:" + new Topics(topicPrefix).stitched(name, v);
        }
        StringBuilder what = new StringBuilder();
        LatestRows rows;
        try {
            rows = ReportInput.read(source, new ReportInput.Access(bootstrapServers, schemaRegistry, s3Endpoint,
                    System.getenv("AWS_ACCESS_KEY_ID"), System.getenv("AWS_SECRET_ACCESS_KEY"), region), what);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        List<String> features = j == null ? List.of() : j.features().stream().map(f -> f.name()).toList();
        Coverage c = rows.coverage(features, j == null ? null : j.recordIdentifier());
        String t = title != null ? title : "Splice coverage" + (j != null ? ": " + j.id() : "");
        JsonNode consistencyReport = null;
        if (consistency != null) {
            try {
                consistencyReport = new ObjectMapper().readTree(consistency.toFile());
            } catch (IOException e) {
                err.println("error: --consistency " + consistency + ": not a splice consistency report (" + e.getMessage() + ")");
                return 2;
            }
            if (!consistencyReport.has("cells")) {
                err.println("error: --consistency " + consistency + ": not a splice consistency report (no \"cells\")");
                return 2;
            }
        }
        CoverageReport.write(out, c, t, what.toString(), consistencyReport);
        System.out.printf(Locale.ROOT, "wrote %s: %,d rows, %,d values, %d days, %d features from %s%n",
                out.toAbsolutePath(), c.rows(), c.values(), c.byDay().size(), c.features().size(), what);
        return 0;
    }
}
