package io.splice.connectors.testing;

import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.InMemorySchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroSerializer;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.sink.SinkRecord;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Definitions, records and wire-format bytes shared by the sink tests. */
public final class TestData {
    public static final String REGISTRY_SCOPE = "splice-connectors-tests";
    public static final String REGISTRY_URL = "mock://" + REGISTRY_SCOPE;
    public static final String TOPIC = "splice.stitched.payments.v2";
    public static final String CARDS_TOPIC = "splice.stitched.cards.v1";
    /** 2025-10-01T00:00:00Z */
    public static final long DAY1 = 1759276800000L;
    public static final long DAY_MS = 86_400_000L;

    public static final String DEFINITIONS = """
            joins:
              - name: payments
                version: v2
                row_ids: [request_id]
                keys: [card_id]
                parts:
                  - name: card_txn
                    source: transactions
                    key: card_id
                    features:
                      - {name: txn_count_1h, type: long, agg: count, window: 1h}
                      - {name: txn_amount_24h, type: double, agg: sum, of: amount, window: 24h}
                  - name: risk_ext
                    external: true
                    features:
                      - {name: risk_score, type: double}
                      - {name: segment, type: string}
                      - {name: is_vip, type: boolean}
                      - {name: n_devices, type: int}
                      - {name: ratio, type: float}
                online: {feature_group: payments_v2, record_identifier: card_id}
                offline: {s3_prefix: s3://features/offline}
              - name: cards
                version: v1
                row_ids: [card_id]
                keys: [card_id]
                parts:
                  - name: card_profile
                    external: true
                    features:
                      - {name: limit_usd, type: long}
                offline: {s3_prefix: s3://features/offline}
            """;

    private static final SpliceAvroSerializer<StitchedRecord> SERIALIZER =
            new SpliceAvroSerializer<>(InMemorySchemaRegistryClient.forScope(REGISTRY_SCOPE));

    private TestData() {
    }

    /** A payments.v2 revision of row {@code rowKey} for card {@code card}. */
    public static StitchedRecord payment(String rowKey, String card, long ts, long revision, long count, double amount) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("txn_count_1h", count);
        values.put("txn_amount_24h", amount);
        values.put("risk_score", null);
        values.put("segment", "seg-" + (count % 3));
        values.put("is_vip", count % 2 == 0);
        values.put("n_devices", (int) (count % 5));
        values.put("ratio", 0.5f);
        Map<String, String> sources = new LinkedHashMap<>();
        values.keySet().forEach(f -> sources.put(f, f.startsWith("txn") ? "backfill" : "log"));
        sources.put("risk_score", "missing");
        return StitchedRecord.newBuilder().setJoin("payments").setVersion("v2").setRowKey(rowKey).setTs(ts)
                .setKeys(new HashMap<>(Map.of("card_id", card))).setValues(values).setSources(sources)
                .setPartHashes(new HashMap<>(Map.of("card_txn", "0123456789abcdef", "risk_ext", "fedcba9876543210")))
                .setRevision(revision).setStitchedAt(ts + 5).build();
    }

    public static StitchedRecord card(String card, long ts, long revision, long limit) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("limit_usd", limit);
        return StitchedRecord.newBuilder().setJoin("cards").setVersion("v1").setRowKey(card).setTs(ts)
                .setKeys(new HashMap<>(Map.of("card_id", card))).setValues(values)
                .setSources(new HashMap<>(Map.of("limit_usd", "log"))).setPartHashes(new HashMap<>())
                .setRevision(revision).setStitchedAt(ts).build();
    }

    public static byte[] bytes(String topic, StitchedRecord r) {
        return SERIALIZER.serialize(topic, r);
    }

    /** A sink record as Connect hands it to a task with StringConverter keys and ByteArrayConverter values. */
    public static SinkRecord sinkRecord(String topic, int partition, long offset, long timestamp, String key, StitchedRecord value) {
        return new SinkRecord(topic, partition, null, key, null, value == null ? null : bytes(topic, value), offset,
                timestamp, TimestampType.CREATE_TIME);
    }

    public static SinkRecord rawRecord(String topic, int partition, long offset, long timestamp, String key, byte[] value) {
        return new SinkRecord(topic, partition, null, key, null, value, offset, timestamp, TimestampType.CREATE_TIME);
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
