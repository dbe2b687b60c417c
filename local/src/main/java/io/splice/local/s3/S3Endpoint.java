package io.splice.local.s3;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An S3-compatible endpoint for local runs and tests: S3Proxy embedded in the JVM, on 127.0.0.1 and a free
 * port, with an in-memory ({@link #transientStore()}) or directory ({@link #filesystemStore(Path)}) backend.
 * Requests are not authenticated (any credentials work); use path-style addressing
 * ({@code forcePathStyle(true)}, Hadoop's {@code fs.s3a.path.style.access=true}).
 *
 * <pre>
 * try (S3Endpoint s3 = S3Endpoint.transientStore()) {
 *     S3Client client = S3Client.builder().endpointOverride(s3.endpoint()).forcePathStyle(true)
 *             .region(Region.US_EAST_1).credentialsProvider(...any static credentials...).build();
 * }
 * </pre>
 */
public final class S3Endpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(S3Endpoint.class);

    /** Credentials that any client may use (the endpoint does not check them). */
    public static final String ACCESS_KEY = "local";
    public static final String SECRET_KEY = "local-secret";

    private final S3Proxy proxy;
    private final Path directory;
    private volatile boolean closed;

    private S3Endpoint(BlobStore store, Path directory, int port) {
        this.directory = directory;
        this.proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.NONE, null, null)
                .ignoreUnknownHeaders(true)
                .build();
        try {
            proxy.start();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start S3Proxy on 127.0.0.1", e);
        }
        log.info("S3 endpoint (S3Proxy, {} backend) on {}", directory == null ? "in-memory" : directory, endpoint());
    }

    /** An endpoint whose objects live in memory and vanish on close. */
    public static S3Endpoint transientStore() {
        return new S3Endpoint(new TransientNio2BlobStore(), null, 0);
    }

    /** An endpoint whose buckets are sub-directories of {@code directory} (created if needed); objects survive close. */
    public static S3Endpoint filesystemStore(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create " + directory, e);
        }
        return new S3Endpoint(new FilesystemNio2BlobStore(directory.toAbsolutePath().toString()), directory, 0);
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    public int port() {
        return proxy.getPort();
    }

    /** The backend directory, or null for the in-memory store. */
    public Path directory() {
        return directory;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            proxy.stop();
        } catch (Exception e) {
            log.warn("S3Proxy did not stop cleanly", e);
        }
    }
}
