package io.splice.connectors.s3;

import io.splice.connectors.common.SpliceSinkConnector;

/**
 * Writes {@code splice.stitched.<name>.<version>} topics to the S3 offline store as Parquet, one object per
 * topic partition, segment and {@code ds} day, named by its first offset: exactly once per offset range.
 */
public class S3OfflineSinkConnector extends SpliceSinkConnector {
    public S3OfflineSinkConnector() {
        super(S3OfflineSinkTask.class, S3OfflineSinkConfig.CONFIG_DEF, S3OfflineSinkConfig::new); // constructing the config validates it
    }
}
