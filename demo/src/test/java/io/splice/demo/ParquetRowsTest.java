package io.splice.demo;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Parquet as the S3 sink writes it (its own Hadoop-free writer), read back here without Hadoop. */
class ParquetRowsTest {

    @ParameterizedTest
    @EnumSource(value = CompressionCodecName.class, names = {"UNCOMPRESSED", "SNAPPY", "ZSTD", "GZIP"})
    void rowsWrittenByTheSinkAreReadBackWithoutHadoop(CompressionCodecName codec, @TempDir Path dir) throws Exception {
        // Given 3 offline rows of two revisions of r1 and r2 (maps, a nullable long, the order columns), written with
        // the sink's writer
        Schema strMap = Schema.createMap(Schema.create(Schema.Type.STRING));
        Schema schema = SchemaBuilder.record("payments_v1").fields()
                .name("row_key").type().stringType().noDefault()
                .name("sources").type(strMap).noDefault()
                .name("revision").type().optional().longType()
                .name("is_deleted").type().booleanType().noDefault()
                .name("kafka_partition").type().intType().noDefault()
                .name("kafka_offset").type().longType().noDefault()
                .endRecord();
        Path file = dir.resolve("part.parquet");
        Method open = Class.forName("io.splice.connectors.s3.ParquetFiles")
                .getDeclaredMethod("open", Path.class, Schema.class, CompressionCodecName.class, long.class);
        open.setAccessible(true);
        try (@SuppressWarnings("unchecked") ParquetWriter<GenericRecord> w =
                     (ParquetWriter<GenericRecord>) open.invoke(null, file, schema, codec, 1024L * 1024)) {
            for (long i = 0; i < 3; i++) {
                GenericData.Record r = new GenericData.Record(schema);
                r.put("row_key", i < 2 ? "r1" : "r2");
                r.put("sources", Map.of("risk_score", i == 0 ? "missing" : "log"));
                r.put("revision", i == 1 ? 2L : 1L);
                r.put("is_deleted", false);
                r.put("kafka_partition", 0);
                r.put("kafka_offset", i);
                w.write(r);
            }
        }

        // When the file is read back, from disk and from memory
        List<GenericRecord> fromFile = new ArrayList<>();
        ParquetRows.read(file, fromFile::add);
        List<GenericRecord> fromBytes = new ArrayList<>();
        ParquetRows.read(Files.readAllBytes(file), "part.parquet", fromBytes::add);

        // Then every row comes back with its values
        assertEquals(3, fromFile.size());
        assertEquals(fromFile.toString(), fromBytes.toString());
        assertEquals("r1", OfflineTable.str(fromFile.get(1).get("row_key")));
        assertEquals(Map.of("risk_score", "log"), OfflineTable.strMap(fromFile.get(1).get("sources")));
        assertEquals(2L, fromFile.get(1).get("revision"));

        // and the offline table folds them into the latest revision per row
        OfflineTable t = OfflineTable.fromDirectory(dir);
        assertEquals(3, t.rows());
        assertEquals(2, t.latestRows());
        assertEquals(List.of(file.toString()), t.objects());
    }
}
