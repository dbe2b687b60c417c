package io.splice.core.api;

/** Where the online store keeps the join: the SageMaker feature group and the key used as its record identifier. */
public record OnlineSpec(String featureGroup, String recordIdentifier) {
}
