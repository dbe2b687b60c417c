package io.splice.backfill.publish;

import io.splice.avro.FeatureRow;
import io.splice.avro.serde.InMemorySchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.WireFormat;
import io.splice.backfill.Cli;
import io.splice.backfill.TestData;
import io.splice.backfill.TestSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Kafka records of --publish and publish-table, decoded with Splice's own deserializer. */
class PublishTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = TestSpark.session();
    }

    static Map<String, FeatureRow> decode(Dataset<Row> encoded, InMemorySchemaRegistryClient registry, int id) {
        SpliceAvroDeserializer<FeatureRow> de = SpliceAvroDeserializer.of(registry, FeatureRow.class);
        Map<String, FeatureRow> out = new HashMap<>();
        for (Row r : encoded.collectAsList()) {
            byte[] value = r.getAs("value");
            assertEquals(WireFormat.MAGIC, value[0], "magic byte");
            assertEquals(id, WireFormat.schemaId(value), "the registered schema id");
            FeatureRow fr = de.deserialize("t", value);
            assertEquals(r.<String>getAs("key"), fr.getRowKey(), "keyed by row key");
            out.put(fr.getRowKey(), fr);
        }
        return out;
    }

    @Test
    @DisplayName("backfill rows become FeatureRows carrying exactly the parts computed for them, nulls kept")
    void backfillRowsAreFramedFeatureRows() {
        // Given two output rows: r1 computed both parts (one value null), r2 only merchant_txn (--only-uncovered)
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("row_key", DataTypes.StringType, false),
                DataTypes.createStructField("ts", DataTypes.LongType, false),
                DataTypes.createStructField("card_id", DataTypes.StringType, true),
                DataTypes.createStructField("txn_count_1h", DataTypes.LongType, true),
                DataTypes.createStructField("txn_amount_24h", DataTypes.DoubleType, true),
                DataTypes.createStructField("merchant_txn_count", DataTypes.LongType, true),
                DataTypes.createStructField("part_hashes", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType), false)));
        Dataset<Row> out = spark.createDataFrame(List.of(
                RowFactory.create("r1", 1000L, "c1", 3L, null, 7L, Map.of("card_txn", "h1", "merchant_txn", "h2")),
                RowFactory.create("r2", 2000L, "c2", null, null, 0L, Map.of("merchant_txn", "h2"))), schema);
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        int id = registry.register("splice.backfill.payments.v2-value", FeatureRow.getClassSchema());
        LinkedHashMap<String, List<String>> parts = new LinkedHashMap<>();
        parts.put("card_txn", List.of("txn_count_1h", "txn_amount_24h"));
        parts.put("merchant_txn", List.of("merchant_txn_count"));
        // When
        Map<String, FeatureRow> rows = decode(FeatureRowEncoder.encode(out, id, List.of("card_id"),
                List.of("txn_count_1h", "txn_amount_24h", "merchant_txn_count"), parts), registry, id);
        // Then
        FeatureRow r1 = rows.get("r1");
        assertEquals(1000L, r1.getTs());
        assertEquals(Map.of("card_id", "c1"), r1.getKeys());
        assertEquals(Map.of("card_txn", "h1", "merchant_txn", "h2"), r1.getPartHashes());
        assertEquals(3L, r1.getValues().get("txn_count_1h"));
        assertTrue(r1.getValues().containsKey("txn_amount_24h") && r1.getValues().get("txn_amount_24h") == null,
                "a computed null is present as null");
        FeatureRow r2 = rows.get("r2");
        assertEquals(Map.of("merchant_txn", "h2"), r2.getPartHashes());
        assertEquals(Map.of("merchant_txn_count", 0L), r2.getValues(), "a part not computed for the row is absent");
    }

    @Test
    @DisplayName("a plain table becomes FeatureRows without part hashes")
    void plainTableRowsHaveNoPartHashes() {
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("row_key", DataTypes.StringType, false),
                DataTypes.createStructField("ts", DataTypes.LongType, false),
                DataTypes.createStructField("risk_score", DataTypes.DoubleType, true),
                DataTypes.createStructField("label", DataTypes.BooleanType, true)));
        Dataset<Row> t = spark.createDataFrame(List.of(RowFactory.create("[\"r1\",\"2025-10-01\"]", 5L, 0.25, true)), schema);
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        int id = registry.register("splice.bootstrap.x-value", FeatureRow.getClassSchema());
        FeatureRow fr = decode(FeatureRowEncoder.encode(t, id, List.of(), List.of("risk_score", "label"), null), registry, id)
                .get("[\"r1\",\"2025-10-01\"]");
        assertNull(fr.getPartHashes());
        assertEquals(Map.of("risk_score", 0.25, "label", true), fr.getValues());
    }

    @Test
    @DisplayName("publish-table --dry-run applies --select/--where, builds composite row keys and keeps the latest row per key")
    void publishTableDryRun(@TempDir Path tmp) {
        Path table = tmp.resolve("scores");
        TestData.writeByDay(table, List.of(
                Map.of("request_id", "r1", "day", "2025-10-01", "score", 0.5, "event_time", 10L, "ts", 10L),
                Map.of("request_id", "r1", "day", "2025-10-01", "score", 0.7, "event_time", 20L, "ts", 20L),
                Map.of("request_id", "r2", "day", "2025-10-01", "score", 0.1, "event_time", 30L, "ts", 30L),
                Map.of("request_id", "r3", "day", "2025-10-01", "score", 0.9, "event_time", 40L, "ts", 40L)));
        Cli r = Cli.run("publish-table", "--table", table.toString(), "--topic", "splice.bootstrap.scores",
                "--select", "request_id, day, score AS risk_score, event_time AS ts", "--where", "score < 0.8",
                "--row-ids", "request_id,day", "--dry-run");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("values: risk_score; keys: (none); row ids: request_id, day"), r.out());
        assertTrue(r.out().contains("would publish 2 rows to splice.bootstrap.scores"), r.out());
        assertTrue(r.out().contains("{\"row_key\":\"[\\\"r1\\\",\\\"2025-10-01\\\"]\",\"ts\":20,\"risk_score\":0.7}"), r.out());
        Cli missing = Cli.run("publish-table", "--table", table.toString(), "--topic", "t", "--row-ids", "request_id",
                "--ts-column", "when", "--dry-run");
        assertEquals(2, missing.exit(), missing.toString());
        assertTrue(missing.err().contains("lacks column [when]"), missing.err());
    }
}
