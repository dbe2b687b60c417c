package io.splice.demo.cli;

import io.splice.demo.Cleanup;
import io.splice.demo.Progress;
import io.splice.demo.StackSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "stack", sortOptions = false, usageHelpWidth = 120,
        description = {
                "Starts the local stack and keeps it running until Ctrl-C or SIGTERM: Kafka (KRaft), the schema registry,",
                "an S3 endpoint, a SageMaker Feature Store endpoint and Kafka Connect running both Splice sinks on the",
                "stitched topics of the definitions (topics, buckets and feature groups created). Prints the endpoints,",
                "a ready app.properties for `splice run`, a `splice backfill --publish` command line and the Connect REST URL."})
public final class StackCommand implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;


    @Option(names = "--definitions", paramLabel = "FILE", description = "joins.yaml (default: the demo's payments v1 join)")
    Path definitions;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "where app.properties (and the default definitions) are written and kept (default: a temporary directory removed on exit)")
    Path dir;

    @Option(names = "--partitions", defaultValue = "3", paramLabel = "N", description = "partitions of every topic (default ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--brokers", defaultValue = "1", paramLabel = "N",
            description = "Kafka brokers (default ${DEFAULT-VALUE}: one broker in this JVM, RF 1). More than 1 starts a KRaft quorum of N "
                    + "broker+controller processes with RF min(3, N) and min ISR 2 for every topic, e.g. --brokers 3")
    int brokers;

    @Option(names = "--connect-workers", defaultValue = "0", paramLabel = "N",
            description = "Kafka Connect workers (default ${DEFAULT-VALUE}: one standalone worker in this JVM). N >= 1 starts N workers in "
                    + "distributed mode as separate processes (internal topics with the stack's RF, one task per partition), e.g. "
                    + "--brokers 3 --connect-workers 2; type `connect kill N` / `connect restart N` to see a rebalance")
    int connectWorkers;

    @Override
    public Integer call() throws Exception {
        Progress progress = new Progress(System.err, true);
        Cleanup cleanup = new Cleanup();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("\nstopping the local stack ...");
            cleanup.close();
            stopped.countDown();
        }, "splice-stack-shutdown"));
        progress.step("starting the local stack ...");
        StackSession session = cleanup.add(StackSession.start(definitions, dir, partitions, brokers, connectWorkers, progress));
        System.out.println();
        System.out.print(session.describe());
        System.out.flush();
        if (session.stack().cluster().isPresent() || session.stack().distributedConnect().isPresent()) {
            Thread commands = new Thread(() -> {
                try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        String answer = session.command(line);
                        if (!answer.isEmpty()) {
                            System.out.println(answer);
                        }
                    }
                } catch (java.io.IOException e) {
                    // no console: no commands
                }
            }, "splice-stack-commands");
            commands.setDaemon(true);
            commands.start();
        }
        stopped.await();
        return 0;
    }
}
