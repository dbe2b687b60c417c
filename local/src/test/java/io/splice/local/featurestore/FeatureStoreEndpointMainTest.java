package io.splice.local.featurestore;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.SageMakerFeatureStoreRuntimeClient;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.FeatureValue;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compose file's Feature Store service: FeatureStoreEndpointMain's options and the host it binds. */
class FeatureStoreEndpointMainTest {
    @Test
    void optionsAsTheComposeFileGivesThem() {
        FeatureStoreEndpointMain.Options o = FeatureStoreEndpointMain.Options.parse("--host", "0.0.0.0", "--port", "8090",
                "--persist", "/data/fs.json", "--feature-group", "payments_v1:card_id", "--feature-group", "payments_v2:card_id");
        assertEquals("0.0.0.0", o.host());
        assertEquals(8090, o.port());
        assertEquals(Path.of("/data/fs.json"), o.persist());
        assertEquals(List.of(FeatureGroupSpec.of("payments_v1", "card_id", "EventTime"),
                FeatureGroupSpec.of("payments_v2", "card_id", "EventTime")), o.groups());

        FeatureStoreEndpointMain.Options defaults = FeatureStoreEndpointMain.Options.parse();
        assertEquals("127.0.0.1", defaults.host());
        assertEquals(8090, defaults.port());
        assertNull(defaults.persist());
        assertTrue(defaults.groups().isEmpty());

        assertThrows(IllegalArgumentException.class, () -> FeatureStoreEndpointMain.Options.parse("--feature-group", "no-identifier"));
        assertThrows(IllegalArgumentException.class, () -> FeatureStoreEndpointMain.Options.parse("--prot", "1"));
        assertThrows(IllegalArgumentException.class, () -> FeatureStoreEndpointMain.Options.parse("--port"));
    }

    @Test
    void boundToTheWildcardAddressItAnswersOnLoopback() {
        // what a container needs: other containers reach it through its own address, not 127.0.0.1
        try (FeatureStoreEndpoint endpoint = FeatureStoreEndpoint.builder().host("0.0.0.0").start();
             SageMakerFeatureStoreRuntimeClient client = SageMakerFeatureStoreRuntimeClient.builder()
                     .endpointOverride(URI.create("http://127.0.0.1:" + endpoint.port())).region(Region.US_EAST_1)
                     .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b"))).build()) {
            endpoint.createFeatureGroup(FeatureGroupSpec.of("g", "id", "EventTime"));
            client.putRecord(r -> r.featureGroupName("g").record(
                    FeatureValue.builder().featureName("id").valueAsString("x").build(),
                    FeatureValue.builder().featureName("EventTime").valueAsString("2025-10-01T00:00:00Z").build()));
            assertEquals("x", endpoint.record("g", "x").orElseThrow().get("id"));
        }
    }
}
