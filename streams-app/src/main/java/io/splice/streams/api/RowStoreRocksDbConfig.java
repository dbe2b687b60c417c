package io.splice.streams.api;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;

import java.util.Map;

/**
 * Splice's default {@code rocksdb.config.setter}: LZ4 block compression, which Kafka Streams leaves off. Measured on
 * the row stores (docs/performance.md, state): 73 → 39 MB of state for 1M 3-feature rows, CPU per record unchanged.
 * Files written before keep their compression; RocksDB reads both. A {@code rocksdb.config.setter} of the user's
 * replaces this one.
 */
public final class RowStoreRocksDbConfig implements RocksDBConfigSetter {
    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        options.setCompressionType(CompressionType.LZ4_COMPRESSION);
    }

    @Override
    public void close(String storeName, Options options) {
        // nothing allocated
    }
}
