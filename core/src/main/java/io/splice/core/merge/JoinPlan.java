package io.splice.core.merge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.splice.core.api.BootstrapPart;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.FeatureType;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.PartDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.SemanticHasher;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A join definition prepared for merging: current part hashes, feature lookups and row-key derivation. */
public final class JoinPlan {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JoinDefinition join;
    private final String id;
    private final Map<String, String> partHashes;
    private final Map<String, FeatureType> featureTypes = new LinkedHashMap<>();
    private final Map<String, String> featureParts = new LinkedHashMap<>();
    private final List<String> featureNames;

    private JoinPlan(JoinDefinition join) {
        this.join = join;
        this.id = join.id();
        this.partHashes = Collections.unmodifiableMap(SemanticHasher.hashes(join));
        List<String> names = new ArrayList<>();
        for (PartDefinition p : join.parts()) {
            for (FeatureDefinition f : p.features()) {
                featureTypes.put(f.name(), f.type());
                featureParts.put(f.name(), p.name());
                names.add(f.name());
            }
        }
        this.featureNames = List.copyOf(names);
    }

    public static JoinPlan of(JoinDefinition join) {
        return new JoinPlan(join);
    }

    public JoinDefinition join() {
        return join;
    }

    public String id() {
        return id;
    }

    /** The join's current semantic hash per part. */
    public Map<String, String> partHashes() {
        return partHashes;
    }

    public String hash(PartDefinition part) {
        return partHashes.get(part.name());
    }

    /** Declared type of a feature, or null when the join does not define it. */
    public FeatureType featureType(String feature) {
        return featureTypes.get(feature);
    }

    /**
     * The join's plan as the app applies it, for the log at start (Chronon's BootstrapInfo, in one place): parts
     * with their current hashes, the sources in priority order (DESIGN §5) with their topics, and the output.
     */
    public String describe(Topics topics, int partitions) {
        StringBuilder b = new StringBuilder("join ").append(id).append(" (row ids ").append(join.rowIds())
                .append(", keys ").append(join.keys()).append(", ").append(partitions).append(" partitions)\n  parts:");
        for (PartDefinition p : join.parts()) {
            b.append("\n    ").append(p.name()).append(p.external() ? " (external)" : "").append(" ")
                    .append(partHashes.get(p.name())).append(": ").append(p.featureNames());
        }
        b.append("\n  sources in priority order:");
        int rank = 1;
        for (BootstrapPart bp : join.bootstrapParts()) {
            b.append("\n    ").append(rank++).append(". ").append(SourceLabel.bootstrap(bp.topic()));
            if (bp.startDate() != null || bp.endDate() != null) {
                b.append(" (rows of ").append(bp.startDate() == null ? "…" : bp.startDate()).append(" to ")
                        .append(bp.endDate() == null ? "…" : bp.endDate()).append(")");
            }
        }
        if (join.bootstrapFromLog()) {
            b.append("\n    ").append(rank++).append(". log: ").append(topics.fetchLog()).append(", ").append(topics.fetchLogReplay());
        } else {
            b.append("\n    (logs create rows and set ts/keys, but are not a source of values: bootstrap_from_log is false)");
        }
        b.append("\n    ").append(rank).append(". backfill: ").append(topics.backfill(join)).append(" (fills parts not covered above)");
        b.append("\n  output: ").append(topics.stitched(join));
        if (join.stateRetentionDays() != null) {
            b.append("\n  state retention: ").append(join.stateRetentionDays()).append(" days");
        }
        return b.toString();
    }

    /** The part a feature belongs to, or null when the join does not define it. */
    public String partOf(String feature) {
        return featureParts.get(feature);
    }

    /** Every feature of the join, in definition order. */
    public List<String> featureNames() {
        return featureNames;
    }

    public List<BootstrapPart> bootstrapParts() {
        return join.bootstrapParts();
    }

    /**
     * The row key from the {@code row_ids} fields, looked up in the log's context, then its keys: the value itself
     * for one field, the JSON array of the values in declared order for several.
     *
     * @throws BadRecordException naming the missing fields
     */
    public String rowKey(Map<String, String> context, Map<String, String> keys) {
        List<String> values = new ArrayList<>(join.rowIds().size());
        List<String> missing = new ArrayList<>();
        for (String id : join.rowIds()) {
            String v = context == null ? null : context.get(id);
            if (v == null || v.isEmpty()) {
                v = keys == null ? null : keys.get(id);
            }
            if (v == null || v.isEmpty()) {
                missing.add(id);
            }
            values.add(v);
        }
        if (!missing.isEmpty()) {
            throw new BadRecordException(BadRecordException.MISSING_ROW_ID, "log of " + id() + " lacks row id field"
                    + (missing.size() == 1 ? " '" + missing.get(0) + "'" : "s " + missing) + " in context and keys");
        }
        if (values.size() == 1) {
            return values.get(0);
        }
        ArrayNode arr = JSON.createArrayNode();
        values.forEach(arr::add);
        return arr.toString();
    }
}
