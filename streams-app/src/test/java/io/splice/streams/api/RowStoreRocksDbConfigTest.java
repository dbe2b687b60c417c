package io.splice.streams.api;

import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The row stores are LZ4-compressed by default (docs/performance.md, state); a user's setter replaces Splice's. */
class RowStoreRocksDbConfigTest {

    static Map<String, Object> props() {
        Map<String, Object> p = new HashMap<>();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "t");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        p.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, "mock://t");
        return p;
    }

    @Test
    void theDefaultSetterCompressesWithLz4AndTheUsersWins() {
        assertEquals(RowStoreRocksDbConfig.class,
                new SpliceStreamsConfig(props()).streamsProperties().get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG));
        try (Options options = new Options()) {
            new RowStoreRocksDbConfig().setConfig("rows-x", options, Map.of());
            assertEquals(CompressionType.LZ4_COMPRESSION, options.compressionType());
        }
        Map<String, Object> own = props();
        own.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, "com.example.Mine");
        assertEquals("com.example.Mine", new SpliceStreamsConfig(own).streamsProperties().get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG));
    }
}
