package io.splice.backfill.publish;

import io.splice.avro.FeatureRow;
import io.splice.avro.serde.WireFormat;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns table rows into Kafka records: key = row key (UTF-8), value = a {@link FeatureRow} in the Confluent wire
 * format (magic 0, the registered schema id, Avro binary), written with the generated class's own writer, so the
 * bytes are exactly what {@code SpliceAvroSerializer} would produce.
 *
 * <p>Input columns: {@code row_key}, {@code ts} (epoch ms), the key columns (strings), the value columns (boolean,
 * int, long, float, double or string), and optionally {@code part_hashes} (map). With part hashes, {@code values}
 * holds exactly the features of the parts listed for that row (a computed null stays a present null; a part that was
 * not computed for the row is absent); without, every value column.
 */
public final class FeatureRowEncoder implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    public static final StructType KAFKA_SCHEMA = DataTypes.createStructType(List.of(
            DataTypes.createStructField("key", DataTypes.StringType, false),
            DataTypes.createStructField("value", DataTypes.BinaryType, false)));

    private final int schemaId;
    private final List<String> keyColumns;
    private final List<String> valueColumns;
    /** part → its features; null for a plain table (no part hashes). */
    private final LinkedHashMap<String, List<String>> partFeatures;

    public FeatureRowEncoder(int schemaId, List<String> keyColumns, List<String> valueColumns,
                             LinkedHashMap<String, List<String>> partFeatures) {
        this.schemaId = schemaId;
        this.keyColumns = new ArrayList<>(keyColumns);
        this.valueColumns = new ArrayList<>(valueColumns);
        this.partFeatures = partFeatures;
    }

    public static Dataset<Row> encode(Dataset<Row> table, int schemaId, List<String> keyColumns, List<String> valueColumns,
                                      LinkedHashMap<String, List<String>> partFeatures) {
        return table.mapPartitions(new FeatureRowEncoder(schemaId, keyColumns, valueColumns, partFeatures),
                Encoders.row(KAFKA_SCHEMA));
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        SpecificDatumWriter<FeatureRow> writer = new SpecificDatumWriter<>(FeatureRow.class);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        return new Iterator<>() {
            BinaryEncoder encoder;

            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                FeatureRow fr = toFeatureRow(rows.next());
                bytes.reset();
                encoder = EncoderFactory.get().binaryEncoder(bytes, encoder);
                try {
                    writer.write(fr, encoder);
                    encoder.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return RowFactory.create(fr.getRowKey(), WireFormat.frame(schemaId, bytes.toByteArray()));
            }
        };
    }

    FeatureRow toFeatureRow(Row r) {
        Map<String, String> keys = new HashMap<>();
        for (String k : keyColumns) {
            Object v = r.get(r.fieldIndex(k));
            if (v != null) {
                keys.put(k, v.toString());
            }
        }
        Map<String, Object> values = new HashMap<>();
        Map<String, String> hashes = null;
        if (partFeatures != null) {
            Map<String, String> carried = r.getJavaMap(r.fieldIndex("part_hashes"));
            hashes = new HashMap<>();
            if (carried != null) {
                for (Map.Entry<String, List<String>> p : partFeatures.entrySet()) {
                    String h = carried.get(p.getKey());
                    if (h != null) {
                        hashes.put(p.getKey(), h);
                        for (String f : p.getValue()) {
                            values.put(f, r.get(r.fieldIndex(f)));
                        }
                    }
                }
            }
        } else {
            for (String f : valueColumns) {
                values.put(f, r.get(r.fieldIndex(f)));
            }
        }
        Object ts = r.get(r.fieldIndex("ts"));
        return FeatureRow.newBuilder()
                .setRowKey(r.getString(r.fieldIndex("row_key")))
                .setTs(ts == null ? 0L : ((Number) ts).longValue())
                .setKeys(keys)
                .setValues(values)
                .setPartHashes(hashes)
                .build();
    }
}
