package io.splice.local;

/**
 * Where a running stack can be reached. Implemented by {@link LocalStack} and by what
 * {@link SpliceStackExtension} injects into tests.
 */
public interface StackEndpoints {

    /** Kafka {@code bootstrap.servers}, e.g. {@code 127.0.0.1:40123}. */
    String bootstrapServers();

    /**
     * Base URL of the Confluent-compatible schema registry API, e.g.
     * {@code http://127.0.0.1:40124/apis/ccompat/v6} (usable as {@code schema.registry.url}).
     */
    String schemaRegistryUrl();
}
