package io.splice.connectors.s3;

import io.splice.connectors.testing.S3Testing;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The offline writer needs no Hadoop at run time: it runs in a class loader without any Hadoop jar. */
public class HadoopFreeWriterTest {

    /** Entry point run inside the Hadoop-free loader: writes 3 rows with ZSTD. */
    public static void write(String path) throws Exception {
        var defs = io.splice.core.definitions.DefinitionsLoader.parse(io.splice.connectors.testing.TestData.DEFINITIONS, "t",
                io.splice.core.api.Topics.defaults());
        OfflineSchema schema = OfflineSchema.of(defs.join("cards", "v1").orElseThrow());
        try (var w = ParquetFiles.open(Path.of(path), schema.schema(),
                org.apache.parquet.hadoop.metadata.CompressionCodecName.ZSTD, 1024 * 1024)) {
            for (int i = 0; i < 3; i++) {
                var r = new org.apache.avro.generic.GenericData.Record(schema.schema());
                r.put("row_key", "k" + i);
                r.put("ts", 1L);
                r.put("keys", java.util.Map.of("card_id", "k" + i));
                r.put("limit_usd", (long) i);
                r.put("sources", java.util.Map.of());
                r.put("feature_version", "v1");
                r.put("part_hashes", java.util.Map.of());
                r.put("revision", 1L);
                r.put("write_time", 2L);
                r.put("is_deleted", false);
                r.put("kafka_partition", 0);
                r.put("kafka_offset", (long) i);
                w.write(r);
            }
        }
    }

    @Test
    void theParquetWriterRunsWithoutHadoopOnTheClassPath(@TempDir Path dir) throws Exception {
        // Given a class loader with the test class path minus every Hadoop jar
        List<URL> urls = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.contains("hadoop-client")) {
                urls.add(new File(e).toURI().toURL());
            }
        }
        Path file = dir.resolve("cards.parquet");
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass("org.apache.hadoop.conf.Configuration"));

            // When the offline writer writes a ZSTD file there
            loader.loadClass(HadoopFreeWriterTest.class.getName()).getMethod("write", String.class)
                    .invoke(null, file.toString());
        }

        // Then parquet-java (with Hadoop, as Spark) reads it back
        List<GenericRecord> rows = S3Testing.rows(file);
        assertEquals(3, rows.size());
        assertEquals(2L, rows.get(2).get("limit_usd"));
        assertEquals("ZSTD", S3Testing.codec(file));
    }
}
