package io.splice.streams.runtime;

import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsDiff;
import io.splice.core.definitions.DefinitionsException;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.streams.api.SpliceStreamsConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The definitions a deployment last started with, in a compacted topic of its own ({@code <application.id>-splice-definitions}),
 * so that {@code splice run} can refuse a change that a rolling restart cannot apply safely ({@link DefinitionsDiff})
 * before it touches any state, and say why and what to do. Written once the app has started.
 */
final class AppliedDefinitions {
    private static final String KEY = "definitions";

    private AppliedDefinitions() {
    }

    static String topic(SpliceStreamsConfig config) {
        return config.getString(org.apache.kafka.streams.StreamsConfig.APPLICATION_ID_CONFIG) + "-splice-definitions";
    }

    /** Refuses definitions that cannot replace the ones last applied in place; creates the topic when missing. */
    static void check(Admin admin, SpliceStreamsConfig config, Definitions now) throws Exception {
        String topic = topic(config);
        try {
            admin.createTopics(List.of(new NewTopic(topic, 1, config.replicationFactor())
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
        String last = read(config, topic);
        if (last == null) {
            return;
        }
        Definitions before;
        try {
            before = DefinitionsLoader.parse(last, "the definitions last applied (topic " + topic + ")", new Topics(config.topicPrefix()));
        } catch (DefinitionsException e) {
            return; // written by a Splice that read definitions another way: nothing to compare with
        }
        DefinitionsDiff diff = DefinitionsDiff.between(before, now);
        if (!diff.safe()) {
            StringBuilder m = new StringBuilder("these definitions cannot replace the running ones in a rolling restart:");
            diff.problems().forEach(p -> m.append('\n').append(p));
            m.append("\n(`splice definitions diff` shows the whole change; the definitions last applied are in topic ")
                    .append(topic).append(")");
            throw new IllegalStateException(m.toString());
        }
    }

    /** Records the definitions this deployment now runs. */
    static void record(SpliceStreamsConfig config, Definitions now) throws Exception {
        if (now.source() == null) {
            return;
        }
        Map<String, Object> p = new HashMap<>(config.clientProperties());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic(config), KEY, now.source())).get(30, TimeUnit.SECONDS);
        }
    }

    private static String read(SpliceStreamsConfig config, String topic) {
        Map<String, Object> p = new HashMap<>(config.clientProperties());
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            String last = null;
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (KEY.equals(r.key())) {
                        last = r.value();
                    }
                }
            }
            return last;
        }
    }
}
