package io.splice.avro.serde;

import java.time.Duration;
import java.util.Map;

/** Configuration keys of the Splice serde (named as Confluent's, so existing client configs work unchanged). */
public final class SpliceSerdeConfig {
    /** Registry base URL; {@code mock://scope} selects a shared in-memory registry (tests, simulate). */
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    /** {@code user:password} for HTTP basic auth against the registry. */
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    /** Register the writer schema on first use (default true); when false the schema must already be registered. */
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";

    private SpliceSerdeConfig() {
    }

    /** The client a config names; clients are shared per URL so that their caches are too. */
    public static SchemaRegistryClient client(Map<String, ?> configs) {
        Object url = configs.get(SCHEMA_REGISTRY_URL);
        if (url == null || url.toString().isBlank()) {
            throw new IllegalArgumentException("Missing required serde setting '" + SCHEMA_REGISTRY_URL + "'");
        }
        String first = url.toString().split(",")[0].trim();
        if (first.startsWith("mock://")) {
            return InMemorySchemaRegistryClient.forScope(first.substring("mock://".length()));
        }
        Object auth = configs.get(BASIC_AUTH_USER_INFO);
        return new HttpSchemaRegistryClient(first, auth == null ? null : auth.toString(), Duration.ofSeconds(10));
    }

    static boolean autoRegister(Map<String, ?> configs) {
        Object v = configs.get(AUTO_REGISTER_SCHEMAS);
        return v == null || Boolean.parseBoolean(v.toString());
    }
}
