package io.splice.local.s3;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded S3Proxy endpoint: loopback only, and the filesystem backend keeps objects across restarts. */
class S3EndpointTest {

    @Test
    void aFilesystemStoreKeepsObjectsAcrossRestarts(@TempDir Path dir) {
        // Given an object written through the SDK to a filesystem-backed endpoint
        int firstPort;
        try (S3Endpoint s3 = S3Endpoint.filesystemStore(dir); S3Client c = client(s3)) {
            firstPort = s3.port();
            assertEquals("127.0.0.1", s3.endpoint().getHost());
            c.createBucket(b -> b.bucket("lake"));
            c.putObject(b -> b.bucket("lake").key("a/b.txt"), RequestBody.fromString("hello"));
        }

        // When a new endpoint starts on the same directory
        try (S3Endpoint s3 = S3Endpoint.filesystemStore(dir); S3Client c = client(s3)) {
            // Then the object is still there
            assertTrue(s3.port() > 0);
            assertEquals(List.of("a/b.txt"), c.listObjectsV2(b -> b.bucket("lake")).contents().stream().map(S3Object::key).toList());
            assertEquals("hello", c.getObjectAsBytes(b -> b.bucket("lake").key("a/b.txt")).asUtf8String());
        }
        assertTrue(firstPort > 0);
    }

    /** The unchanged AWS SDK v2 client, pointed at the endpoint with its credentials. */
    static S3Client client(S3Endpoint endpoint) {
        return S3Client.builder().endpointOverride(endpoint.endpoint()).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Endpoint.ACCESS_KEY,
                        S3Endpoint.SECRET_KEY)))
                .httpClientBuilder(ApacheHttpClient.builder()).build();
    }
}
