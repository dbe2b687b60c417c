package io.splice.bench;

import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.core.api.Definitions;
import io.splice.core.api.FeatureType;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark's join and its generated input: 3 features in 2 parts (or a wide join: {@code --features N --parts P},
 * the last part external, the others computed by the backfill); every row has a fetch log (keyed by card,
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
    /** Features and parts of the join: 3 in 2 (the default join below) or a wide one from {@link #wideYaml}. */
    final int features;
    final int parts;
    /** Features of the computed parts (the backfill's, absent from the log of a row with backfill) and of the external part. */
    private final List<String> computed = new ArrayList<>();
    private final List<String> external = new ArrayList<>();
    private final String externalPart;
    private final List<String> computedParts = new ArrayList<>();
    /** Per computed feature: a long count (else a double sum). */
    private final List<Boolean> counts = new ArrayList<>();
    /** Wide joins vary values by feature; the default join keeps the values its earlier figures were measured with. */
    private final boolean offsetByFeature;

    BenchData(String prefix, int cards) {
        this(prefix, cards, false);
    }

    BenchData(String prefix, int cards, boolean logsKeyedByRowKey) {
        this(prefix, cards, logsKeyedByRowKey, DEFAULT_FEATURES, DEFAULT_PARTS);
    }

    static final int DEFAULT_FEATURES = 3;
    static final int DEFAULT_PARTS = 2;

    BenchData(String prefix, int cards, boolean logsKeyedByRowKey, int features, int parts) {
        this.logsKeyedByRowKey = logsKeyedByRowKey;
        this.topics = new Topics(prefix);
        this.bootstrapTopic = prefix + ".bootstrap.labels";
        boolean standard = features == DEFAULT_FEATURES && parts == DEFAULT_PARTS;
        if (!standard && (parts < 2 || features < parts)) {
            throw new IllegalArgumentException("a wide join needs at least 2 parts and a feature per part: " + features + " in " + parts);
        }
        this.features = features;
        this.parts = parts;
        this.definitions = DefinitionsLoader.parse(standard ? yaml(bootstrapTopic) : wideYaml(bootstrapTopic, features, parts),
                "bench.yaml", topics);
        this.join = definitions.joins().get(0);
        this.hashes = SemanticHasher.hashes(join);
        this.cards = cards;
        String ext = null;
        for (var p : join.parts()) {
            if (p.external()) {
                ext = p.name();
                external.addAll(p.featureNames());
            } else {
                computedParts.add(p.name());
                p.features().forEach(f -> {
                    computed.add(f.name());
                    counts.add(f.type() == FeatureType.LONG);
                });
            }
        }
        this.externalPart = ext;
        this.offsetByFeature = !standard;
    }

    /**
     * {@code features} in {@code parts} parts of about equal size: parts {@code p0..p(P-2)} computed from transactions
     * (alternately a count and a sum of amount, over 1h, 24h and 7d), the last one external; names as long as the default
     * join's. The first feature keeps the default's name {@code txn_count_1h}: the bootstrap record sets it.
     */
    static String wideYaml(String bootstrapTopic, int features, int parts) {
        StringBuilder b = new StringBuilder("""
                joins:
                  - name: bench
                    version: v1
                    row_ids: [request_id]
                    keys: [card_id]
                    bootstrap_from_log: true
                    parts:
                """);
        String[] windows = {"1h", "24h", "7d"};
        int f = 0;
        for (int p = 0; p < parts; p++) {
            int n = features / parts + (p < features % parts ? 1 : 0);
            boolean ext = p == parts - 1;
            b.append("      - name: ").append(ext ? "risk_ext" : "p" + p).append('\n');
            if (ext) {
                b.append("        external: true\n");
            } else {
                b.append("        source: transactions\n        key: card_id\n");
            }
            b.append("        features:\n");
            for (int i = 0; i < n; i++, f++) {
                String w = windows[f % 3];
                if (f == 0) {
                    b.append("          - {name: txn_count_1h, type: long, agg: count, window: 1h}\n");
                } else if (ext) {
                    b.append(String.format("          - {name: risk_score_%03d, type: double}%n", f));
                } else if (f % 2 == 0) {
                    b.append(String.format("          - {name: txn_count_%s_%03d, type: long, agg: count, window: %s}%n", w, f, w));
                } else {
                    b.append(String.format("          - {name: txn_amount_%s_%03d, type: double, agg: sum, of: amount, window: %s}%n", w, f, w));
                }
            }
        }
        b.append("    bootstrap_parts:\n      - topic: ").append(bootstrapTopic).append('\n');
        return b.toString();
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

    /** A value of a computed feature (long counts, double sums), varying with the row and the feature. */
    private Object computedValue(long i, int k, boolean fromBackfill) {
        boolean count = counts.get(k);
        if (!offsetByFeature) {
            k = 0;
        }
        if (fromBackfill) {
            return count ? (Object) ((i + k) % 40 + 1) : (Object) ((double) ((i + k) % 7000) / 7.0);
        }
        return count ? (Object) ((i + k) % 50) : (Object) ((double) ((i + k) % 5000) / 3.0);
    }

    FetchLog log(long i, long ts) {
        Map<String, Object> values = new HashMap<>(features * 2);
        Map<String, String> partHashes = new HashMap<>(parts * 2);
        for (int k = 0; k < external.size(); k++) {
            values.put(external.get(k), (double) ((i + (offsetByFeature ? k : 0)) % 1000) / 1000.0);
        }
        partHashes.put(externalPart, hashes.get(externalPart));
        if (!hasBackfill(i)) {
            for (int k = 0; k < computed.size(); k++) {
                values.put(computed.get(k), computedValue(i, k, false));
            }
            computedParts.forEach(p -> partHashes.put(p, hashes.get(p)));
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
        Map<String, Object> values = new HashMap<>(features * 2);
        for (int k = 0; k < computed.size(); k++) {
            values.put(computed.get(k), computedValue(i, k, true));
        }
        Map<String, String> partHashes = new HashMap<>(parts * 2);
        computedParts.forEach(p -> partHashes.put(p, hashes.get(p)));
        return FeatureRow.newBuilder()
                .setRowKey(rowKey(i)).setTs(BASE_TS + i * 10).setKeys(Map.of("card_id", card(i)))
                .setValues(values)
                .setPartHashes(partHashes)
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

    List<String> describe() {
        List<String> out = new ArrayList<>();
        out.add(features == DEFAULT_FEATURES && parts == DEFAULT_PARTS
                ? "join `bench.v1`: 3 features in 2 parts (`card_txn`: txn_count_1h, txn_amount_24h; external `risk_ext`: risk_score), "
                + "one bootstrap part"
                : String.format("wide join `bench.v1`: %d features in %d parts (%d computed parts with %d features, external `risk_ext` "
                + "with %d), one bootstrap part", features, parts, computedParts.size(), computed.size(), external.size()));
        out.add("every row has a fetch log keyed by card (so the app re-keys it: one repartition topic); 20% of rows also a "
                + "backfill record (their log carries only risk_score), 10% a bootstrap record (all three sources)");
        return out;
    }
}
