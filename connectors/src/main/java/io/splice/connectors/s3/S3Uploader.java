package io.splice.connectors.s3;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Puts one local file as one S3 object: a single PUT up to the part size, a multipart upload above it. */
final class S3Uploader {
    private static final String CONTENT_TYPE = "application/vnd.apache.parquet";

    private final S3Client s3;
    private final long partSize;
    private final String sse;
    private final String kmsKeyId;

    S3Uploader(S3Client s3, long partSize, String sse, String kmsKeyId) {
        this.s3 = s3;
        this.partSize = partSize;
        this.sse = sse == null || sse.isBlank() ? null : sse;
        this.kmsKeyId = kmsKeyId == null || kmsKeyId.isBlank() ? null : kmsKeyId;
    }

    /** Uploads {@code file} to {@code s3://bucket/key}; returns the number of parts (1 for a single PUT). */
    int upload(String bucket, String key, Path file) throws IOException {
        long size = Files.size(file);
        if (size <= partSize) {
            PutObjectRequest.Builder req = PutObjectRequest.builder().bucket(bucket).key(key).contentType(CONTENT_TYPE)
                    .contentLength(size);
            if (sse != null) {
                req.serverSideEncryption(ServerSideEncryption.fromValue(sse));
                if (kmsKeyId != null) {
                    req.ssekmsKeyId(kmsKeyId);
                }
            }
            s3.putObject(req.build(), RequestBody.fromFile(file));
            return 1;
        }
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder().bucket(bucket).key(key)
                .contentType(CONTENT_TYPE);
        if (sse != null) {
            create.serverSideEncryption(ServerSideEncryption.fromValue(sse));
            if (kmsKeyId != null) {
                create.ssekmsKeyId(kmsKeyId);
            }
        }
        String uploadId = s3.createMultipartUpload(create.build()).uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            byte[] buf = new byte[(int) Math.min(partSize, size)];
            try (InputStream in = Files.newInputStream(file)) {
                int partNumber = 1;
                while (true) {
                    int n = in.readNBytes(buf, 0, buf.length);
                    if (n <= 0) {
                        break;
                    }
                    UploadPartResponse r = s3.uploadPart(UploadPartRequest.builder().bucket(bucket).key(key)
                            .uploadId(uploadId).partNumber(partNumber).contentLength((long) n).build(),
                            RequestBody.fromBytes(n == buf.length ? buf : java.util.Arrays.copyOf(buf, n)));
                    parts.add(CompletedPart.builder().partNumber(partNumber).eTag(r.eTag()).build());
                    partNumber++;
                }
            }
            s3.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()).build());
            return parts.size();
        } catch (IOException | RuntimeException e) {
            try {
                s3.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(key).uploadId(uploadId).build());
            } catch (RuntimeException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }
}
