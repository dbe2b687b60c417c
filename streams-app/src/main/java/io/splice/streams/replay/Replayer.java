package io.splice.streams.replay;

import com.fasterxml.jackson.databind.JsonNode;
import io.splice.avro.FetchLog;
import io.splice.avro.json.RecordJson;
import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroDeserializer;
import io.splice.avro.serde.SpliceAvroSerializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code splice replay}: copies the fetch logs whose timestamps fall in [start, end) from a retained topic (located
 * with {@code offsetsForTimes}) or from a JSONL file into the replay topic, for data recovery. Replaying logs that
 * were already stitched changes nothing downstream (merge rule 7).
 */
public final class Replayer {
    /** What a replay did. */
    public record Counts(long read, long matched, long written) {
    }

    private final Map<String, Object> clientProps;
    private final SchemaRegistryClient registry;
    private final Instant start;
    private final Instant end;
    private final String join;
    private final boolean dryRun;

    /**
     * @param join a join name ({@code payments}) or name and version ({@code payments.v2}); null for every join
     */
    public Replayer(Map<String, Object> clientProps, SchemaRegistryClient registry, Instant start, Instant end, String join, boolean dryRun) {
        if (!end.isAfter(start)) {
            throw new IllegalArgumentException("--end " + end + " must be after --start " + start);
        }
        this.clientProps = clientProps;
        this.registry = registry;
        this.start = start;
        this.end = end;
        this.join = join;
        this.dryRun = dryRun;
    }

    private boolean matchesJoin(FetchLog log) {
        return join == null || join.equals(log.getJoin()) || join.equals(log.getJoin() + "." + log.getVersion());
    }

    private boolean inRange(long ts) {
        return ts >= start.toEpochMilli() && ts < end.toEpochMilli();
    }

    public Counts fromTopic(String from, String to) {
        Map<String, Object> c = new HashMap<>(clientProps);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        SpliceAvroDeserializer<FetchLog> deser = SpliceAvroDeserializer.of(registry, FetchLog.class);
        long read = 0, matched = 0, written = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = dryRun ? null : producer()) {
            List<PartitionInfo> infos = consumer.partitionsFor(from, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic " + from + " does not exist");
            }
            List<TopicPartition> parts = new ArrayList<>();
            infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            consumer.assign(parts);
            Map<TopicPartition, Long> query = new HashMap<>();
            parts.forEach(p -> query.put(p, start.toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> startOffsets = consumer.offsetsForTimes(query, Duration.ofSeconds(30));
            Map<TopicPartition, Long> endOffsets = new HashMap<>(consumer.endOffsets(parts, Duration.ofSeconds(30)));
            List<TopicPartition> active = new ArrayList<>();
            for (TopicPartition p : parts) {
                OffsetAndTimestamp o = startOffsets.get(p);
                if (o == null || o.offset() >= endOffsets.get(p)) {
                    continue; // nothing at or after start in this partition
                }
                consumer.seek(p, o.offset());
                active.add(p);
            }
            consumer.assign(active);
            for (TopicPartition p : active) {
                consumer.seek(p, startOffsets.get(p).offset());
            }
            while (!active.isEmpty()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= endOffsets.get(tp)) {
                        continue;
                    }
                    read++;
                    if (!inRange(r.timestamp())) {
                        continue;
                    }
                    if (join != null) {
                        try {
                            if (!matchesJoin(deser.deserialize(from, r.value()))) {
                                continue;
                            }
                        } catch (RuntimeException undecodable) {
                            continue; // not a log of the requested join; the stitching app dead-letters it on its own topic
                        }
                    }
                    matched++;
                    if (producer != null) {
                        producer.send(new ProducerRecord<>(to, null, r.timestamp(), r.key(), r.value(), r.headers()));
                        written++;
                    }
                }
                active.removeIf(p -> consumer.position(p) >= endOffsets.get(p));
                consumer.assign(active);
            }
            if (producer != null) {
                producer.flush();
            }
        }
        return new Counts(read, matched, written);
    }

    /** Replays a JSONL file of logs: each line a FetchLog as JSON, or an event line {"key": …, "value": FetchLog}. */
    public Counts fromFile(Path file, String to) throws IOException {
        SpliceAvroSerializer<FetchLog> ser = new SpliceAvroSerializer<>(registry);
        long read = 0, matched = 0, written = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             KafkaProducer<byte[], byte[]> producer = dryRun ? null : producer()) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                read++;
                JsonNode node = RecordJson.MAPPER.readTree(line);
                JsonNode value = node.has("value") ? node.get("value") : node;
                FetchLog log;
                try {
                    log = RecordJson.fetchLog(value);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + " line " + lineNo + ": " + e.getMessage());
                }
                if (!inRange(log.getTs()) || !matchesJoin(log)) {
                    continue;
                }
                matched++;
                if (producer != null) {
                    String key = node.hasNonNull("key") ? node.get("key").asText() : null;
                    producer.send(new ProducerRecord<>(to, null, log.getTs(),
                            key == null ? null : key.getBytes(StandardCharsets.UTF_8), ser.serialize(to, log)));
                    written++;
                }
            }
            if (producer != null) {
                producer.flush();
            }
        }
        return new Counts(read, matched, written);
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
