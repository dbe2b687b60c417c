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
 * <p>
 * Bloom filters on every level: Kafka Streams turns on {@code optimize_filters_for_hits}, which leaves the last level
 * without filters, right for stores whose reads mostly find their key. A row store's first read of a row misses
 * (every new row id), and without a filter that miss reads and decompresses an index and a data block.
 */
public final class RowStoreRocksDbConfig implements RocksDBConfigSetter {
    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        options.setCompressionType(CompressionType.LZ4_COMPRESSION);
        options.setOptimizeFiltersForHits(false); // see the class comment: most reads of a row store miss
    }

    @Override
    public void close(String storeName, Options options) {
        // nothing allocated
    }
}
