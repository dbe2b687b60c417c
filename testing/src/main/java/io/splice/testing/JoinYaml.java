package io.splice.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes a join definition as the YAML that {@code DefinitionsLoader} reads, so that a test states only what its join
 * is made of. Fields are written in the usual order (name, version, row_ids, keys, bootstrap_from_log,
 * state_retention_days, parts, bootstrap_parts, online, offline); what was never set is left out, so the loader's
 * defaults apply. {@link Joins} names the joins most tests share. For example
 * <pre>{@code
 * JoinYaml.join("payments", "v1").rowIds("request_id").keys("card_id").bootstrapFromLog(true)
 *         .part("card_txn", "transactions", "card_id", Feature.count("cnt", "1h"), Feature.sum("amt", "amount", "24h"))
 *         .external("risk_ext", Feature.of("risk", "double"))
 *         .bootstrap("splice.bootstrap.high")
 *         .yaml();
 * }</pre>
 * A builder is mutable: each call adds to it and returns it.
 */
public final class JoinYaml {
    private final String name;
    private final String version;
    private List<String> rowIds;
    private List<String> keys;
    private Boolean bootstrapFromLog;
    private Integer stateRetentionDays;
    private final List<Part> parts = new ArrayList<>();
    private final List<String> bootstraps = new ArrayList<>();
    private String online;
    private String offline;

    private JoinYaml(String name, String version) {
        this.name = name;
        this.version = version;
    }

    /** A join {@code name}/{@code version} with nothing else yet. */
    public static JoinYaml join(String name, String version) {
        return new JoinYaml(name, version);
    }

    /** A definitions file of several joins, in this order. */
    public static String yaml(JoinYaml... joins) {
        StringBuilder b = new StringBuilder("joins:\n");
        for (JoinYaml j : joins) {
            j.appendTo(b);
        }
        return b.toString();
    }

    public JoinYaml rowIds(String... fields) {
        rowIds = List.of(fields);
        return this;
    }

    public JoinYaml keys(String... fields) {
        keys = List.of(fields);
        return this;
    }

    public JoinYaml bootstrapFromLog(boolean fromLog) {
        bootstrapFromLog = fromLog;
        return this;
    }

    public JoinYaml stateRetentionDays(int days) {
        stateRetentionDays = days;
        return this;
    }

    /** Adds a part aggregated from {@code source} by {@code key}. */
    public JoinYaml part(String partName, String source, String key, Feature... features) {
        return parts(Part.of(partName, source, key, features));
    }

    /** Adds an external part. */
    public JoinYaml external(String partName, Feature... features) {
        return parts(Part.external(partName, features));
    }

    /** Adds parts, in this order. */
    public JoinYaml parts(Part... more) {
        parts.addAll(List.of(more));
        return this;
    }

    /** Adds a bootstrap table, below the ones added before (lower priority). */
    public JoinYaml bootstrap(String topic) {
        bootstraps.add("      - topic: " + topic + "\n");
        return this;
    }

    /** Adds a bootstrap table that counts only for rows of the days {@code startDate} to {@code endDate} (inclusive). */
    public JoinYaml bootstrap(String topic, String startDate, String endDate) {
        bootstraps.add("      - topic: " + topic + "\n        start_date: " + startDate + "\n        end_date: " + endDate + "\n");
        return this;
    }

    public JoinYaml online(String featureGroup, String recordIdentifier) {
        online = "{feature_group: " + featureGroup + ", record_identifier: " + recordIdentifier + "}";
        return this;
    }

    public JoinYaml offline(String s3Prefix) {
        offline = "{s3_prefix: " + s3Prefix + "}";
        return this;
    }

    /** A definitions file of this one join. */
    public String yaml() {
        return yaml(this);
    }

    @Override
    public String toString() {
        return yaml();
    }

    private void appendTo(StringBuilder b) {
        b.append("  - name: ").append(name).append('\n');
        b.append("    version: ").append(version).append('\n');
        if (rowIds != null) {
            b.append("    row_ids: [").append(String.join(", ", rowIds)).append("]\n");
        }
        if (keys != null) {
            b.append("    keys: [").append(String.join(", ", keys)).append("]\n");
        }
        if (bootstrapFromLog != null) {
            b.append("    bootstrap_from_log: ").append(bootstrapFromLog).append('\n');
        }
        if (stateRetentionDays != null) {
            b.append("    state_retention_days: ").append(stateRetentionDays).append('\n');
        }
        b.append("    parts:\n");
        parts.forEach(p -> p.appendTo(b));
        if (!bootstraps.isEmpty()) {
            b.append("    bootstrap_parts:\n");
            bootstraps.forEach(b::append);
        }
        if (online != null) {
            b.append("    online: ").append(online).append('\n');
        }
        if (offline != null) {
            b.append("    offline: ").append(offline).append('\n');
        }
    }
}
