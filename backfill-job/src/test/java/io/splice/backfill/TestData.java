package io.splice.backfill;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.splice.testing.Feature;
import io.splice.testing.Joins;

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

    /** payments/v2 keyed by card and merchant: every aggregation over two sources' keys, and an external part. */
    public static final String JOINS = Joins.payments("v2").keys("card_id", "merchant_id")
            .part("card_txn", "transactions", "card_id",
                    Joins.TXN_COUNT_1H,
                    Joins.TXN_AMOUNT_24H.where("status = 'APPROVED'"),
                    Feature.agg("max_amount_7d", "double", "max", "amount", "7d"),
                    Feature.agg("min_amount_24h", "double", "min", "amount", "24h"),
                    Feature.agg("avg_amount_24h", "double", "avg", "amount", "24h"),
                    Feature.agg("last_status_7d", "string", "last", "status", "7d"),
                    Feature.agg("merchants_24h", "long", "count_distinct", "merchant_id", "24h"))
            .part("merchant_txn", "transactions", "merchant_id",
                    Feature.agg("merchant_txn_count", "long", "count", null, null),
                    Feature.agg("merchant_amount_sum_2d", "long", "sum", "cents", "2d").where("status <> 'DECLINED'"))
            .external("risk_ext", Joins.RISK_SCORE)
            .yaml();

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
