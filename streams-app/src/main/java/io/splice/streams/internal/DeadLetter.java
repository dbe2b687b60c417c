package io.splice.streams.internal;

/** An input record that cannot be stitched: its original key and value bytes and why. */
public record DeadLetter(byte[] key, byte[] value, String error) {
}
