package io.splice.connectors.featurestore;

import io.splice.connectors.common.SpliceSinkConnector;

/**
 * Writes {@code splice.stitched.<name>.<version>} topics to the SageMaker Feature Store online store:
 * PutRecord per revision (DeleteRecord per tombstone) into the join's feature group, many requests in flight,
 * order kept per record identifier, retries with backoff, refused records to the dead-letter queue.
 */
public class FeatureStoreSinkConnector extends SpliceSinkConnector {
    public FeatureStoreSinkConnector() {
        super(FeatureStoreSinkTask.class, FeatureStoreSinkConfig.CONFIG_DEF, FeatureStoreSinkConfig::new); // constructing the config validates it
    }
}
