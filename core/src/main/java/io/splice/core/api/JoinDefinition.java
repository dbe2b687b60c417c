package io.splice.core.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A model's feature set at one version, as written in {@code joins.yaml} (DESIGN §3). */
public record JoinDefinition(
        String name,
        String version,
        List<String> rowIds,
        List<String> keys,
        boolean bootstrapFromLog,
        List<PartDefinition> parts,
        List<BootstrapPart> bootstrapParts,
        OnlineSpec online,
        OfflineSpec offline,
        Integer stateRetentionDays) {

    /** {@code name.version}, as used in topic names and in {@code definitions hash}. */
    public String id() {
        return name + "." + version;
    }

    /** {@code name_version}, the feature group and offline folder name. */
    public String featureGroupName() {
        return online != null && online.featureGroup() != null ? online.featureGroup() : name + "_" + version;
    }

    public String recordIdentifier() {
        return online != null && online.recordIdentifier() != null ? online.recordIdentifier() : keys.get(0);
    }

    public List<FeatureDefinition> features() {
        List<FeatureDefinition> all = new ArrayList<>();
        parts.forEach(p -> all.addAll(p.features()));
        return all;
    }

    public Optional<PartDefinition> part(String partName) {
        return parts.stream().filter(p -> p.name().equals(partName)).findFirst();
    }
}
