package io.splice.local;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.util.Locale;

/**
 * JUnit 5 extension giving integration tests a Kafka broker and a schema registry, shared by every test of the
 * JVM (kept in the root {@link ExtensionContext.Store}, stopped when the test run ends). Inject them as a
 * {@link StackEndpoints} parameter:
 *
 * <pre>{@code
 * @ExtendWith(SpliceStackExtension.class)
 * class MyIT {
 *     @Test void works(StackEndpoints stack) { ... stack.bootstrapServers() ... stack.schemaRegistryUrl() ... }
 * }
 * }</pre>
 *
 * <p>Each endpoint is set up on first use. Kafka: the environment variable {@code KAFKA_BOOTSTRAP} if set; else
 * a Testcontainers {@code apache/kafka:4.1.0} container if {@code org.testcontainers:kafka} is on the test
 * classpath and a Docker daemon answers; else an {@link EmbeddedKafkaBroker}. Setting {@code SPLICE_KAFKA}
 * (or {@code -Dsplice.kafka}) to {@code embedded} or {@code docker} forces the choice. Registry: the
 * environment variable {@code SCHEMA_REGISTRY_URL} if set, else an {@link EmbeddedSchemaRegistry}.
 */
public final class SpliceStackExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SpliceStackExtension.class);
    private static final String KEY = "splice-stack";

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == StackEndpoints.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return endpoints(extensionContext);
    }

    /** The JVM-wide endpoints (for use in other extensions or {@code @BeforeAll} with an injected context). */
    public static StackEndpoints endpoints(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(KEY, k -> new SharedStack(), SharedStack.class);
    }

    static String setting(String env, String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    /**
     * Lazily started, JVM-wide; closed by JUnit at the end of the run. Both AutoCloseable (what JUnit 5.13+
     * closes) and CloseableResource (what older JUnit closes); JUnit calls close() once.
     */
    @SuppressWarnings("deprecation")
    static final class SharedStack implements StackEndpoints, AutoCloseable, ExtensionContext.Store.CloseableResource {
        private String bootstrapServers;
        private String registryUrl;
        private AutoCloseable kafka;
        private EmbeddedSchemaRegistry registry;
        private String kafkaSource;

        @Override
        public synchronized String bootstrapServers() {
            if (bootstrapServers == null) {
                String external = setting("KAFKA_BOOTSTRAP", "splice.kafka.bootstrap");
                String mode = String.valueOf(setting("SPLICE_KAFKA", "splice.kafka")).toLowerCase(Locale.ROOT);
                if (external != null) {
                    bootstrapServers = external;
                    kafkaSource = "KAFKA_BOOTSTRAP";
                } else if (mode.equals("docker") || (!mode.equals("embedded") && DockerKafka.available())) {
                    DockerKafka docker = DockerKafka.start();
                    kafka = docker;
                    bootstrapServers = docker.bootstrapServers();
                    kafkaSource = "testcontainers " + DockerKafka.IMAGE;
                } else {
                    EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker();
                    kafka = broker;
                    bootstrapServers = broker.start().bootstrapServers();
                    kafkaSource = "embedded";
                }
            }
            return bootstrapServers;
        }

        @Override
        public synchronized String schemaRegistryUrl() {
            if (registryUrl == null) {
                String external = setting("SCHEMA_REGISTRY_URL", "splice.schema.registry.url");
                if (external != null) {
                    registryUrl = external;
                } else {
                    registry = new EmbeddedSchemaRegistry();
                    registryUrl = registry.start().url();
                }
            }
            return registryUrl;
        }

        @Override
        public synchronized void close() throws Exception {
            Exception failure = null;
            if (registry != null) {
                try {
                    registry.close();
                } catch (RuntimeException e) {
                    failure = e;
                }
                registry = null;
            }
            if (kafka != null) {
                try {
                    kafka.close();
                } catch (Exception e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
                kafka = null;
            }
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public synchronized String toString() {
            return "StackEndpoints[kafka=" + (bootstrapServers == null ? "not started" : bootstrapServers + " (" + kafkaSource + ")")
                    + ", registry=" + (registryUrl == null ? "not started" : registryUrl) + "]";
        }
    }
}
