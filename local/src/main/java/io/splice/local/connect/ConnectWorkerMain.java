package io.splice.local.connect;

import io.splice.local.ClusterNodeMain;
import org.apache.kafka.connect.cli.ConnectDistributed;

/**
 * The main class of one {@link DistributedConnect} worker process: the same watchdog as a LocalCluster node (the
 * worker halts when the JVM that started it is gone, also after a SIGKILL), then Connect's own
 * {@code ConnectDistributed} main with the worker's properties file.
 */
public final class ConnectWorkerMain {

    private ConnectWorkerMain() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: ConnectWorkerMain <worker.properties>");
            System.exit(2);
        }
        ClusterNodeMain.startWatchdog();
        ConnectDistributed.main(args);
    }
}
