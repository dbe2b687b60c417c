package io.splice.streams.internal;

import io.splice.avro.StitchedRecord;

/** What the stitcher emits for a row: a revision, a tombstone ({@code record == null}), or a dead letter. */
record StitchOutput(StitchedRecord record, DeadLetter dead) {
    boolean isDead() {
        return dead != null;
    }
}
