package io.splice.core.definitions;

import io.splice.core.api.BootstrapPart;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.PartDefinition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a change of {@code joins.yaml} means for a running deployment, per join and part, and whether a rolling
 * restart applies it safely. Every internal topic and store of a join is named by its id ({@code name.version}), so
 * adding, removing or changing one join never renames another's; what cannot be applied in place is a change of an
 * existing join's row ids (its state and stitched output are keyed by the old row keys).
 */
public final class DefinitionsDiff {
    /** A part's fate. */
    public enum PartChange {
        UNCHANGED("unchanged"),
        NEW("new (backfill it: rows stitched so far have it missing until their next input)"),
        CHANGED("changed hash (needs backfill: existing rows keep the old values until re-stitched)"),
        REMOVED("removed (its features leave the output at each row's next revision)");

        public final String text;

        PartChange(String text) {
            this.text = text;
        }
    }

    /** A join's fate: its parts, other changes, and the problems that make a rolling restart unsafe. */
    public record JoinChange(String id, String status, Map<String, PartChange> parts, List<String> notes, List<String> unsafe) {
        public boolean safe() {
            return unsafe.isEmpty();
        }
    }

    private final List<JoinChange> joins;

    private DefinitionsDiff(List<JoinChange> joins) {
        this.joins = joins;
    }

    public List<JoinChange> joins() {
        return joins;
    }

    /** Whether a rolling restart from the old definitions to the new keeps every existing join's state and output. */
    public boolean safe() {
        return joins.stream().allMatch(JoinChange::safe);
    }

    /** Every reason the change is unsafe, one line each, naming the join. */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        joins.forEach(j -> j.unsafe().forEach(u -> out.add(j.id() + ": " + u)));
        return out;
    }

    public static DefinitionsDiff between(Definitions from, Definitions to) {
        Map<String, JoinDefinition> old = byId(from);
        Map<String, JoinDefinition> now = byId(to);
        Set<String> ids = new LinkedHashSet<>(old.keySet());
        ids.addAll(now.keySet());
        List<JoinChange> out = new ArrayList<>();
        for (String id : ids) {
            JoinDefinition a = old.get(id);
            JoinDefinition b = now.get(id);
            if (a == null) {
                Map<String, PartChange> parts = new LinkedHashMap<>();
                b.parts().forEach(p -> parts.put(p.name(), PartChange.NEW));
                out.add(new JoinChange(id, "new: starts from its inputs' beginning; backfill it for past rows", parts,
                        List.of(), List.of()));
            } else if (b == null) {
                Map<String, PartChange> parts = new LinkedHashMap<>();
                a.parts().forEach(p -> parts.put(p.name(), PartChange.REMOVED));
                out.add(new JoinChange(id, "removed: no longer stitched; its topics, state changelog and output stay until "
                        + "you delete them", parts, List.of(), List.of()));
            } else {
                out.add(compare(id, a, b));
            }
        }
        return new DefinitionsDiff(out);
    }

    private static JoinChange compare(String id, JoinDefinition a, JoinDefinition b) {
        Map<String, String> oldHashes = SemanticHasher.hashes(a);
        Map<String, String> newHashes = SemanticHasher.hashes(b);
        Map<String, PartChange> parts = new LinkedHashMap<>();
        for (PartDefinition p : b.parts()) {
            String h = oldHashes.get(p.name());
            parts.put(p.name(), h == null ? PartChange.NEW : h.equals(newHashes.get(p.name())) ? PartChange.UNCHANGED : PartChange.CHANGED);
        }
        for (PartDefinition p : a.parts()) {
            parts.putIfAbsent(p.name(), PartChange.REMOVED);
        }
        List<String> notes = new ArrayList<>();
        List<String> unsafe = new ArrayList<>();
        if (!a.rowIds().equals(b.rowIds())) {
            unsafe.add("row_ids changed from " + a.rowIds() + " to " + b.rowIds() + ": the join's state and stitched output "
                    + "are keyed by the old row keys. Add the change as a new version (e.g. " + b.name() + " v"
                    + "<next>) next to this one, or reset the app to rebuild everything");
        }
        if (!a.keys().equals(b.keys())) {
            notes.add("keys changed from " + a.keys() + " to " + b.keys() + " (applied as rows are re-stitched)");
        }
        if (a.bootstrapFromLog() != b.bootstrapFromLog()) {
            notes.add("bootstrap_from_log " + a.bootstrapFromLog() + " -> " + b.bootstrapFromLog()
                    + " (applied as rows are re-stitched; replay or backfill to apply it to every row)");
        }
        List<String> oldTopics = a.bootstrapParts().stream().map(BootstrapPart::topic).toList();
        List<String> newTopics = b.bootstrapParts().stream().map(BootstrapPart::topic).toList();
        if (!a.bootstrapParts().equals(b.bootstrapParts())) {
            notes.add("bootstrap parts " + oldTopics + " -> " + newTopics + " (a new topic is read from its beginning)");
        }
        if (!Objects.equals(a.stateRetentionDays(), b.stateRetentionDays())) {
            notes.add("state_retention_days " + a.stateRetentionDays() + " -> " + b.stateRetentionDays());
        }
        boolean same = notes.isEmpty() && unsafe.isEmpty() && parts.values().stream().allMatch(c -> c == PartChange.UNCHANGED);
        return new JoinChange(id, same ? "unchanged" : "changed", parts, notes, unsafe);
    }

    private static Map<String, JoinDefinition> byId(Definitions d) {
        Map<String, JoinDefinition> m = new LinkedHashMap<>();
        d.joins().forEach(j -> m.put(j.id(), j));
        return m;
    }

    /** The diff as the CLI prints it: a block per join, then the verdict. */
    public String render() {
        StringBuilder b = new StringBuilder();
        for (JoinChange j : joins) {
            b.append(j.id()).append(": ").append(j.status()).append('\n');
            j.parts().forEach((part, c) -> b.append("  part ").append(part).append(": ").append(c.text).append('\n'));
            j.notes().forEach(n -> b.append("  ").append(n).append('\n'));
            j.unsafe().forEach(u -> b.append("  UNSAFE: ").append(u).append('\n'));
        }
        b.append(safe() ? "rolling restart: safe (every existing join keeps its state and output)"
                : "rolling restart: NOT safe (" + problems().size() + " problem" + (problems().size() == 1 ? "" : "s") + " above)");
        return b.append('\n').toString();
    }
}
