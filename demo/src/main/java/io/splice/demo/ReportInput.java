package io.splice.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stitched rows a report is made of, from any of the places Splice writes them:
 * <ul>
 *   <li>{@code kafka:<topic>}: a stitched topic (with the Kafka and registry addresses);</li>
 *   <li>{@code s3://bucket/prefix}: the S3 sink's offline table (every .parquet object under the prefix);</li>
 *   <li>a local directory or {@code .parquet} file: a copy of the offline table;</li>
 *   <li>a {@code .jsonl} file: {@code stitched.jsonl} of {@code splice simulate}.</li>
 * </ul>
 * Every input is reduced to the latest revision per row.
 */
public final class ReportInput {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReportInput() {
    }

    /** Connection settings for Kafka and S3 inputs (any may be null when the input does not need it). */
    public record Access(String bootstrapServers, String schemaRegistryUrl, URI s3Endpoint, String s3AccessKey,
                         String s3SecretKey, String region) {
    }

    /** Reads {@code input}; {@code description} receives a short description of what was read. */
    public static LatestRows read(String input, Access access, StringBuilder description) {
        if (input.startsWith("kafka:")) {
            String topic = input.substring("kafka:".length());
            if (access.bootstrapServers() == null || access.schemaRegistryUrl() == null) {
                throw new IllegalArgumentException("a kafka: input needs --bootstrap-servers and --schema-registry");
            }
            LatestRows rows = TopicReader.stitched(access.bootstrapServers(), access.schemaRegistryUrl(), topic,
                    Duration.ofSeconds(60), null);
            description.append("topic ").append(topic).append(" (").append(rows.records()).append(" records)");
            return rows;
        }
        if (input.startsWith("s3://") || input.startsWith("s3a://")) {
            URI u = URI.create(input);
            String prefix = u.getPath() == null ? "" : u.getPath().replaceFirst("^/", "");
            if (!prefix.isEmpty() && !prefix.endsWith("/")) {
                prefix += "/";
            }
            String key = access.s3AccessKey();
            String secret = access.s3SecretKey();
            if (access.s3Endpoint() != null && (key == null || key.isBlank())) {
                key = "local"; // a local S3 endpoint takes any credentials
                secret = "local-secret";
            }
            try (S3Client s3 = OfflineTable.s3(access.s3Endpoint(), key, secret, access.region())) {
                OfflineTable t = OfflineTable.fromS3(s3, u.getHost(), prefix);
                description.append(input).append(" (").append(t.objects().size()).append(" objects, ").append(t.rows()).append(" rows)");
                return t.latest();
            }
        }
        Path p = Path.of(input);
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("no such input: " + input
                    + " (expected kafka:<topic>, s3://bucket/prefix, a directory of Parquet files, or a stitched.jsonl file)");
        }
        String name = p.getFileName().toString();
        if (Files.isRegularFile(p) && (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson"))) {
            LatestRows rows = jsonLines(p);
            description.append(input).append(" (").append(rows.records()).append(" records)");
            return rows;
        }
        OfflineTable t = OfflineTable.fromDirectory(p);
        description.append(input).append(" (").append(t.objects().size()).append(" Parquet files, ").append(t.rows()).append(" rows)");
        return t.latest();
    }

    /** {@code splice simulate}'s stitched.jsonl: {"topic", "key", "value": StitchedRecord as JSON | null}. */
    static LatestRows jsonLines(Path file) {
        LatestRows rows = new LatestRows();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long n = 0;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                n++;
                JsonNode o = JSON.readTree(line);
                JsonNode v = o.get("value");
                String key = o.path("key").asText(null);
                if (v == null || v.isNull()) {
                    rows.accept(n, new LatestRows.Row(key, 0, 0, Map.of(), Map.of(), true));
                } else {
                    rows.accept(n, new LatestRows.Row(v.path("row_key").asText(key), v.path("ts").asLong(),
                            v.path("revision").asLong(), strings(v.get("keys")), strings(v.get("sources")), false));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return rows;
    }

    private static Map<String, String> strings(JsonNode n) {
        Map<String, String> m = new LinkedHashMap<>();
        if (n != null && n.isObject()) {
            n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
        }
        return m;
    }
}
