package io.splice.streams.cli;

import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceSerdeConfig;
import io.splice.avro.serde.WireFormat;
import io.splice.core.api.DeadLetterHeaders;
import io.splice.core.api.Topics;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.Errors;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;

/**
 * {@code splice dlq list|show|redrive}: the dead-letter topic for an operator. Dead letters carry the headers of
 * {@link DeadLetterHeaders}; a redriven record carries {@value #REDRIVEN_FROM} = {@code <dlq>-<partition>@<offset>}, the
 * dead letter it came from, so that redriving the same selection again sends nothing new.
 */
@Command(name = "dlq", mixinStandardHelpOptions = true,
        description = "Work with dead letters: list them (counts by reason and source topic, then the records), show one "
                + "by its source offset, redrive a selection back to where it came from.",
        subcommands = {DlqCommand.ListCommand.class, DlqCommand.ShowCommand.class, DlqCommand.RedriveCommand.class})
final class DlqCommand implements Runnable {
    /** Header of a redriven record: the dead letter it came from ({@code <dlq topic>-<partition>@<offset>}). */
    static final String REDRIVEN_FROM = "splice.redriven.from";
    /** Reasons whose dead letter holds the decoded record as JSON, not the original bytes: they cannot be redriven. */
    static final Set<String> NOT_ORIGINAL = Set.of("row-evicted", "row-too-large");

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    /** Where the DLQ is and which dead letters are selected. */
    static final class Selection {
        @Option(names = "--bootstrap-servers", paramLabel = "HOSTS", description = "Kafka brokers (or bootstrap.servers in --config).")
        String bootstrapServers;
        @Option(names = "--schema-registry", paramLabel = "URL",
                description = "Registry URL (or schema.registry.url in --config), to decode values; without it values are not decoded.")
        String schemaRegistry;
        @Option(names = "--config", paramLabel = "FILE", description = "Properties with Kafka client settings (security included).")
        Path configFile;
        @Option(names = "--dlq", paramLabel = "TOPIC", description = "Dead-letter topic (default: <prefix>.dlq).")
        String dlq;
        @Option(names = "--reason", paramLabel = "REASON", description = "Only dead letters of these reasons (repeatable).")
        List<String> reasons = new ArrayList<>();
        @Option(names = "--source-topic", paramLabel = "TOPIC", description = "Only dead letters read from this topic.")
        String sourceTopic;
        @Option(names = "--source-partition", paramLabel = "N", description = "Only dead letters read from this partition.")
        Integer sourcePartition;
        @Option(names = "--source-offset", paramLabel = "N", description = "Only dead letters read at these offsets (repeatable).")
        List<Long> sourceOffsets = new ArrayList<>();
        @Option(names = "--start", paramLabel = "ISO", description = "Only dead letters written at or after (2025-10-01T00:00:00Z or 2025-10-01).")
        String start;
        @Option(names = "--end", paramLabel = "ISO", description = "Only dead letters written before.")
        String end;

        Map<String, Object> props;
        Topics topics;
        String topic;

        void resolve() {
            props = CliInputs.readConfig(configFile);
            if (bootstrapServers != null) {
                props.put("bootstrap.servers", bootstrapServers);
            }
            if (schemaRegistry != null) {
                props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, schemaRegistry);
            }
            SpliceStreamsConfig config = CliInputs.config(props, configFile);
            props = new HashMap<>(config.clientProperties());
            topics = new Topics(config.topicPrefix());
            topic = dlq != null ? dlq : topics.dlq();
        }

        boolean matches(ConsumerRecord<byte[], byte[]> r) {
            Instant s = start == null ? null : ReplayCommand.parseInstant(start);
            Instant e = end == null ? null : ReplayCommand.parseInstant(end);
            if (!reasons.isEmpty() && !reasons.contains(reason(r))) {
                return false;
            }
            if (sourceTopic != null && !sourceTopic.equals(header(r, DeadLetterHeaders.SOURCE_TOPIC))) {
                return false;
            }
            if (sourcePartition != null && !String.valueOf(sourcePartition).equals(header(r, DeadLetterHeaders.SOURCE_PARTITION))) {
                return false;
            }
            if (!sourceOffsets.isEmpty() && sourceOffsets.stream().noneMatch(o -> String.valueOf(o).equals(header(r, DeadLetterHeaders.SOURCE_OFFSET)))) {
                return false;
            }
            return (s == null || r.timestamp() >= s.toEpochMilli()) && (e == null || r.timestamp() < e.toEpochMilli());
        }

