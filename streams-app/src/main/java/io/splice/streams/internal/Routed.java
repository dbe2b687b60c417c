package io.splice.streams.internal;

import io.splice.core.merge.SourceKind;
import io.splice.core.merge.SourceRecord;

/**
 * What a source router emits: either one source record (or a tombstone: {@code record == null}) for a row of a
 * join, keyed by row key, with the key it was read with ({@code sourceKey}, null when it had none: a later dead
 * letter names the original key, DESIGN §4), or a dead letter. {@code misplaced}: the record was read from a
 * partition other than its row key's, so it must be re-routed to its row's task first (never serialized: after the
 * re-route it is in place).
 */
public record Routed(String joinId, SourceKind kind, String topic, String sourceKey, SourceRecord record, DeadLetter dead,
                     boolean misplaced) {
    public static Routed of(String joinId, SourceKind kind, String topic, String sourceKey, SourceRecord record) {
        return new Routed(joinId, kind, topic, sourceKey, record, null, false);
    }

    public static Routed dead(DeadLetter dead) {
        return new Routed(null, null, null, null, null, dead, false);
    }

    public boolean isDead() {
        return dead != null;
    }

    Routed asMisplaced() {
        return new Routed(joinId, kind, topic, sourceKey, record, dead, true);
    }
}
