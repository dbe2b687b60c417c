package io.splice.testing;

/**
 * The joins and parts the tests share, as {@link JoinYaml} builders (a new one at each call, to add to). The short
 * feature names ({@code cnt}, {@code amt}, {@code risk}) are those of the topology and merge tests; the long ones
 * ({@code txn_count_1h}, {@code txn_amount_24h}, {@code risk_score}) those of examples/joins.yaml.
 */
public final class Joins {
    /** {@code cnt}: the count of transactions in the last hour. */
    public static final Feature CNT = Feature.count("cnt", "1h");
    /** {@code amt}: the sum of their amounts in the last 24 hours. */
    public static final Feature AMT = Feature.sum("amt", "amount", "24h");
    /** {@code risk}: a score computed outside Splice and logged. */
    public static final Feature RISK = Feature.of("risk", "double");
    /** card_txn: {@link #CNT} and {@link #AMT} from {@code transactions} by {@code card_id}. */
    public static final Part CARD_TXN = Part.of("card_txn", "transactions", "card_id", CNT, AMT);
    /** risk_ext: the external {@link #RISK}. */
    public static final Part RISK_EXT = Part.external("risk_ext", RISK);

    /** {@code txn_count_1h}: examples/joins.yaml's count of transactions in the last hour. */
    public static final Feature TXN_COUNT_1H = Feature.count("txn_count_1h", "1h");
    /** {@code txn_amount_24h}: examples/joins.yaml's sum of amounts in the last 24 hours (without its where). */
    public static final Feature TXN_AMOUNT_24H = Feature.sum("txn_amount_24h", "amount", "24h");
    /** {@code risk_score}: examples/joins.yaml's external score. */
    public static final Feature RISK_SCORE = Feature.of("risk_score", "double");

    private Joins() {
    }

    /**
     * payments/{@code version}: one row per {@code request_id}, keyed by {@code card_id}, its logs a source of values
     * ({@code bootstrap_from_log: true}); no parts yet.
     */
    public static JoinYaml payments(String version) {
        return JoinYaml.join("payments", version).rowIds("request_id").keys("card_id").bootstrapFromLog(true);
    }

    /** {@link #payments} with {@link #CARD_TXN} and {@link #RISK_EXT}: the join most tests stitch. */
    public static JoinYaml paymentsCardAndRisk(String version) {
        return payments(version).parts(CARD_TXN, RISK_EXT);
    }

    /** cards/v1: one row per {@code card_id}, with the external part card_profile ({@code limit_usd}, long). */
    public static JoinYaml cards() {
        return JoinYaml.join("cards", "v1").rowIds("card_id").keys("card_id")
                .external("card_profile", Feature.of("limit_usd", "long"));
    }
}
