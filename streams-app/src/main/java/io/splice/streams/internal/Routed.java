package io.splice.streams.internal;

import io.splice.core.merge.SourceKind;
import io.splice.core.merge.SourceRecord;

/**
 * What a source router emits: either one source record (or a tombstone: {@code record == null}) for a row of a
 * join, keyed by row key, with the key it was read with ({@code sourceKey}, null when it had none: a later dead
 * letter names the original key, DESIGN §4), or a dead letter.
 */
public record Routed(String joinId, SourceKind kind, String topic, String sourceKey, SourceRecord record, DeadLetter dead) {
    public static Routed of(String joinId, SourceKind kind, String topic, String sourceKey, SourceRecord record) {
        return new Routed(joinId, kind, topic, sourceKey, record, null);
    }

    public static Routed dead(DeadLetter dead) {
        return new Routed(null, null, null, null, null, dead);
    }

    public boolean isDead() {
        return dead != null;
    }
}
