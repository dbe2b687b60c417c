package io.splice.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The card-transactions world of the demo, generated deterministically from a seed.
 *
 * <ul>
 *   <li><b>Transactions</b> (the backfill's source table {@code transactions}): card payments with an amount and a
 *       status (APPROVED / DECLINED), from the day before the first day on (the 24 h windows need history).</li>
 *   <li><b>Requests</b> (the join's rows): every payment of the demo days is scored first; the scoring request
 *       {@code req-NNNNNN} happens 40 ms before the payment is recorded, so a feature never sees its own payment.</li>
 *   <li><b>Fetch logs</b>: the feature server logs what it served from the second day on, except during the
 *       outage window (the last day, from 06:00 UTC for {@code outageHours}). About 4 % of the logs lack
 *       {@code txn_amount_24h} (a timed-out aggregation: the part is only partly covered), about 3 % logged
 *       {@code risk_score} as null (the vendor did not answer: a trusted null).</li>
 *   <li><b>Bootstrap table</b> (the risk vendor's dump, with fraud labels): risk scores for 90 % of the first day's
 *       requests and for all requests of the first six hours of the second day (re-scored: bootstrap outranks log).</li>
 *   <li><b>A planted skew</b>: from the last day on, the feature server serves {@code declined_count_24h} counted
 *       over the last 12 hours only (a bad deploy); the backfill computes the 24 hours the definition says. The
 *       app's {@code splice_consistency_*} counters and {@code splice consistency} find it (see
 *       {@link #expectedConsistency()}).</li>
 *   <li><b>Consistency sample</b>: the backfill's left rows also hold every tenth fully logged request (by request
 *       id), computed although the log covers them, so that served and computed values can be compared.</li>
 *   <li><b>Labels</b> ({@code is_fraud}), known for 95 % of the requests, up to three days after the request.</li>
 *   <li><b>Bad records</b> on the log topic, one of each kind the stitching app sends to the DLQ, and logs of a join
 *       no definition names (skipped and counted, not dead letters).</li>
 * </ul>
 *
 * <p>Feature values of the logs are computed exactly as the backfill computes them ({@code t - window <= ts < t}).
 * The world also predicts the source of every stitched value (see {@link #expectedSources()}).
 */
public final class World {
    public static final String JOIN = "payments";
    public static final String VERSION = "v1";
    public static final List<String> FEATURES = List.of("txn_count_1h", "txn_amount_24h", "declined_count_24h", "risk_score");
    public static final String OTHER_JOIN = "search_ranking";
    private static final long HOUR = Duration.ofHours(1).toMillis();
    private static final long DAY = Duration.ofDays(1).toMillis();
    private static final long SCORING_LEAD_MS = 40;

    /** One card payment (a row of the source table). */
    public record Txn(String txnId, String cardId, double amount, String status, String merchant, long ts) {
    }

    /** Why a request has or lacks a log. */
    public enum LogState { LOGGED, PARTIAL, UNLOGGED_DAY, OUTAGE }

    /** A scoring request: a row of the join. */
    public record Request(String requestId, String cardId, long ts, LogState logState, Map<String, Object> features,
                          boolean riskNull, Double bootstrapRisk, boolean fraud) {
        public LocalDate day() {
            return LocalDate.ofInstant(Instant.ofEpochMilli(ts), ZoneOffset.UTC);
        }

        public boolean backfilled() {
            return logState != LogState.LOGGED;
        }
    }

    /** A record on the log topic the stitching app must dead-letter: its reason and the log (null: raw bytes). */
    public record BadLog(String reason, String key, LogRecord log, byte[] raw) {
    }

    /** The content of a FetchLog, independent of Avro. */
    public record LogRecord(String join, String version, long ts, Map<String, String> keys, Map<String, String> context,
                            Map<String, Object> values) {
    }

    private final Settings settings;
    private final List<LocalDate> days;
    private final long outageStart;
    private final long outageEnd;
    private final List<Txn> transactions;
    private final List<Request> requests;
    private final List<BadLog> badLogs;
    private final List<LogRecord> otherJoinLogs;
    /** The served declined_count_24h of the requests the planted skew changed (request id -> value). */
    private final Map<String, Long> skewedDeclined = new HashMap<>();

    /** Generation settings: days (>= 2), cards, scoring requests per hour, outage hours, last day (exclusive), seed. */
    public record Settings(int days, int cards, double ratePerHour, int outageHours, LocalDate endExclusive, long seed) {
        public Settings {
            if (days < 2 || days > 60) {
                throw new IllegalArgumentException("--days must be between 2 and 60 (the first day is unlogged): " + days);
            }
            if (cards < 1) {
                throw new IllegalArgumentException("--cards must be at least 1: " + cards);
            }
            if (!(ratePerHour > 0) || ratePerHour > 100_000) {
                throw new IllegalArgumentException("--rate must be in (0, 100000] requests per hour: " + ratePerHour);
            }
            if (outageHours < 0 || outageHours > 18) {
                throw new IllegalArgumentException("--outage-hours must be between 0 and 18: " + outageHours);
            }
        }
    }

    private World(Settings settings) {
        this.settings = settings;
        LocalDate first = settings.endExclusive().minusDays(settings.days());
        List<LocalDate> d = new ArrayList<>();
        for (int i = 0; i < settings.days(); i++) {
            d.add(first.plusDays(i));
        }
        this.days = List.copyOf(d);
        LocalDate outageDay = days.get(days.size() - 1);
        this.outageStart = millis(outageDay) + 6 * HOUR;
        this.outageEnd = outageStart + settings.outageHours() * HOUR;
        Random rnd = new Random(settings.seed());

        // cards: a riskiness each, and a skewed popularity
        double[] cardRisk = new double[settings.cards()];
        for (int i = 0; i < cardRisk.length; i++) {
            cardRisk[i] = rnd.nextDouble() < 0.08 ? 0.5 + 0.5 * rnd.nextDouble() : 0.2 * rnd.nextDouble();
        }
        // payments: a Poisson process from the day before the first day
        List<Txn> txns = new ArrayList<>();
        List<Request> reqs = new ArrayList<>();
        long t = millis(first) - DAY;
        long end = millis(settings.endExclusive());
        double meanGapMs = HOUR / settings.ratePerHour();
        int txnSeq = 0;
        int reqSeq = 0;
        Map<String, List<Txn>> byCard = new HashMap<>();
        while (true) {
            t += Math.max(1, Math.round(-Math.log(1 - rnd.nextDouble()) * meanGapMs));
            if (t >= end) {
                break;
            }
            double u = rnd.nextDouble();
            int card = (int) Math.min(settings.cards() - 1, Math.floor(settings.cards() * u * u));
            String cardId = String.format("card-%04d", card);
            double amount = Math.round(Math.exp(3.2 + 1.1 * rnd.nextGaussian()) * 100) / 100.0;
            boolean declined = rnd.nextDouble() < 0.05 + 0.4 * cardRisk[card] + (amount > 400 ? 0.1 : 0);
            String merchant = MERCHANTS[rnd.nextInt(MERCHANTS.length)];
            Txn txn = new Txn(String.format("txn-%07d", ++txnSeq), cardId, amount, declined ? "DECLINED" : "APPROVED",
                    merchant, t);
            txns.add(txn);
            if (t - SCORING_LEAD_MS >= millis(first)) {
                long rt = t - SCORING_LEAD_MS;
                LocalDate day = LocalDate.ofInstant(Instant.ofEpochMilli(rt), ZoneOffset.UTC);
                LogState state;
                if (day.equals(first)) {
                    state = LogState.UNLOGGED_DAY;
                } else if (rt >= outageStart && rt < outageEnd) {
                    state = LogState.OUTAGE;
                } else if (rnd.nextDouble() < 0.04) {
                    state = LogState.PARTIAL;
                } else {
                    state = LogState.LOGGED;
                }
                boolean riskNull = (state == LogState.LOGGED || state == LogState.PARTIAL) && rnd.nextDouble() < 0.03;
                double risk = Math.round(Math.min(0.99, Math.max(0.01, 0.05 + 0.7 * cardRisk[card]
                        + (amount > 400 ? 0.1 : 0) + 0.08 * rnd.nextGaussian())) * 1000) / 1000.0;
                Double bootstrap = null;
                if (day.equals(first) && rnd.nextDouble() < 0.9) {
                    bootstrap = risk;
                } else if (day.equals(days.get(1)) && rt < millis(days.get(1)) + 6 * HOUR) {
                    bootstrap = Math.round(Math.min(0.99, risk * 1.1) * 1000) / 1000.0; // the vendor's corrected model
                }
                boolean fraud = rnd.nextDouble() < risk * 0.25;
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("risk_score", risk);
                reqs.add(new Request(String.format("req-%06d", ++reqSeq), cardId, rt, state, f, riskNull, bootstrap, fraud));
            }
            byCard.computeIfAbsent(cardId, k -> new ArrayList<>()).add(txn);
        }
        // every logged day needs at least one backfilled row (the left table has a partition per day)
        for (LocalDate day : days) {
            boolean any = reqs.stream().anyMatch(r -> r.day().equals(day) && r.backfilled());
            if (!any) {
                for (int i = 0; i < reqs.size(); i++) {
                    Request r = reqs.get(i);
                    if (r.day().equals(day)) {
                        reqs.set(i, new Request(r.requestId(), r.cardId(), r.ts(), LogState.PARTIAL, r.features(),
                                r.riskNull(), r.bootstrapRisk(), r.fraud()));
                        break;
                    }
                }
            }
        }
        // features, point in time: events with t - window <= ts < t
        for (Request r : reqs) {
            List<Txn> events = byCard.getOrDefault(r.cardId(), List.of());
            long count1h = 0;
            long declined24h = 0;
            double approved24h = 0;
            boolean anyApproved = false;
            for (Txn e : events) {
                if (e.ts() >= r.ts()) {
                    break;
                }
                if (e.ts() >= r.ts() - HOUR) {
                    count1h++;
                }
                if (e.ts() >= r.ts() - DAY) {
                    if (e.status().equals("DECLINED")) {
                        declined24h++;
                    } else {
                        approved24h += e.amount();
                        anyApproved = true;
                    }
                }
            }
            r.features().put("txn_count_1h", count1h);
            r.features().put("txn_amount_24h", anyApproved ? Math.round(approved24h * 100) / 100.0 : null);
            r.features().put("declined_count_24h", declined24h);
            if (!r.day().isBefore(days.get(days.size() - 1))) {
                long declined12h = 0;
                for (Txn e : events) {
                    if (e.ts() >= r.ts()) {
                        break;
                    }
                    if (e.ts() >= r.ts() - DAY / 2 && e.status().equals("DECLINED")) {
                        declined12h++;
                    }
                }
                skewedDeclined.put(r.requestId(), declined12h);
            }
        }
        this.transactions = List.copyOf(txns);
        this.requests = Collections.unmodifiableList(reqs);

        // bad records: one of each kind the app dead-letters, at logged times
        List<BadLog> bad = new ArrayList<>();
        long bt = millis(days.get(days.size() - 1)) + 3 * HOUR;
        Map<String, String> card0 = Map.of("card_id", "card-0000");
        bad.add(new BadLog("undecodable", "req-bad-1", null, "{\"not\": \"avro\"}".getBytes(StandardCharsets.UTF_8)));
        bad.add(new BadLog("missing-row-id", "req-bad-2", new LogRecord(JOIN, VERSION, bt, card0,
                Map.of("session_id", "s-42"), goodValues()), null));
        Map<String, Object> wrongType = goodValues();
        wrongType.put("txn_count_1h", "seven");
        bad.add(new BadLog("wrong-type", "req-bad-3", new LogRecord(JOIN, VERSION, bt, card0,
                Map.of("request_id", "req-bad-3"), wrongType), null));
        Map<String, Object> unknown = goodValues();
        unknown.put("device_score", 0.5);
        bad.add(new BadLog("unknown-feature", "req-bad-4", new LogRecord(JOIN, VERSION, bt, card0,
                Map.of("request_id", "req-bad-4"), unknown), null));
        this.badLogs = List.copyOf(bad);

        List<LogRecord> other = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            other.add(new LogRecord(OTHER_JOIN, "v3", bt + i, Map.of("user_id", "u-" + i),
                    Map.of("request_id", "search-" + i), new LinkedHashMap<>(Map.of("ctr_7d", 0.1 * i))));
        }
        this.otherJoinLogs = List.copyOf(other);
    }

    private static Map<String, Object> goodValues() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("txn_count_1h", 1L);
        v.put("txn_amount_24h", 10.0);
        v.put("declined_count_24h", 0L);
        v.put("risk_score", 0.1);
        return v;
    }

    private static final String[] MERCHANTS = {"grocery", "fuel", "travel", "electronics", "restaurants", "online"};

    public static World generate(Settings settings) {
        return new World(settings);
    }

    static long millis(LocalDate day) {
        return day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    public Settings settings() {
        return settings;
    }

    public List<LocalDate> days() {
        return days;
    }

    public LocalDate firstDay() {
        return days.get(0);
    }

    public LocalDate lastDay() {
        return days.get(days.size() - 1);
    }

    public Instant outageStart() {
        return Instant.ofEpochMilli(outageStart);
    }

    public Instant outageEnd() {
        return Instant.ofEpochMilli(outageEnd);
    }

    public List<Txn> transactions() {
        return transactions;
    }

    public List<Request> requests() {
        return requests;
    }

    public List<BadLog> badLogs() {
        return badLogs;
    }

    public List<LogRecord> otherJoinLogs() {
        return otherJoinLogs;
    }

    /** The logs the feature server wrote (LOGGED and PARTIAL requests), in time order. */
    public List<LogRecord> logs() {
        List<LogRecord> out = new ArrayList<>();
        for (Request r : requests) {
            if (r.logState() != LogState.LOGGED && r.logState() != LogState.PARTIAL) {
                continue;
            }
            Map<String, Object> v = new LinkedHashMap<>(r.features());
            if (r.logState() == LogState.PARTIAL) {
                v.remove("txn_amount_24h");
            }
            if (r.riskNull()) {
                v.put("risk_score", null);
            }
            if (skewedDeclined.containsKey(r.requestId())) {
                v.put("declined_count_24h", skewedDeclined.get(r.requestId()));
            }
            out.add(new LogRecord(JOIN, VERSION, r.ts(), Map.of("card_id", r.cardId()),
                    Map.of("request_id", r.requestId()), v));
        }
        return out;
    }

    /** The requests with a row in the vendor's dump. */
    public List<Request> bootstrapRows() {
        return requests.stream().filter(r -> r.bootstrapRisk() != null).toList();
    }

    /** The left rows of the backfill: every request that no log fully covers. */
    public List<Request> backfillRows() {
        return requests.stream().filter(Request::backfilled).toList();
    }

    /** The backfill's left rows: {@link #backfillRows()} and then {@link #consistencySampleRows()}. */
    public List<Request> leftRows() {
        List<Request> rows = new ArrayList<>(backfillRows());
        rows.addAll(consistencySampleRows());
        return rows;
    }

    /** Fully logged requests the backfill computes all the same (every tenth by request id), for consistency. */
    public List<Request> consistencySampleRows() {
        return requests.stream().filter(r -> r.logState() == LogState.LOGGED && inConsistencySample(r)).toList();
    }

    private static boolean inConsistencySample(Request r) {
        return Math.floorMod(r.requestId().hashCode(), 10) == 0;
    }

    /**
     * What the app's consistency counters must show, per feature: {compared, mismatched}. A feature is compared where
     * a log holds it and the backfill computed the row (the partial logs and the sample); only the planted skew
     * disagrees. risk_score is external: never compared.
     */
    public Map<String, long[]> expectedConsistency() {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String f : List.of("txn_count_1h", "txn_amount_24h", "declined_count_24h")) {
            out.put(f, new long[2]);
        }
        for (Request r : requests) {
            boolean computed = r.logState() == LogState.PARTIAL || (r.logState() == LogState.LOGGED && inConsistencySample(r));
            if (!computed) {
                continue;
            }
            for (String f : out.keySet()) {
                if (r.logState() == LogState.PARTIAL && f.equals("txn_amount_24h")) {
                    continue; // the partial log lacks it
                }
                out.get(f)[0]++;
                if (f.equals("declined_count_24h") && skewedDeclined.containsKey(r.requestId())
                        && !skewedDeclined.get(r.requestId()).equals(r.features().get(f))) {
                    out.get(f)[1]++;
                }
            }
        }
        return out;
    }

    /**
     * The source kind (bootstrap / log / backfill / missing) the merge rules give each value, per day, predicted
     * from how the world was generated.
     */
    public Map<LocalDate, Map<String, Long>> expectedSources() {
        Map<LocalDate, Map<String, Long>> out = new TreeMap<>();
        for (Request r : requests) {
            Map<String, Long> m = out.computeIfAbsent(r.day(), k -> Coverage.emptyKinds());
            for (String f : FEATURES) {
                m.merge(expectedSource(r, f), 1L, Long::sum);
            }
        }
        return out;
    }

    /** The predicted source kind of one value. */
    public static String expectedSource(Request r, String feature) {
        if (feature.equals("risk_score")) {
            if (r.bootstrapRisk() != null) {
                return "bootstrap";
            }
            return r.logState() == LogState.LOGGED || r.logState() == LogState.PARTIAL ? "log" : "missing";
        }
        return switch (r.logState()) {
            case LOGGED -> "log";
            case PARTIAL -> feature.equals("txn_amount_24h") ? "backfill" : "log";
            case UNLOGGED_DAY, OUTAGE -> "backfill";
        };
    }

    /** Distinct cards with at least one request (= the online records expected). */
    public long cardsWithRequests() {
        return requests.stream().map(Request::cardId).distinct().count();
    }

    // ---- files for the backfill (JSON lines partitioned by ds=) ----

    /** Writes {@code transactions/ds=…/part-00000.jsonl} under {@code dir}; returns the table's root. */
    public Path writeTransactions(Path dir) {
        Path root = dir.resolve("transactions");
        Map<LocalDate, List<Map<String, Object>>> byDay = new TreeMap<>();
        for (Txn t : transactions) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("txn_id", t.txnId());
            m.put("card_id", t.cardId());
            m.put("amount", t.amount());
            m.put("status", t.status());
            m.put("merchant", t.merchant());
            m.put("ts", t.ts());
            byDay.computeIfAbsent(LocalDate.ofInstant(Instant.ofEpochMilli(t.ts()), ZoneOffset.UTC), k -> new ArrayList<>()).add(m);
        }
        writePartitioned(root, byDay);
        return root;
    }

    /**
     * Writes the backfill's left rows ({@code request_id, card_id, ts}: {@link #leftRows()}) partitioned by day;
     * returns the root.
     */
    public Path writeLeftRows(Path dir) {
        Path root = dir.resolve(JOIN + "_rows");
        Map<LocalDate, List<Map<String, Object>>> byDay = new TreeMap<>();
        for (Request r : leftRows()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("request_id", r.requestId());
            m.put("card_id", r.cardId());
            m.put("ts", r.ts());
            byDay.computeIfAbsent(r.day(), k -> new ArrayList<>()).add(m);
        }
        writePartitioned(root, byDay);
        return root;
    }

    /** The requests with a label (95 %: the rest are still under investigation). */
    public List<Request> labelledRequests() {
        return requests.stream().filter(r -> Math.floorMod((r.requestId() + "#label").hashCode(), 20) != 0).toList();
    }

    /**
     * Writes the labels table ({@code request_id, ts, is_fraud}) as JSON lines partitioned by the day the label was
     * known (1 to 72 hours after the request: labels arrive late); returns its root.
     */
    public Path writeLabels(Path dir) {
        Path root = dir.resolve("labels");
        Map<LocalDate, List<Map<String, Object>>> byDay = new TreeMap<>();
        for (Request r : labelledRequests()) {
            long known = r.ts() + (1 + Math.floorMod(r.requestId().hashCode(), 72)) * HOUR;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("request_id", r.requestId());
            m.put("ts", known);
            m.put("is_fraud", r.fraud());
            byDay.computeIfAbsent(LocalDate.ofInstant(Instant.ofEpochMilli(known), ZoneOffset.UTC), k -> new ArrayList<>()).add(m);
        }
        writePartitioned(root, byDay);
        return root;
    }

    /** Writes the vendor's dump (request_id, card_id, ts, risk_score, is_fraud) as one JSON lines file. */
    public Path writeBootstrapTable(Path dir) {
        Path file = dir.resolve("risk_vendor_dump.jsonl");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Request r : bootstrapRows()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("request_id", r.requestId());
            m.put("card_id", r.cardId());
            m.put("ts", r.ts());
            m.put("risk_score", r.bootstrapRisk());
            m.put("is_fraud", r.fraud());
            rows.add(m);
        }
        writeLines(file, rows);
        return file;
    }

    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private static void writePartitioned(Path root, Map<LocalDate, List<Map<String, Object>>> byDay) {
        for (Map.Entry<LocalDate, List<Map<String, Object>>> e : byDay.entrySet()) {
            writeLines(root.resolve("ds=" + e.getKey()).resolve("part-00000.jsonl"), e.getValue());
        }
    }

    private static void writeLines(Path file, List<Map<String, Object>> rows) {
        try {
            Files.createDirectories(file.getParent());
            try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (Map<String, Object> row : rows) {
                    w.write(JSON.writeValueAsString(row));
                    w.write('\n');
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
