package io.splice.bench;

import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark's join and its generated input: 3 features in 2 parts; every row has a fetch log (keyed by card,
 * so the app re-keys it to the row key); rows {@code i % 10 in {0, 1}} (20%) also have a backfill record and
 * rows {@code i % 10 == 1} (10%) a bootstrap record, so 10% of rows have all three sources.
 *
 * <ul>
 *   <li>row without backfill: the log carries all 3 features (both parts covered);</li>
 *   <li>row with backfill: the log carries only {@code risk_score} (external part); the backfill fills
 *       {@code card_txn};</li>
 *   <li>row with bootstrap: a plain-table record (no part hashes) with {@code txn_count_1h}, which overrides the
 *       backfill's value.</li>
 * </ul>
 */
final class BenchData {
    static final String JOIN = "bench";
    static final String VERSION = "v1";
    static final long BASE_TS = 1_759_320_000_000L;

    final Topics topics;
    final Definitions definitions;
    final JoinDefinition join;
    final String bootstrapTopic;
    final Map<String, String> hashes;
    final int cards;
    final boolean logsKeyedByRowKey;

    BenchData(String prefix, int cards) {
        this(prefix, cards, false);
    }

    BenchData(String prefix, int cards, boolean logsKeyedByRowKey) {
        this.logsKeyedByRowKey = logsKeyedByRowKey;
        this.topics = new Topics(prefix);
        this.bootstrapTopic = prefix + ".bootstrap.labels";
        this.definitions = DefinitionsLoader.parse(yaml(bootstrapTopic), "bench.yaml", topics);
        this.join = definitions.joins().get(0);
        this.hashes = SemanticHasher.hashes(join);
        this.cards = cards;
    }

    static String yaml(String bootstrapTopic) {
        return """
                joins:
                  - name: bench
                    version: v1
                    row_ids: [request_id]
                    keys: [card_id]
                    bootstrap_from_log: true
                    parts:
                      - name: card_txn
                        source: transactions
                        key: card_id
                        features:
                          - {name: txn_count_1h,   type: long,   agg: count, window: 1h}
                          - {name: txn_amount_24h, type: double, agg: sum, of: amount, window: 24h}
                      - name: risk_ext
                        external: true
                        features:
                          - {name: risk_score, type: double}
                    bootstrap_parts:
                      - topic: %s
                """.formatted(bootstrapTopic);
    }

    String fetchLogTopic() {
        return topics.fetchLog();
    }

    String backfillTopic() {
        return topics.backfill(join);
    }

    String stitchedTopic() {
        return topics.stitched(join);
    }

    /** Input topics every app of the benchmark reads. */
    List<String> inputTopics() {
        return List.of(topics.fetchLog(), topics.fetchLogReplay(), backfillTopic(), bootstrapTopic);
    }

    static boolean hasBackfill(long i) {
        return i % 10 < 2;
    }

    static boolean hasBootstrap(long i) {
        return i % 10 == 1;
    }

    /** Backfill and bootstrap records of the first {@code n} rows. */
    static long sideRecords(long n) {
        long full = n / 10, rest = n % 10;
        return full * 3 + Math.min(rest, 2) + (rest > 1 ? 1 : 0);
    }

    static String rowKey(long i) {
        return "r" + i;
    }

    /** Row index of a row key {@code r<i>}, or -1. */
    static long rowIndex(String key) {
        if (key == null || key.length() < 2 || key.charAt(0) != 'r') {
            return -1;
        }
        try {
            return Long.parseLong(key, 1, key.length(), 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    String card(long i) {
        return "c" + (i % cards);
    }

    /** The log's key: the card, not the row key (the app re-keys; DESIGN §6), unless keyed by row key. */
    String logKey(long i) {
        return logsKeyedByRowKey ? rowKey(i) : card(i);
    }

    FetchLog log(long i, long ts) {
        Map<String, Object> values = new HashMap<>(4);
        Map<String, String> partHashes = new HashMap<>(4);
        values.put("risk_score", (double) (i % 1000) / 1000.0);
        partHashes.put("risk_ext", hashes.get("risk_ext"));
        if (!hasBackfill(i)) {
            values.put("txn_count_1h", i % 50);
            values.put("txn_amount_24h", (double) (i % 5000) / 3.0);
            partHashes.put("card_txn", hashes.get("card_txn"));
        }
        return FetchLog.newBuilder()
                .setJoin(JOIN).setVersion(VERSION).setTs(ts)
                .setKeys(Map.of("card_id", card(i)))
                .setContext(Map.of("request_id", rowKey(i)))
                .setValues(values)
                .setPartHashes(partHashes)
                .build();
    }

    FeatureRow backfill(long i) {
        Map<String, Object> values = new HashMap<>(4);
        values.put("txn_count_1h", (i % 40) + 1);
        values.put("txn_amount_24h", (double) (i % 7000) / 7.0);
        return FeatureRow.newBuilder()
                .setRowKey(rowKey(i)).setTs(BASE_TS + i * 10).setKeys(Map.of("card_id", card(i)))
                .setValues(values)
                .setPartHashes(Map.of("card_txn", hashes.get("card_txn")))
                .build();
    }

    FeatureRow bootstrap(long i) {
        Map<String, Object> values = new HashMap<>(2);
        values.put("txn_count_1h", (i % 30) + 100);
        return FeatureRow.newBuilder()
                .setRowKey(rowKey(i)).setTs(BASE_TS + i * 10).setKeys(Map.of("card_id", card(i)))
                .setValues(values)
                .setPartHashes(null)
                .build();
    }

    static List<String> describe() {
        List<String> out = new ArrayList<>();
        out.add("join `bench.v1`: 3 features in 2 parts (`card_txn`: txn_count_1h, txn_amount_24h; external `risk_ext`: risk_score), "
                + "one bootstrap part");
        out.add("every row has a fetch log keyed by card (so the app re-keys it: one repartition topic); 20% of rows also a "
                + "backfill record (their log carries only risk_score), 10% a bootstrap record (all three sources)");
        return out;
    }
}