        /** Every selected dead letter, read from the beginning to the end offsets at the start of the read. */
        List<ConsumerRecord<byte[], byte[]>> read() {
            return readAll(props, topic, this::matches);
        }
    }

    static List<ConsumerRecord<byte[], byte[]>> readAll(Map<String, Object> props, String topic,
                                                       java.util.function.Predicate<ConsumerRecord<byte[], byte[]>> keep) {
        Map<String, Object> c = new HashMap<>(props);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new CliInputs.BadInput("topic " + topic + " does not exist");
            }
            List<TopicPartition> parts = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 120_000;
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new KafkaException("reading " + topic + " did not reach its end within 120 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition())) && keep.test(r)) {
                        out.add(r);
                    }
                }
            }
        }
        return out;
    }

    static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static String reason(ConsumerRecord<byte[], byte[]> r) {
        String error = header(r, DeadLetterHeaders.ERROR);
        if (error == null) {
            return "(none)";
        }
        int colon = error.indexOf(':');
        return colon < 0 ? error : error.substring(0, colon);
    }

    static String id(ConsumerRecord<?, ?> r) {
        return r.topic() + "-" + r.partition() + "@" + r.offset();
    }

    /** A readable view of {@code bytes}: Avro in the Confluent wire format decoded as JSON, else UTF-8 text, else a size. */
    static String decoded(byte[] bytes, SchemaRegistryClient registry) {
        if (bytes == null) {
            return "null";
        }
        if (registry != null && bytes.length > WireFormat.HEADER_SIZE && bytes[0] == WireFormat.MAGIC) {
            try {
                Schema schema = registry.getById(WireFormat.schemaId(bytes));
                Object value = new GenericDatumReader<>(schema).read(null, DecoderFactory.get()
                        .binaryDecoder(bytes, WireFormat.HEADER_SIZE, bytes.length - WireFormat.HEADER_SIZE, null));
                return "avro " + schema.getFullName() + " " + value;
            } catch (RuntimeException | java.io.IOException e) {
                // not decodable: shown as text or bytes below
            }
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            if (text.chars().noneMatch(ch -> ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r')) {
                return "text " + text;
            }
        } catch (CharacterCodingException e) {
            // binary
        }
        return "not decodable (" + bytes.length + " bytes)";
    }

    static void print(PrintWriter out, ConsumerRecord<byte[], byte[]> r, SchemaRegistryClient registry) {
        out.printf("%s ts=%s reason=%s key=%s%n", id(r), Instant.ofEpochMilli(r.timestamp()), reason(r),
                r.key() == null ? "null" : new String(r.key(), StandardCharsets.UTF_8));
        for (Header h : r.headers()) {
            out.printf("  %s: %s%n", h.key(), h.value() == null ? "null" : new String(h.value(), StandardCharsets.UTF_8));
        }
        out.printf("  value: %s%n", decoded(r.value(), registry));
    }

    static SchemaRegistryClient registry(Map<String, Object> props) {
        Object url = props.get(SpliceStreamsConfig.SCHEMA_REGISTRY_URL);
        return url == null || url.toString().isBlank() ? null : SpliceSerdeConfig.client(props);
    }

    abstract static class Sub implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Selection selection;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            try {
                selection.resolve();
                return run(spec.commandLine().getOut());
            } catch (CliInputs.BadInput | IllegalArgumentException e) {
                err.println("error: " + e.getMessage());
                return 1;
            } catch (KafkaException e) {
                err.println("error: Kafka refused: " + Errors.oneLine(e));
                return 1;
            } catch (RuntimeException e) {
                err.println("error: dlq failed: " + Errors.oneLine(e));
                return 1;
            }
        }

        abstract int run(PrintWriter out);
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Counts of the selected dead letters by reason and source topic, then each record with its headers "
                    + "and a decoded view of its value where the bytes decode.")
    static final class ListCommand extends Sub {
        @Option(names = "--counts-only", description = "Print the counts only.")
        boolean countsOnly;

        @Override
        int run(PrintWriter out) {
            List<ConsumerRecord<byte[], byte[]>> records = selection.read();
            Map<String, Integer> counts = new TreeMap<>();
            records.forEach(r -> counts.merge(reason(r) + "\t" + header(r, DeadLetterHeaders.SOURCE_TOPIC), 1, Integer::sum));
            out.printf("%d dead letters in %s%n", records.size(), selection.topic);
            counts.forEach((k, n) -> out.printf("%6d  %s%n", n, k.replace("\t", "  ")));
            if (!countsOnly) {
                SchemaRegistryClient registry = registry(selection.props);
                records.forEach(r -> print(out, r, registry));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show the dead letters of a source offset (--source-offset, with --source-topic/--source-partition to narrow).")
    static final class ShowCommand extends Sub {
        @Override
        int run(PrintWriter out) {
            if (selection.sourceOffsets.isEmpty()) {
                throw new CliInputs.BadInput("show needs --source-offset");
            }
            List<ConsumerRecord<byte[], byte[]>> records = selection.read();
            if (records.isEmpty()) {
                spec.commandLine().getErr().println("error: no dead letter matches in " + selection.topic);
                return 1;
            }
            SchemaRegistryClient registry = registry(selection.props);
            records.forEach(r -> print(out, r, registry));
            return 0;
        }
    }

    @Command(name = "redrive", mixinStandardHelpOptions = true,
            description = {"Send the selected dead letters back where they came from (logs to the replay topic, backfill and "
                    + "bootstrap records to their topic), with their key, value, headers and timestamp, plus "
                    + REDRIVEN_FROM + " naming the dead letter. A dead letter already redriven (a record with its "
                    + REDRIVEN_FROM + " is in the destination) is not sent again.",
                    "row-evicted and row-too-large dead letters hold the decoded record, not the original bytes: skipped."})
    static final class RedriveCommand extends Sub {
        @Option(names = "--dry-run", description = "Print what would be sent; send nothing.")
        boolean dryRun;

        @Override
        int run(PrintWriter out) {
            List<ConsumerRecord<byte[], byte[]>> records = selection.read();
            Map<String, List<ConsumerRecord<byte[], byte[]>>> byDest = new TreeMap<>();
            int notOriginal = 0;
            int noSource = 0;
            for (ConsumerRecord<byte[], byte[]> r : records) {
                String source = header(r, DeadLetterHeaders.SOURCE_TOPIC);
                if (NOT_ORIGINAL.contains(reason(r))) {
                    notOriginal++;
                } else if (source == null) {
                    noSource++;
                } else {
                    // a log topic (<prefix>.fetch-log) goes to its replay topic; backfill and bootstrap records to their own topic
                    String dest = source.equals(selection.topics.fetchLog()) ? selection.topics.fetchLogReplay()
                            : source.endsWith(".fetch-log") ? source + ".replay" : source;
                    byDest.computeIfAbsent(dest, k -> new ArrayList<>()).add(r);
                }
            }
            int sent = 0;
            int already = 0;
            Map<String, Object> p = new HashMap<>(selection.props);
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            try (KafkaProducer<byte[], byte[]> producer = dryRun ? null
                    : new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                for (Map.Entry<String, List<ConsumerRecord<byte[], byte[]>>> e : byDest.entrySet()) {
                    Set<String> done = new HashSet<>();
                    readAll(selection.props, e.getKey(), r -> r.headers().lastHeader(REDRIVEN_FROM) != null)
                            .forEach(r -> done.add(header(r, REDRIVEN_FROM)));
                    List<Future<?>> acks = new ArrayList<>();
                    for (ConsumerRecord<byte[], byte[]> r : e.getValue()) {
                        if (done.contains(id(r))) {
                            already++;
                            continue;
                        }
                        out.printf("%s %s -> %s%n", dryRun ? "would redrive" : "redrive", id(r), e.getKey());
                        if (!dryRun) {
                            RecordHeaders headers = new RecordHeaders();
                            for (Header h : r.headers()) {
                                if (!DeadLetterHeaders.NAMES.contains(h.key()) && !h.key().equals(REDRIVEN_FROM)) {
                                    headers.add(h);
                                }
                            }
                            headers.add(REDRIVEN_FROM, id(r).getBytes(StandardCharsets.UTF_8));
                            acks.add(producer.send(new ProducerRecord<>(e.getKey(), null, r.timestamp(), r.key(), r.value(), headers)));
                        }
                        sent++;
                    }
                    for (Future<?> f : acks) {
                        try {
                            f.get();
                        } catch (Exception ex) {
                            throw new KafkaException("redrive to " + e.getKey() + " failed: " + Errors.oneLine(ex));
                        }
                    }
                }
            }
            out.printf("selected %d, %s %d, already redriven %d, skipped %d (%s hold no original bytes), %d without a source topic%n",
                    records.size(), dryRun ? "would redrive" : "redrove", sent, already, notOriginal, String.join("/", NOT_ORIGINAL), noSource);
            return 0;
        }
    }
}
