package io.splice.connectors.docs;

import io.splice.connectors.featurestore.FeatureStoreSinkConnector;
import io.splice.connectors.s3.S3OfflineSinkConnector;
import io.splice.testing.ReferenceDocs;
import org.junit.jupiter.api.Test;

/** docs/reference page of both sinks' settings, generated from their ConfigDefs; fails when stale. */
class ReferenceDocsTest {
    @Test
    void connectorConfig() {
        ReferenceDocs.assertCurrent("connectors-config.md", """
                # Connector settings (generated)

                Generated from the connectors' `ConfigDef`s by `ReferenceDocsTest` in connectors; do not edit. Connect's
                own keys (`connector.class`, `tasks.max`, `topics`, `errors.*`, converters) come on top.

                ## S3 offline sink: `io.splice.connectors.s3.S3OfflineSinkConnector`

                """ + ReferenceDocs.configTable(new S3OfflineSinkConnector().config()) + """

                ## Feature Store online sink: `io.splice.connectors.featurestore.FeatureStoreSinkConnector`

                """ + ReferenceDocs.configTable(new FeatureStoreSinkConnector().config()));
    }
}
