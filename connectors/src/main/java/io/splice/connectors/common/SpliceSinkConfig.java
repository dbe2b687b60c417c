package io.splice.connectors.common;

import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsException;
import io.splice.core.definitions.DefinitionsLoader;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Settings both Splice sinks share: where the join definitions are, the topic prefix, the schema registry and
 * the AWS client basics (region, optional static credentials, optional endpoint override).
 */
public class SpliceSinkConfig extends AbstractConfig {
    public static final String DEFINITIONS_PATH = "splice.definitions.path";
    public static final String DEFINITIONS_YAML = "splice.definitions.yaml";
    public static final String TOPIC_PREFIX = "splice.topic.prefix";
    public static final String SCHEMA_REGISTRY_URL = SpliceSerdeConfig.SCHEMA_REGISTRY_URL;
    public static final String BASIC_AUTH_USER_INFO = SpliceSerdeConfig.BASIC_AUTH_USER_INFO;
    public static final String AWS_REGION = "aws.region";
    public static final String AWS_ACCESS_KEY_ID = "aws.access.key.id";
    public static final String AWS_SECRET_ACCESS_KEY = "aws.secret.access.key";
    public static final String AWS_ENDPOINT_OVERRIDE = "aws.endpoint.override";

    private static final String GROUP_SPLICE = "Splice";
    private static final String GROUP_AWS = "AWS";

    private final Definitions definitions;
    private final Topics topics;

    public SpliceSinkConfig(ConfigDef def, Map<?, ?> props) {
        super(def, props);
        this.topics = new Topics(getString(TOPIC_PREFIX));
        this.definitions = loadDefinitions();
    }

    /** The settings every Splice sink has; each connector adds its own to the returned definition. */
    public static ConfigDef baseConfigDef() {
        ConfigDef def = new ConfigDef();
        int o = 0;
        def.define(DEFINITIONS_PATH, Type.STRING, "", Importance.HIGH,
                "Path of the joins.yaml file (on every Connect worker). Either this or " + DEFINITIONS_YAML + ".",
                GROUP_SPLICE, ++o, ConfigDef.Width.LONG, "Definitions file");
        def.define(DEFINITIONS_YAML, Type.STRING, "", Importance.HIGH,
                "The joins.yaml text inline (takes precedence over " + DEFINITIONS_PATH + ").",
                GROUP_SPLICE, ++o, ConfigDef.Width.LONG, "Definitions YAML");
        def.define(TOPIC_PREFIX, Type.STRING, Topics.DEFAULT_PREFIX, Importance.LOW,
                "Topic prefix: join <name>.<version> is read from <prefix>.stitched.<name>.<version>.",
                GROUP_SPLICE, ++o, ConfigDef.Width.SHORT, "Topic prefix");
        def.define(SCHEMA_REGISTRY_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
                "Schema registry base URL (Confluent API) the StitchedRecord values were written with; "
                        + "mock://<scope> selects an in-memory registry shared within the JVM (tests).",
                GROUP_SPLICE, ++o, ConfigDef.Width.LONG, "Schema registry URL");
        def.define(BASIC_AUTH_USER_INFO, Type.PASSWORD, null, Importance.LOW,
                "user:password for HTTP basic auth against the schema registry.",
                GROUP_SPLICE, ++o, ConfigDef.Width.MEDIUM, "Registry credentials");
        o = 0;
        def.define(AWS_REGION, Type.STRING, "", Importance.MEDIUM,
                "AWS region; empty: the SDK's default region chain (AWS_REGION, profile, instance metadata).",
                GROUP_AWS, ++o, ConfigDef.Width.SHORT, "Region");
        def.define(AWS_ACCESS_KEY_ID, Type.STRING, "", Importance.LOW,
                "Static access key id. Empty (recommended): the SDK's default credentials chain (environment, "
                        + "profile, web identity, container and instance roles).",
                GROUP_AWS, ++o, ConfigDef.Width.MEDIUM, "Access key id");
        def.define(AWS_SECRET_ACCESS_KEY, Type.PASSWORD, null, Importance.LOW,
                "Static secret access key, with " + AWS_ACCESS_KEY_ID + ".",
                GROUP_AWS, ++o, ConfigDef.Width.MEDIUM, "Secret access key");
        def.define(AWS_ENDPOINT_OVERRIDE, Type.STRING, "", Importance.LOW,
                "Endpoint URL override for the service (a local endpoint, a VPC endpoint, a FIPS endpoint).",
                GROUP_AWS, ++o, ConfigDef.Width.LONG, "Endpoint override");
        return def;
    }

    private Definitions loadDefinitions() {
        String yaml = getString(DEFINITIONS_YAML);
        String path = getString(DEFINITIONS_PATH);
        try {
            if (yaml != null && !yaml.isBlank()) {
                return DefinitionsLoader.parse(yaml, DEFINITIONS_YAML, topics);
            }
            if (path != null && !path.isBlank()) {
                return DefinitionsLoader.load(Path.of(path), topics);
            }
        } catch (DefinitionsException e) {
            throw new ConfigException("Invalid join definitions: " + e.getMessage());
        }
        throw new ConfigException("Set " + DEFINITIONS_PATH + " (a joins.yaml path) or " + DEFINITIONS_YAML + " (its text)");
    }

    public Definitions definitions() {
        return definitions;
    }

    public Topics topics() {
        return topics;
    }

    /** The serde settings, for {@link SpliceSerdeConfig#client(Map)}. */
    public Map<String, Object> serdeConfigs() {
        Map<String, Object> m = new HashMap<>();
        m.put(SCHEMA_REGISTRY_URL, getString(SCHEMA_REGISTRY_URL));
        Password auth = getPassword(BASIC_AUTH_USER_INFO);
        if (auth != null && auth.value() != null && !auth.value().isBlank()) {
            m.put(BASIC_AUTH_USER_INFO, auth.value());
        }
        return m;
    }

    public AwsSettings aws() {
        Password secret = getPassword(AWS_SECRET_ACCESS_KEY);
        return new AwsSettings(getString(AWS_REGION), getString(AWS_ACCESS_KEY_ID),
                secret == null ? "" : secret.value(), getString(AWS_ENDPOINT_OVERRIDE));
    }
}
