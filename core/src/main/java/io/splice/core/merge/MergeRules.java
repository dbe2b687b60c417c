package io.splice.core.merge;

import io.splice.core.api.BootstrapPart;
import io.splice.core.api.FeatureDefinition;
import io.splice.core.api.PartDefinition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The merge rules of DESIGN §5 as pure functions over one row's source state. Priority: bootstrap parts in list
 * order, then the log (when {@code bootstrap_from_log}), then the backfill, which only fills parts that the
 * higher sources do not cover.
 */
public final class MergeRules {
    private MergeRules() {
    }

    /** A source that can supply values for a part, with the label {@code sources} will name. */
    private record Candidate(String label, SourceRecord record) {
    }

    /**
     * Rule 1: a record counts for a part when it carries the part's current hash. A record with no hashes at all
     * (a plain table) counts for every part, unless {@code hashesRequired} (the log always carries hashes).
     */
    public static boolean validFor(SourceRecord r, String currentHash, String partName, boolean hashesRequired) {
        return r != null && validFor(r.partHashes(), currentHash, partName, hashesRequired);
    }

    /** Rule 1 on a record's {@code part_hashes} alone (null: a plain table). */
    public static boolean validFor(Map<String, String> partHashes, String currentHash, String partName, boolean hashesRequired) {
        if (partHashes == null) {
            return !hashesRequired;
        }
        return currentHash.equals(partHashes.get(partName));
    }

    /**
     * Merges the row's sources; returns null when the row does not exist for the join (rule 5: neither a log nor a
     * backfill record).
     */
    public static MergedRow merge(JoinPlan plan, RowState s) {
        SourceRecord base = s.log() != null ? s.log() : s.backfill();
        if (base == null) {
            return null;
        }
        // Rule 6: a windowed bootstrap part only counts for rows whose ts falls in its UTC days.
        List<Candidate> bootstraps = new ArrayList<>();
        for (BootstrapPart bp : plan.bootstrapParts()) {
            SourceRecord r = s.bootstraps().get(bp.topic());
            if (r != null && bp.appliesTo(base.ts())) {
                bootstraps.add(new Candidate(SourceLabel.bootstrap(bp.topic()), r));
            }
        }
        SourceRecord log = plan.join().bootstrapFromLog() ? s.log() : null;
        int capacity = plan.featureNames().size() * 4 / 3 + 1; // no rehash while the row fills
        Map<String, Object> values = new LinkedHashMap<>(capacity);
        Map<String, String> sources = new LinkedHashMap<>(capacity);
        for (PartDefinition part : plan.join().parts()) {
            String hash = plan.hash(part);
            List<Candidate> candidates = new ArrayList<>(bootstraps.size() + 2);
            for (Candidate c : bootstraps) {
                if (validFor(c.record(), hash, part.name(), false)) {
                    candidates.add(c);
                }
            }
            if (validFor(log, hash, part.name(), true)) {
                candidates.add(new Candidate(SourceLabel.LOG, log));
            }
            // Rules 2-3: the backfill fills a part only when bootstrap and log do not jointly cover it; never external.
            if (!part.external() && !covered(part, candidates) && validFor(s.backfill(), hash, part.name(), false)) {
                candidates.add(new Candidate(SourceLabel.BACKFILL, s.backfill()));
            }
            for (FeatureDefinition f : part.features()) {
                pick(f.name(), candidates, values, sources);
            }
        }
        return new MergedRow(base.ts(), base.keys(), values, sources);
    }

    /** Rule 2 ({@link PartCoverage}) over the candidates' values. */
    static boolean covered(PartDefinition part, List<Candidate> candidates) {
        List<Map<String, Object>> values = new ArrayList<>(candidates.size());
        for (Candidate c : candidates) {
            values.add(c.record().values());
        }
        return PartCoverage.covered(part, values);
    }

    /** Rules 3-4: the first non-null value in priority order; else the highest source holding a null; else missing. */
    private static void pick(String feature, List<Candidate> candidates, Map<String, Object> values, Map<String, String> sources) {
        String firstHolder = null;
        for (Candidate c : candidates) {
            Map<String, Object> v = c.record().values();
            Object value = v.get(feature); // one lookup; containsKey only to tell a held null from an absent feature
            if (value != null) {
                values.put(feature, value);
                sources.put(feature, c.label());
                return;
            }
            if (firstHolder == null && v.containsKey(feature)) {
                firstHolder = c.label();
            }
        }
        values.put(feature, null);
        sources.put(feature, firstHolder != null ? firstHolder : SourceLabel.MISSING);
    }

    /**
     * Applies one input to the row (rules 7-9): a backfill or bootstrap record replaces that source's previous
     * record, a null removes it; a log record replaces the row's log unless that log is newer; then the row is
     * re-merged and the emission decided.
     */
    public static Emission apply(JoinPlan plan, RowState state, SourceKind kind, String topic, SourceRecord record) {
        switch (kind) {
            case LOG -> {
                if (!logWins(record, state.log())) {
                    return Emission.UNCHANGED;
                }
                state.log(record);
            }
            case BACKFILL -> state.backfill(record);
            case BOOTSTRAP -> state.bootstrap(topic, record);
            default -> throw new IllegalArgumentException(String.valueOf(kind));
        }
        return emission(plan, state);
    }

    /**
     * Rule 9: of two logs of a row, the greater {@code ts} wins, equal {@code ts} the later arrival; so a late replay
     * of an older log never replaces a newer one, whichever log topic is read first.
     */
    public static boolean logWins(SourceRecord arriving, SourceRecord held) {
        return held == null || arriving == null || arriving.ts() >= held.ts();
    }

    /** Re-merges the row and decides what to emit, updating the emitted state. */
    public static Emission emission(JoinPlan plan, RowState state) {
        MergedRow merged = merge(plan, state);
        if (merged == null) {
            if (state.live()) {
                state.deleted();
                return Emission.TOMBSTONE;
            }
            return Emission.UNCHANGED;
        }
        if (merged.sameOutput(state.lastEmitted())) {
            return Emission.UNCHANGED;
        }
        state.emitted(merged);
        return new Emission.Upsert(merged, state.revision());
    }
}
