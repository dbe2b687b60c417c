package io.splice.bench;

import io.splice.avro.serde.SchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** Writes the benchmark's input (logs, backfill and bootstrap records) in the Confluent wire format. */
final class Preloader {
    private Preloader() {
    }

    record Loaded(long logs, long backfill, long bootstrap, double seconds) {
        long total() {
            return logs + backfill + bootstrap;
        }
    }

    static KafkaProducer<String, SpecificRecord> producer(String bootstrapServers, SchemaRegistryClient registry, int lingerMs) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-producer");
        return new KafkaProducer<>(p, new StringSerializer(), new SpliceAvroSerializer<>(registry));
    }

    /** Logs of rows {@code [from, to)}, plus (when {@code sides}) their backfill and bootstrap records. */
    static Loaded load(BenchData data, String bootstrapServers, SchemaRegistryClient registry, long from, long to,
                       boolean logs, boolean sides) {
        long t0 = System.nanoTime();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Callback cb = (md, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
            }
        };
        long nLogs = 0, nBackfill = 0, nBootstrap = 0;
        long step = Math.max(1, (to - from) / 10);
        try (KafkaProducer<String, SpecificRecord> producer = producer(bootstrapServers, registry, 20)) {
            for (long i = from; i < to; i++) {
                if (failure.get() != null) {
                    break;
                }
                String rowKey = BenchData.rowKey(i);
                if (sides && BenchData.hasBackfill(i)) {
                    producer.send(new ProducerRecord<>(data.backfillTopic(), rowKey, data.backfill(i)), cb);
                    nBackfill++;
                }
                if (sides && BenchData.hasBootstrap(i)) {
                    producer.send(new ProducerRecord<>(data.bootstrapTopic, rowKey, data.bootstrap(i)), cb);
                    nBootstrap++;
                }
                if (logs) {
                    producer.send(new ProducerRecord<>(data.fetchLogTopic(), data.logKey(i), data.log(i, BenchData.BASE_TS + i * 10)), cb);
                    nLogs++;
                }
                if ((i - from + 1) % step == 0 && to - from >= 100_000) {
                    Log.info("preload %d%%", (i - from + 1) * 100 / (to - from));
                }
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("preload failed: " + failure.get(), failure.get());
        }
        double s = (System.nanoTime() - t0) / 1e9;
        Loaded l = new Loaded(nLogs, nBackfill, nBootstrap, s);
        Log.info("preloaded %,d logs, %,d backfill, %,d bootstrap records in %.1f s (%,.0f records/s)",
                nLogs, nBackfill, nBootstrap, s, l.total() / s);
        return l;
    }
}
