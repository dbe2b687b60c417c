package io.splice.connectors.testing;

import io.splice.local.s3.S3Endpoint;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** S3 client for the local endpoint, and Parquet read back as Spark would (parquet-java with Hadoop). */
public final class S3Testing {
    private S3Testing() {
    }

    public static S3Client client(S3Endpoint endpoint) {
        return S3Client.builder().endpointOverride(endpoint.endpoint()).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Endpoint.ACCESS_KEY,
                        S3Endpoint.SECRET_KEY)))
                .httpClientBuilder(ApacheHttpClient.builder()).build();
    }

    /** Keys under {@code prefix}, sorted. */
    public static List<String> keys(S3Client s3, String bucket, String prefix) {
        List<String> out = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream().map(S3Object::key).forEach(out::add);
        out.sort(null);
        return out;
    }

    /** Downloads an object to a temporary file. */
    public static Path download(S3Client s3, String bucket, String key) {
        try {
            Path f = Files.createTempFile("splice-test-", ".parquet");
            Files.write(f, s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray());
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<GenericRecord> rows(Path parquet) {
        List<GenericRecord> out = new ArrayList<>();
        try (ParquetReader<GenericRecord> r = AvroParquetReader.<GenericRecord>builder(new LocalInputFile(parquet))
                .withDataModel(GenericData.get()).build()) {
            GenericRecord g;
            while ((g = r.read()) != null) {
                out.add(g);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public static MessageType parquetSchema(Path parquet) {
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(parquet))) {
            return r.getFileMetaData().getSchema();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String codec(Path parquet) {
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(parquet))) {
            return r.getFooter().getBlocks().get(0).getColumns().get(0).getCodec().name();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<GenericRecord> rows(S3Client s3, String bucket, String key) {
        Path f = download(s3, bucket, key);
        try {
            return rows(f);
        } finally {
            f.toFile().delete();
        }
    }

    /** How often each Kafka offset of stitched partition {@code partition} occurs in the Parquet objects under {@code prefix}. */
    public static java.util.Map<Long, Integer> offsetsInS3(S3Client s3, String bucket, String prefix, int partition) {
        java.util.Map<Long, Integer> seen = new java.util.TreeMap<>();
        for (String key : keys(s3, bucket, prefix)) {
            if (key.contains("+" + partition + "+")) {
                for (GenericRecord r : rows(s3, bucket, key)) {
                    seen.merge((Long) r.get("kafka_offset"), 1, Integer::sum);
                }
            }
        }
        return seen;
    }
}
