package io.splice.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Hot spots of a JFR recording ({@code jdk.ExecutionSample}): share of samples by component (the first non-JDK frame
 * from the top decides), the hottest methods by self time with line numbers, and inclusive shares of the Splice,
 * state-store, Avro and producer methods. {@code java -cp … io.splice.bench.JfrHotSpots file.jfr [top]}.
 */
public final class JfrHotSpots {
    private JfrHotSpots() {
    }

    public static void main(String[] argv) throws IOException {
        Report r = new Report("jfr-hotspots", "Hot spots of " + argv[0]);
        report(Paths.get(argv[0]), r, argv.length > 1 ? Integer.parseInt(argv[1]) : 20);
        System.out.println(r.toString());
    }

    static void report(Path file, Report r, int top) throws IOException {
        Map<String, Integer> byThreadGroup = new LinkedHashMap<>();
        Map<String, Integer> category = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> firstOwn = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        int total = 0, stream = 0;
        try (RecordingFile rf = new RecordingFile(file)) {
            while (rf.hasMoreEvents()) {
                RecordedEvent e = rf.readEvent();
                if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                    continue;
                }
                total++;
                RecordedThread th = e.getThread("sampledThread");
                String tn = th == null ? "?" : th.getJavaName() == null ? "?" : th.getJavaName();
                String group = tn.contains("producer-network") ? "producer I/O threads"
                        : tn.contains("StreamThread") && !tn.contains("|") ? "stream threads"
                        : tn.contains("consumer") || tn.contains("heartbeat") ? "consumer background threads"
                        : "other threads (" + tn.replaceAll("[0-9]+", "N").replaceAll("\\s*\\|.*", "") + ")";
                byThreadGroup.merge(group, 1, Integer::sum);
                if (!group.equals("stream threads")) {
                    continue;
                }
                stream++;
                RecordedStackTrace st = e.getStackTrace();
                if (st == null || st.getFrames().isEmpty()) {
                    continue;
                }
                List<RecordedFrame> frames = st.getFrames();
                RecordedFrame top0 = frames.get(0);
                self.merge(frameName(top0, true), 1, Integer::sum);
                String firstNonJdk = null;
                for (RecordedFrame f : frames) {
                    String cls = f.getMethod().getType().getName();
                    if (!isJdk(cls)) {
                        firstNonJdk = frameName(f, true);
                        category.merge(category(cls), 1, Integer::sum);
                        break;
                    }
                }
                if (firstNonJdk == null) {
                    category.merge("JDK only (no library frame on the stack)", 1, Integer::sum);
                } else {
                    firstOwn.merge(firstNonJdk, 1, Integer::sum);
                }
                Set<String> seen = new HashSet<>();
                for (RecordedFrame f : frames) {
                    String cls = f.getMethod().getType().getName();
                    if (interesting(cls) && seen.add(frameName(f, false))) {
                        inclusive.merge(frameName(f, false), 1, Integer::sum);
                    }
                }
            }
        }
        final int streamSamples = Math.max(1, stream);
        List<String> groups = new ArrayList<>();
        int totalSamples = Math.max(1, total);
        byThreadGroup.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(6)
                .forEach(g -> groups.add(String.format(Locale.ROOT, "%s %.0f%%", g.getKey(), 100.0 * g.getValue() / totalSamples)));
        r.line(String.format(Locale.ROOT, "%,d execution samples: %s. The tables below count the %,d samples of the stream threads.",
                total, String.join(", ", groups), stream));
        r.blank();
        r.line("By component (first non-JDK frame from the top of the stack):");
        r.blank();
        r.table(List.of("component", "share of stream-thread samples"), topRows(category, streamSamples, 20));
        r.line("Hottest methods, self time (top frame):");
        r.blank();
        r.table(List.of("method (line)", "share"), topRows(self, streamSamples, top));
        r.line("Hottest library methods (first non-JDK frame: the library code that spends the JDK time):");
        r.blank();
        r.table(List.of("method (line)", "share"), topRows(firstOwn, streamSamples, top));
        Map<String, Integer> splice = new HashMap<>();
        inclusive.forEach((k, v) -> {
            if (k.startsWith("i.s.")) {
                splice.put(k, v);
            }
        });
        r.line("Inclusive share (method anywhere on the stack) of Splice's own methods:");
        r.blank();
        r.table(List.of("method", "inclusive share"), topRows(splice, streamSamples, top));
        r.line("Inclusive share of Kafka Streams, state store, Avro, RocksDB and producer methods:");
        r.blank();
        Map<String, Integer> others = new HashMap<>(inclusive);
        others.keySet().removeAll(splice.keySet());
        r.table(List.of("method", "inclusive share"), topRows(others, streamSamples, top + 10));
    }

    private static List<List<String>> topRows(Map<String, Integer> counts, int denominator, int top) {
        List<List<String>> rows = new ArrayList<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
                .forEach(e -> rows.add(List.of("`" + e.getKey() + "`", String.format(Locale.ROOT, "%.1f%%", 100.0 * e.getValue() / denominator))));
        return rows;
    }

    private static String frameName(RecordedFrame f, boolean withLine) {
        String cls = f.getMethod().getType().getName().replaceAll("\\$\\$Lambda.*", "\\$\\$Lambda");
        String simple = cls.substring(cls.lastIndexOf('.') + 1);
        String pkg = cls.contains(".") ? cls.substring(0, cls.lastIndexOf('.')) : "";
        String shortPkg = pkg.replace("org.apache.kafka.", "o.a.k.").replace("io.splice.", "i.s.").replace("org.apache.avro", "o.a.avro");
        String name = shortPkg + "." + simple + "." + f.getMethod().getName();
        return withLine && f.getLineNumber() > 0 ? name + ":" + f.getLineNumber() : name;
    }

    private static boolean isJdk(String cls) {
        return cls.startsWith("java.") || cls.startsWith("jdk.") || cls.startsWith("sun.") || cls.startsWith("javax.")
                || cls.startsWith("com.sun.");
    }

    private static boolean interesting(String cls) {
        return cls.startsWith("io.splice.") || cls.startsWith("org.apache.kafka.streams.state.")
                || cls.startsWith("org.rocksdb.") || cls.startsWith("org.apache.avro.")
                || cls.equals("org.apache.kafka.clients.producer.KafkaProducer")
                || cls.equals("org.apache.kafka.streams.processor.internals.RecordCollectorImpl")
                || cls.equals("org.apache.kafka.streams.processor.internals.StreamTask")
                || cls.equals("org.apache.kafka.streams.processor.internals.TaskExecutor")
                || cls.equals("org.apache.kafka.streams.processor.internals.RecordDeserializer")
                || cls.equals("org.apache.kafka.clients.consumer.internals.ClassicKafkaConsumer")
                || cls.equals("org.apache.kafka.clients.consumer.internals.AsyncKafkaConsumer")
                || cls.startsWith("io.micrometer.");
    }

    private static String category(String cls) {
        if (cls.startsWith("org.rocksdb.")) {
            return "RocksDB (JNI)";
        }
        if (cls.startsWith("org.apache.avro.") || cls.startsWith("io.splice.avro.")) {
            return "Avro serde";
        }
        if (cls.startsWith("io.splice.streams.internal.BinaryCodec") || cls.startsWith("io.splice.streams.internal.RowStateSerde")
                || cls.startsWith("io.splice.streams.internal.RoutedSerde")) {
            return "Splice internal codec (state, repartition)";
        }
        if (cls.startsWith("io.splice.core.")) {
            return "Splice merge rules / plan (core)";
        }
        if (cls.startsWith("io.splice.")) {
            return "Splice topology (streams-app)";
        }
        if (cls.startsWith("org.apache.kafka.streams.state.")) {
            return "Kafka Streams state stores (cache, metered, changelog)";
        }
        if (cls.startsWith("org.apache.kafka.streams.")) {
            return "Kafka Streams (tasks, routing, commit)";
        }
        if (cls.startsWith("org.apache.kafka.clients.producer.")) {
            return "Kafka producer";
        }
        if (cls.startsWith("org.apache.kafka.clients.consumer.")) {
            return "Kafka consumer";
        }
        if (cls.startsWith("org.apache.kafka.")) {
            return "Kafka common (records, network, metrics)";
        }
        if (cls.startsWith("io.micrometer.")) {
            return "Micrometer";
        }
        if (cls.startsWith("org.apache.logging.") || cls.startsWith("org.slf4j.")) {
            return "logging";
        }
        return cls.contains(".") ? cls.substring(0, cls.indexOf('.', cls.indexOf('.') + 1) > 0 ? cls.indexOf('.', cls.indexOf('.') + 1) : cls.length()) : cls;
    }
}
