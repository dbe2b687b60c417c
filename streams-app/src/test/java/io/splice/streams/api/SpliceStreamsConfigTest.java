package io.splice.streams.api;

import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Kafka Streams settings {@code splice run} hands to Kafka: Splice's latency defaults, and a configured value winning. */
class SpliceStreamsConfigTest {
    private static StreamsConfig effective(Map<String, Object> props) {
        Properties p = new SpliceStreamsConfig(props).streamsProperties();
        return new StreamsConfig(p);
    }

    @Test
    void splicesDefaultsReachKafkaStreams() {
        StreamsConfig c = effective(Map.of());
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, c.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        // Kafka Streams' own exactly-once default is 100 ms: two of them in series were the latency (docs/performance.md)
        assertEquals(20L, c.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
        assertEquals(20L, c.getLong(StreamsConfig.POLL_MS_CONFIG));
        assertEquals(3, c.getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG));
    }

    @Test
    void aConfiguredValueWinsOverSplicesDefault() {
        StreamsConfig c = effective(Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000", StreamsConfig.POLL_MS_CONFIG, 50,
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE));
        assertEquals(1000L, c.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
        assertEquals(50L, c.getLong(StreamsConfig.POLL_MS_CONFIG));
        assertEquals(StreamsConfig.AT_LEAST_ONCE, c.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    }

    @Test
    void everyDefaultIsAKafkaStreamsSettingThatDiffersFromKafkasOwn() {
        StreamsConfig kafkas = new StreamsConfig(Map.of(StreamsConfig.APPLICATION_ID_CONFIG, "a", StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "b:1"));
        StreamsConfig splices = effective(Map.of());
        for (SpliceStreamsConfig.StreamsDefault d : SpliceStreamsConfig.STREAMS_DEFAULTS) {
            assertTrue(StreamsConfig.configDef().names().contains(d.key()), d.key() + " is not a Kafka Streams setting");
            Object ours = splices.originals().get(d.key());
            assertEquals(String.valueOf(d.value()), String.valueOf(ours), d.key());
            assertTrue(!String.valueOf(kafkas.values().get(d.key())).equals(String.valueOf(d.value())),
                    d.key() + " is Kafka's own default already");
        }
    }
}
