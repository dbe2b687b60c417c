package io.splice.connectors.testing;

import io.splice.avro.StitchedRecord;
import io.splice.avro.serde.InMemorySchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.local.s3.S3Endpoint;
import io.splice.testing.Feature;
import io.splice.testing.JoinYaml;
import io.splice.testing.Joins;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.sink.SinkRecord;

import java.net.URI;
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

    /** payments/v2 (a feature of every Avro type, an online and an offline store) and cards/v1 (offline only). */
    public static final String DEFINITIONS = JoinYaml.yaml(
            JoinYaml.join("payments", "v2").rowIds("request_id").keys("card_id")
                    .part("card_txn", "transactions", "card_id", Joins.TXN_COUNT_1H, Joins.TXN_AMOUNT_24H)
                    .external("risk_ext", Joins.RISK_SCORE, Feature.of("segment", "string"), Feature.of("is_vip", "boolean"),
                            Feature.of("n_devices", "int"), Feature.of("ratio", "float"))
                    .online("payments_v2", "card_id").offline("s3://features/offline"),
            Joins.cards().offline("s3://features/offline"));

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

    /** What every sink of the tests is configured with: {@link #DEFINITIONS}, the mock registry, a region and credentials. */
    public static Map<String, String> sinkConfig(String accessKeyId, String secretAccessKey) {
        Map<String, String> c = new HashMap<>();
        c.put("splice.definitions.yaml", DEFINITIONS);
        c.put("schema.registry.url", REGISTRY_URL);
        c.put("aws.region", "us-east-1");
        c.put("aws.access.key.id", accessKeyId);
        c.put("aws.secret.access.key", secretAccessKey);
        return c;
    }

    /** {@link #sinkConfig} of a Feature Store sink whose runtime and control clients both call {@code endpoint}. */
    public static Map<String, String> featureStoreConfig(URI endpoint) {
        Map<String, String> c = sinkConfig("local", "local");
        c.put("aws.endpoint.override", endpoint.toString());
        c.put("featurestore.control.endpoint.override", endpoint.toString());
        return c;
    }

    /** {@link #sinkConfig} of an S3 sink writing under {@code s3://<bucket>/offline} of the local {@code endpoint}. */
    public static Map<String, String> s3Config(URI endpoint, String bucket) {
        Map<String, String> c = sinkConfig(S3Endpoint.ACCESS_KEY, S3Endpoint.SECRET_KEY);
        c.put("aws.endpoint.override", endpoint.toString());
        c.put("s3.path.style.access", "true");
        c.put("s3.prefix", "s3://" + bucket + "/offline");
        return c;
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
