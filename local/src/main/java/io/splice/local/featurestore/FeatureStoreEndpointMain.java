package io.splice.local.featurestore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The local Feature Store endpoint as a process of its own: the compose file's {@code featurestore} service
 * (docker/featurestore.Dockerfile). Runs until it is stopped (SIGTERM), then writes its records to
 * {@code --persist} if given.
 *
 * <pre>
 * FeatureStoreEndpointMain [--host 127.0.0.1] [--port 8090] [--persist FILE]
 *                          [--feature-group NAME:RECORD_IDENTIFIER ...] [--event-time-feature EventTime]
 * </pre>
 *
 * {@code --feature-group} registers a group (any feature accepted, as a string) with the event time feature;
 * without any, unknown groups are created on their first PutRecord.
 */
public final class FeatureStoreEndpointMain {
    private FeatureStoreEndpointMain() {
    }

    /** The parsed command line. */
    record Options(String host, int port, Path persist, String eventTimeFeature, List<FeatureGroupSpec> groups) {
        static Options parse(String... args) {
            String host = "127.0.0.1";
            int port = 8090;
            Path persist = null;
            String eventTime = "EventTime";
            List<String> groups = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                if (value == null) {
                    throw new IllegalArgumentException(args[i] + " needs a value");
                }
                switch (args[i]) {
                    case "--host" -> host = value;
                    case "--port" -> port = Integer.parseInt(value);
                    case "--persist" -> persist = Path.of(value);
                    case "--event-time-feature" -> eventTime = value;
                    case "--feature-group" -> groups.add(value);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]
                            + " (--host, --port, --persist, --feature-group NAME:RECORD_IDENTIFIER, --event-time-feature)");
                }
                i++;
            }
            List<FeatureGroupSpec> specs = new ArrayList<>();
            for (String g : groups) {
                String[] nameAndId = g.split(":", 2);
                if (nameAndId.length != 2 || nameAndId[0].isBlank() || nameAndId[1].isBlank()) {
                    throw new IllegalArgumentException("--feature-group " + g + ": expected NAME:RECORD_IDENTIFIER");
                }
                specs.add(FeatureGroupSpec.of(nameAndId[0], nameAndId[1], eventTime));
            }
            return new Options(host, port, persist, eventTime, specs);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        FeatureStoreEndpoint.Builder b = FeatureStoreEndpoint.builder().host(o.host()).port(o.port());
        if (o.persist() != null) {
            b.persistTo(o.persist());
        }
        if (o.groups().isEmpty()) {
            b.autoCreateFeatureGroups(o.eventTimeFeature());
        }
        FeatureStoreEndpoint endpoint = b.start();
        for (FeatureGroupSpec g : o.groups()) {
            if (endpoint.featureGroup(g.name()).isEmpty()) { // a persisted one is kept
                endpoint.createFeatureGroup(g);
            }
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            endpoint.close();
            stopped.countDown();
        }, "featurestore-endpoint-stop"));
        System.out.println("Feature Store endpoint on " + o.host() + ":" + endpoint.port() + ", feature groups "
                + o.groups().stream().map(FeatureGroupSpec::name).toList());
        stopped.await();
    }
}
