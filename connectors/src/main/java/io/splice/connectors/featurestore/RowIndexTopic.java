package io.splice.connectors.featurestore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The row index in a compacted topic of the sink's own. Key: {@code ["<stitched topic>", <partition>, "<row key>"]};
 * value: {@code {"id", "ts", "hash", "offset"}} or null (row forgotten). Stitched partition {@code p} is written to
 * index partition {@code p % n}, so a task reads back only the index partitions of its stitched partitions.
 */
final class RowIndexTopic implements RowIndex.Store {
    private static final Logger log = LoggerFactory.getLogger(RowIndexTopic.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration RESTORE_TIMEOUT = Duration.ofMinutes(5);

    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Map<String, Object> clientConfig;
    private final int partitions;

    RowIndexTopic(String topic, Map<String, Object> clientConfig, int partitionsIfCreated) {
        this.topic = topic;
        this.clientConfig = clientConfig;
        ensureTopic(partitionsIfCreated);
        Map<String, Object> p = new HashMap<>(clientConfig);
        p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        List<PartitionInfo> info = producer.partitionsFor(topic);
        if (info == null || info.isEmpty()) {
            producer.close(Duration.ZERO);
            throw new ConnectException("Row index topic '" + topic + "' has no partitions (or cannot be described)");
        }
        partitions = info.size();
    }

    private void ensureTopic(int partitionsIfCreated) {
        try (Admin admin = Admin.create(clientConfig)) {
            if (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
                return;
            }
            NewTopic t = new NewTopic(topic, Optional.of(partitionsIfCreated), Optional.empty())
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
            log.info("Created the row index topic {} ({} partitions, compacted)", topic, partitionsIfCreated);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                // without the right to create topics the topic must exist already: partitionsFor says so next
                log.warn("Could not create the row index topic {}: {}", topic, e.getCause().toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted while checking the row index topic " + topic, e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ConnectException("Kafka did not answer within 30 s while checking the row index topic " + topic
                    + " (featurestore.row.index.bootstrap.servers)", e);
        }
    }

    private int indexPartition(TopicPartition tp) {
        return tp.partition() % partitions;
    }

    @Override
    public Map<TopicPartition, Map<String, RowIndex.Entry>> restore(Collection<TopicPartition> wanted) {
        Map<TopicPartition, Map<String, RowIndex.Entry>> out = new HashMap<>();
        if (wanted.isEmpty()) {
            return out;
        }
        Set<TopicPartition> want = new HashSet<>(wanted);
        List<TopicPartition> read = want.stream().map(tp -> new TopicPartition(topic, indexPartition(tp))).distinct().toList();
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        long start = System.nanoTime();
        long n = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(read);
            consumer.seekToBeginning(read);
            Map<TopicPartition, Long> end = consumer.endOffsets(read, Duration.ofSeconds(60));
            long deadline = System.nanoTime() + RESTORE_TIMEOUT.toNanos();
            while (read.stream().anyMatch(ip -> consumer.position(ip) < end.get(ip))) {
                if (System.nanoTime() > deadline) {
                    throw new ConnectException("Reading the row index topic " + topic + " took longer than " + RESTORE_TIMEOUT);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    n++;
                    apply(r, want, out);
                }
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new ConnectException("Kafka did not answer while reading the row index topic " + topic, e);
        }
        log.info("Row index: {} rows of {} read from {} ({} records) in {} ms", out.values().stream().mapToInt(Map::size).sum(),
                wanted, topic, n, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return out;
    }

    private static void apply(ConsumerRecord<byte[], byte[]> r, Set<TopicPartition> want,
                              Map<TopicPartition, Map<String, RowIndex.Entry>> out) {
        try {
            JsonNode k = JSON.readTree(r.key());
            TopicPartition tp = new TopicPartition(k.get(0).asText(), k.get(1).asInt());
            if (!want.contains(tp)) {
                return;
            }
            String row = k.get(2).asText();
            if (r.value() == null) {
                out.getOrDefault(tp, new HashMap<>()).remove(row);
                return;
            }
            JsonNode v = JSON.readTree(r.value());
            out.computeIfAbsent(tp, x -> new HashMap<>()).put(row, new RowIndex.Entry(v.path("id").asText(),
                    v.path("ts").asLong(), v.path("hash").asText(), v.path("offset").asLong()));
        } catch (IOException | RuntimeException e) {
            log.warn("Skipping an unreadable row index record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
        }
    }

    private ProducerRecord<byte[], byte[]> record(RowIndex.Update u) {
        ArrayNode key = JSON.createArrayNode().add(u.tp().topic()).add(u.tp().partition()).add(u.rowKey());
        byte[] value = null;
        if (u.entry() != null) {
            ObjectNode v = JSON.createObjectNode();
            v.put("id", u.entry().identifier());
            v.put("ts", u.entry().ts());
            v.put("hash", u.entry().hash());
            v.put("offset", u.entry().offset());
            value = v.toString().getBytes(StandardCharsets.UTF_8);
        }
        return new ProducerRecord<>(topic, indexPartition(u.tp()), key.toString().getBytes(StandardCharsets.UTF_8), value);
    }

    @Override
    public boolean write(List<RowIndex.Update> updates) {
        List<Future<?>> sent = new ArrayList<>(updates.size());
        try {
            for (RowIndex.Update u : updates) {
                sent.add(producer.send(record(u)));
            }
            producer.flush();
            for (Future<?> f : sent) {
                f.get();
            }
            return true;
        } catch (ExecutionException | RuntimeException e) {
            log.warn("Could not write {} row index changes to {} (their offsets are not committed; retried at the next "
                    + "commit): {}", updates.size(), topic, (e instanceof ExecutionException ? e.getCause() : e).toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void forget(List<RowIndex.Update> updates) {
        for (RowIndex.Update u : updates) {
            producer.send(record(u));
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
