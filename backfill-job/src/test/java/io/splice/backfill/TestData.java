package io.splice.backfill;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Writes small day-partitioned JSON-lines tables and the test join definition. */
public final class TestData {
    static final ObjectMapper JSON = new ObjectMapper();
    public static final long HOUR = 3_600_000L;
    public static final long DAY = 24 * HOUR;

    private TestData() {
    }

    public static final String JOINS = """
            joins:
              - name: payments
                version: v2
                row_ids: [request_id]
                keys: [card_id, merchant_id]
                bootstrap_from_log: true
                parts:
                  - name: card_txn
                    source: transactions
                    key: card_id
                    features:
                      - {name: txn_count_1h, type: long, agg: count, window: 1h}
                      - {name: txn_amount_24h, type: double, agg: sum, of: amount, window: 24h, where: "status = 'APPROVED'"}
                      - {name: max_amount_7d, type: double, agg: max, of: amount, window: 7d}
                      - {name: min_amount_24h, type: double, agg: min, of: amount, window: 24h}
                      - {name: avg_amount_24h, type: double, agg: avg, of: amount, window: 24h}
                      - {name: last_status_7d, type: string, agg: last, of: status, window: 7d}
                      - {name: merchants_24h, type: long, agg: count_distinct, of: merchant_id, window: 24h}
                  - name: merchant_txn
                    source: transactions
                    key: merchant_id
                    features:
                      - {name: merchant_txn_count, type: long, agg: count}
                      - {name: merchant_amount_sum_2d, type: long, agg: sum, of: cents, window: 2d, where: "status <> 'DECLINED'"}
                  - name: risk_ext
                    external: true
                    features:
                      - {name: risk_score, type: double}
            """;

    public static Path joins(Path dir) {
        try {
            Path p = dir.resolve("joins.yaml");
            Files.writeString(p, JOINS);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static long ms(LocalDate d) {
        return d.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    public static LocalDate day(long ms) {
        return Instant.ofEpochMilli(ms).atZone(ZoneOffset.UTC).toLocalDate();
    }

    public static Map<String, Object> event(String card, String merchant, double amount, String status, long ts) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("card_id", card);
        m.put("merchant_id", merchant);
        m.put("amount", amount);
        m.put("cents", Math.round(amount * 100));
        m.put("status", status);
        m.put("ts", ts);
        return m;
    }

    public static Map<String, Object> row(String requestId, String card, String merchant, long ts) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("request_id", requestId);
        m.put("card_id", card);
        m.put("merchant_id", merchant);
        m.put("ts", ts);
        return m;
    }

    /** Writes records into {@code root/ds=<UTC day of ts>/part-0.json}. */
    public static void writeByDay(Path root, List<Map<String, Object>> records) {
        Map<LocalDate, List<Map<String, Object>>> byDay = new TreeMap<>();
        for (Map<String, Object> r : records) {
            byDay.computeIfAbsent(day(((Number) r.get("ts")).longValue()), k -> new ArrayList<>()).add(r);
        }
        try {
            for (Map.Entry<LocalDate, List<Map<String, Object>>> e : byDay.entrySet()) {
                Path dir = root.resolve("ds=" + e.getKey());
                Files.createDirectories(dir);
                StringBuilder sb = new StringBuilder();
                for (Map<String, Object> r : e.getValue()) {
                    sb.append(JSON.writeValueAsString(r)).append('\n');
                }
                Files.writeString(dir.resolve("part-0.json"), sb.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
