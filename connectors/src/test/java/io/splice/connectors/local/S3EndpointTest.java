package io.splice.connectors.local;

import io.splice.connectors.testing.S3Testing;
import io.splice.local.s3.S3Endpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

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
        try (S3Endpoint s3 = S3Endpoint.filesystemStore(dir); S3Client c = S3Testing.client(s3)) {
            firstPort = s3.port();
            assertEquals("127.0.0.1", s3.endpoint().getHost());
            c.createBucket(b -> b.bucket("lake"));
            c.putObject(b -> b.bucket("lake").key("a/b.txt"), RequestBody.fromString("hello"));
        }

        // When a new endpoint starts on the same directory
        try (S3Endpoint s3 = S3Endpoint.filesystemStore(dir); S3Client c = S3Testing.client(s3)) {
            // Then the object is still there
            assertTrue(s3.port() > 0);
            assertEquals(List.of("a/b.txt"), S3Testing.keys(c, "lake", ""));
            assertEquals("hello", c.getObjectAsBytes(b -> b.bucket("lake").key("a/b.txt")).asUtf8String());
        }
        assertTrue(firstPort > 0);
    }
}
