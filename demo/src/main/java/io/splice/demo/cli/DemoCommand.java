package io.splice.demo.cli;

import io.splice.demo.Cleanup;
import io.splice.demo.Demo;
import io.splice.demo.DemoSummary;
import io.splice.demo.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;

@Command(name = "demo", sortOptions = false, usageHelpWidth = 120,
        description = {
                "Runs the whole system on the local stack and prints what happened: Kafka, the schema registry, S3,",
                "the Feature Store endpoint and Kafka Connect with both sinks; a generated card-transactions world",
                "(payments, scoring requests, fetch logs with an outage and a few bad records, a vendor's bootstrap",
                "table with labels); `splice backfill --publish` (Spark, a child process) for the rows no log covers;",
                "the stitching app. Waits until every input is stitched and both sinks committed, then reports rows,",
                "the sources of the values per day, revisions, dead letters, S3 objects and rows, online records and",
                "throughput, and writes report.html. Everything it started is stopped and its temporary files removed."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:a step failed (the message says which)", "2:bad arguments"})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Spec
    CommandSpec spec;

    @Option(names = "--days", defaultValue = "3", paramLabel = "N", description = "days of data, >= 2; the first is not logged (default ${DEFAULT-VALUE})")
    int days;

    @Option(names = "--cards", defaultValue = "200", paramLabel = "N", description = "cards (default ${DEFAULT-VALUE})")
    int cards;

    @Option(names = "--rate", defaultValue = "40", paramLabel = "R", description = "scoring requests (= payments) per hour (default ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--outage-hours", defaultValue = "4", paramLabel = "H",
            description = "hours without logs on the last day, from 06:00 UTC (default ${DEFAULT-VALUE})")
    int outageHours;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "random seed of the world (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--partitions", defaultValue = "3", paramLabel = "N", description = "partitions of every topic (default ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--brokers", defaultValue = "1", paramLabel = "N",
            description = "Kafka brokers (default ${DEFAULT-VALUE}: one in this JVM); more starts a KRaft quorum of N processes, RF min(3, N)")
    int brokers;

    @Option(names = "--out", defaultValue = "splice-demo-out", paramLabel = "DIR",
            description = "where report.html, summary.json and the vendor's table go (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--timeout", defaultValue = "150", paramLabel = "SECONDS",
            description = "bound of each wait: the backfill, the stitching app, the sinks (default ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--json", description = "print the summary as one JSON object on stdout (progress stays on stderr)")
    boolean json;

    @Option(names = "--quiet", description = "no progress lines")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (days < 2 || days > 60 || cards < 1 || !(rate > 0) || outageHours < 0 || outageHours > 18 || partitions < 1 || brokers < 1 || brokers > 9) {
            spec.commandLine().getErr().println("error: need --days 2..60, --cards >= 1, --rate > 0, --outage-hours 0..18, --partitions >= 1, --brokers 1..9");
            return 2;
        }
        Demo.Options o = new Demo.Options(days, cards, rate, outageHours, seed, partitions, out,
                Duration.ofSeconds(timeoutSeconds), LocalDate.now(ZoneOffset.UTC), brokers);
        Progress progress = new Progress(System.err, !quiet);
        Cleanup cleanup = new Cleanup();
        Thread hook = cleanup.closeOnShutdown();
        DemoSummary s;
        try {
            s = Demo.run(o, progress, cleanup);
        } finally {
            cleanup.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // shutting down already
            }
        }
        if (json) {
            System.out.println(s.toJson());
        } else {
            System.out.print(s.toText());
        }
        System.out.flush();
        return 0;
    }
}
