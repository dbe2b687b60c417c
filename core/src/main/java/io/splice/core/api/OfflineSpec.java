package io.splice.core.api;

/** Where the offline store keeps the join's revisions, e.g. {@code s3://bucket/features}. */
public record OfflineSpec(String s3Prefix) {
}
