package io.splice.demo;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's reader of the offline table folds rows in core's LatestRevision order, as the Spark readers do. */
class OfflineTableTest {
    record R(String rowKey, Long revision, boolean deleted, int partition, long offset) {
    }

    static void write(Path file, List<R> rows, boolean withOrder) throws Exception {
        Schema strMap = Schema.createMap(Schema.create(Schema.Type.STRING));
        SchemaBuilder.FieldAssembler<Schema> f = SchemaBuilder.record("payments_v2").fields()
                .name("row_key").type().stringType().noDefault()
                .name("ts").type().longType().noDefault()
                .name("keys").type(strMap).noDefault()
                .name("sources").type(strMap).noDefault()
                .name("revision").type().optional().longType()
                .name("is_deleted").type().booleanType().noDefault();
        if (withOrder) {
            f = f.name("kafka_partition").type().intType().noDefault().name("kafka_offset").type().longType().noDefault();
        }
        Schema schema = f.endRecord();
        Files.createDirectories(file.getParent());
        Method open = Class.forName("io.splice.connectors.s3.ParquetFiles")
                .getDeclaredMethod("open", Path.class, Schema.class, CompressionCodecName.class, long.class);
        open.setAccessible(true);
        try (@SuppressWarnings("unchecked") ParquetWriter<GenericRecord> w =
                     (ParquetWriter<GenericRecord>) open.invoke(null, file, schema, CompressionCodecName.SNAPPY, 1024L * 1024)) {
            for (R r : rows) {
                GenericData.Record g = new GenericData.Record(schema);
                g.put("row_key", r.rowKey());
                g.put("ts", 1_759_276_800_000L);
                g.put("keys", Map.of("card_id", "c-" + r.rowKey()));
                g.put("sources", r.deleted() ? Map.of() : Map.of("txn_count_1h", "log"));
                g.put("revision", r.revision());
                g.put("is_deleted", r.deleted());
                if (withOrder) {
                    g.put("kafka_partition", r.partition());
                    g.put("kafka_offset", r.offset());
                }
                w.write(g);
            }
        }
    }

    @Test
    void theLatestRevisionIsTheGreatestPartitionAndOffsetAndATombstoneEndsTheRow(@TempDir Path dir) throws Exception {
        // Given, across two day folders and in no particular file order:
        //   a: revision 1, then a tombstone carrying revision 1 (a tie on revision: the offset decides)  -> deleted
        //   b: revision 2 written before revision 1 in the files                                           -> live, 2
        //   c: revision 4, then a tombstone without a revision                                             -> deleted
        //   d: deleted, then re-created with revision 3                                                    -> live, 3
        write(dir.resolve("ds=2025-10-01/t+0+0.parquet"), List.of(
                new R("a", 1L, true, 0, 9), new R("b", 2L, false, 1, 3), new R("c", 4L, false, 2, 7),
                new R("d", 2L, true, 0, 12)), true);
        write(dir.resolve("ds=2025-10-02/t+0+1.parquet"), List.of(
                new R("a", 1L, false, 0, 5), new R("b", 1L, false, 1, 1), new R("c", null, true, 2, 8),
                new R("d", 3L, false, 0, 13), new R("d", 2L, false, 0, 11)), true);
        // When
        OfflineTable t = OfflineTable.fromDirectory(dir);
        // Then
        assertEquals(9, t.rows());
        assertEquals(2, t.latestRows());
        Map<String, Long> live = t.latest().live().stream()
                .collect(Collectors.toMap(LatestRows.Row::rowKey, LatestRows.Row::revision));
        assertEquals(Map.of("b", 2L, "d", 3L), live);
    }

    @Test
    void aTableWithoutTheOrderColumnsIsRefused(@TempDir Path dir) throws Exception {
        write(dir.resolve("ds=2025-10-01/t+0+0.parquet"), List.of(new R("a", 1L, false, 0, 0)), false);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> OfflineTable.fromDirectory(dir));
        assertTrue(e.getMessage().contains("kafka_partition, kafka_offset"), e.getMessage());
    }
}
