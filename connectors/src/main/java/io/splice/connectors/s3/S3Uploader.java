package io.splice.connectors.s3;

import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;

/**
 * Puts one local file as one S3 object through the AWS SDK's multipart client ({@link #client}): a single PUT up to
 * the part size, above it a multipart upload whose parts the SDK reads from the file and sends concurrently, aborting
 * the upload if a part fails. Server-side encryption and the content type are set on the PutObject request, which
 * the SDK carries over to CreateMultipartUpload.
 */
final class S3Uploader {
    private static final String CONTENT_TYPE = "application/vnd.apache.parquet";
    /** Parts of one object in flight at once (each buffered in memory while it is sent). */
    static final int PARTS_IN_FLIGHT = 4;
    /** Bytes read from the file per read (the SDK's default is 16 KiB). */
    private static final int CHUNK_BYTES = 256 * 1024;

    private final S3AsyncClient s3;
    private final long partSize;
    private final String sse;
    private final String kmsKeyId;

    S3Uploader(S3AsyncClient s3, long partSize, String sse, String kmsKeyId) {
        this.s3 = s3;
        this.partSize = partSize;
        this.sse = sse == null || sse.isBlank() ? null : sse;
        this.kmsKeyId = kmsKeyId == null || kmsKeyId.isBlank() ? null : kmsKeyId;
    }

    /**
     * The sink's S3 client: the SDK's Java multipart client (no CRT) with {@code s3.part.size.bytes} as threshold and
     * part size, path-style addressing, the checksum setting, region, credentials and endpoint of the connector.
     */
    static S3AsyncClient client(S3OfflineSinkConfig c) {
        long partSize = c.getLong(S3OfflineSinkConfig.S3_PART_SIZE);
        S3AsyncClientBuilder b = c.aws().apply(S3AsyncClient.builder())
                .forcePathStyle(c.getBoolean(S3OfflineSinkConfig.S3_PATH_STYLE))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(16))
                .multipartEnabled(true)
                .multipartConfiguration(m -> m.thresholdInBytes(partSize).minimumPartSizeInBytes(partSize)
                        .apiCallBufferSizeInBytes(partSize * PARTS_IN_FLIGHT));
        if ("when_required".equals(c.getString(S3OfflineSinkConfig.S3_CHECKSUM))) {
            b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        return b.build();
    }

    /** Uploads {@code file} to {@code s3://bucket/key}; returns the number of parts (1 for a single PUT). */
    int upload(String bucket, String key, Path file) throws IOException {
        long size = Files.size(file);
        PutObjectRequest.Builder req = PutObjectRequest.builder().bucket(bucket).key(key).contentType(CONTENT_TYPE)
                .contentLength(size);
        if (sse != null) {
            req.serverSideEncryption(ServerSideEncryption.fromValue(sse));
            if (kmsKeyId != null) {
                req.ssekmsKeyId(kmsKeyId);
            }
        }
        try {
            s3.putObject(req.build(), AsyncRequestBody.fromFile(f -> f.path(file).chunkSizeInBytes(CHUNK_BYTES))).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException("Upload of s3://" + bucket + "/" + key + " failed: " + e.getCause(), e.getCause());
        }
        return size <= partSize ? 1 : (int) ((size + partSize - 1) / partSize);
    }
}
