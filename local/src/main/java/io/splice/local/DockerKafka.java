package io.splice.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Kafka in Docker via Testcontainers ({@code apache/kafka:4.1.0}), used by {@link SpliceStackExtension} only when
 * Testcontainers' kafka module is on the classpath and a Docker daemon answers. Without Docker this never
 * touches Testcontainers (no slow probing, no error logs).
 */
final class DockerKafka implements AutoCloseable {

    static final String IMAGE = "apache/kafka:4.1.0";

    private final AutoCloseable container;
    private final String bootstrapServers;

    private DockerKafka(AutoCloseable container, String bootstrapServers) {
        this.container = container;
        this.bootstrapServers = bootstrapServers;
    }

    /** Whether Testcontainers is present and a Docker daemon answers. Never throws. */
    static boolean available() {
        try {
            Class.forName("org.testcontainers.kafka.KafkaContainer", false, DockerKafka.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
        if (!dockerHinted()) {
            return false;
        }
        try {
            return Probe.dockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }

    /** Cheap check that a Docker daemon might exist at all, before asking Testcontainers (which is slow and loud without one). */
    private static boolean dockerHinted() {
        if (System.getenv("DOCKER_HOST") != null) {
            return true;
        }
        String home = System.getProperty("user.home", "");
        for (Path p : new Path[]{
                Paths.get("/var/run/docker.sock"),
                Paths.get(home, ".docker", "run", "docker.sock"),
                Paths.get(home, ".docker", "desktop", "docker.sock"),
                Paths.get(home, ".testcontainers.properties")}) {
            if (Files.exists(p)) {
                return true;
            }
        }
        String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
        return runtimeDir != null && Files.exists(Paths.get(runtimeDir, "docker.sock"));
    }

    static DockerKafka start() {
        return Probe.start();
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() throws Exception {
        container.close();
    }

    /** Touches Testcontainers classes; loaded only once {@link #available()} found them. */
    private static final class Probe {
        static boolean dockerAvailable() {
            return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
        }

        @SuppressWarnings("resource")
        static DockerKafka start() {
            org.testcontainers.kafka.KafkaContainer kafka =
                    new org.testcontainers.kafka.KafkaContainer(org.testcontainers.utility.DockerImageName.parse(IMAGE));
            kafka.start();
            return new DockerKafka(kafka::stop, kafka.getBootstrapServers());
        }
    }
}
