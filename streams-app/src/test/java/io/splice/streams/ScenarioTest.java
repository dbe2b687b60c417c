package io.splice.streams;

import com.fasterxml.jackson.databind.JsonNode;
import io.splice.avro.json.RecordJson;
import io.splice.core.api.Definitions;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import io.splice.streams.simulate.Simulator;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs every {@code simulate} scenario folder — the shared ones in {@code ../shared/scenarios} and ours in
 * {@code scenarios/} — through the real topology and checks them as {@code run.py} does: final values and
 * sources, emission counts, absent keys, DLQ keys, and revisions 1, 2, 3 … with no repeated emission.
 */
class ScenarioTest {
    private static final Pattern HASH = Pattern.compile("\\$\\{hash:([^}]+)}");

    @TestFactory
    Stream<DynamicTest> scenarios() throws IOException {
        List<Path> dirs = new ArrayList<>();
        for (Path root : List.of(Path.of("../scenarios"), Path.of("../../shared/scenarios"))) {
            if (Files.isDirectory(root)) {
                try (Stream<Path> s = Files.list(root)) {
                    s.filter(d -> Files.exists(d.resolve("expected.json"))).sorted().forEach(dirs::add);
                }
            }
        }
        dirs.add(Path.of("../examples")); // the version-upgrade walkthrough of the README
        assertTrue(dirs.size() >= 10, "scenario folders found: " + dirs);
        return dirs.stream().map(d -> DynamicTest.dynamicTest(d.getParent().getFileName() + "/" + d.getFileName(), () -> check(d)));
    }

    private static void check(Path dir) throws Exception {
        Definitions defs = DefinitionsLoader.load(dir.resolve("joins.yaml"));
        Map<String, Map<String, String>> hashes = SemanticHasher.hashes(defs);
        String text = Files.readString(dir.resolve("events.jsonl"));
        Matcher m = HASH.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String ref = m.group(1);
            int colon = ref.lastIndexOf(':');
            m.appendReplacement(sb, Objects.requireNonNull(hashes.get(ref.substring(0, colon)).get(ref.substring(colon + 1)), ref));
        }
        m.appendTail(sb);
        Path tmp = Files.createTempDirectory(Path.of("target"), "scenario-");
        Path events = tmp.resolve("events.jsonl");
        Files.writeString(events, sb.toString());
        Path out = tmp.resolve("out");
        try (Simulator sim = new Simulator(defs, "splice", new PrintWriter(new StringWriter()))) {
            sim.run(events, out);
        }
        List<String> problems = problems(RecordJson.MAPPER.readTree(dir.resolve("expected.json").toFile()),
                readJsonl(out.resolve("stitched.jsonl")), readJsonl(out.resolve("dlq.jsonl")));
        assertTrue(problems.isEmpty(), dir + ":\n  " + String.join("\n  ", problems));
    }

    static List<JsonNode> readJsonl(Path p) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(p)) {
            if (!line.isBlank()) {
                out.add(RecordJson.MAPPER.readTree(line));
            }
        }
        return out;
    }

    static List<String> problems(JsonNode exp, List<JsonNode> stitched, List<JsonNode> dlq) {
        List<String> problems = new ArrayList<>();
        Map<String, List<JsonNode>> byKey = new LinkedHashMap<>();
        for (JsonNode r : stitched) {
            byKey.computeIfAbsent(r.get("topic").asText() + "/" + r.get("key").asText(), k -> new ArrayList<>()).add(r.get("value"));
        }
        byKey.forEach((tk, vals) -> {
            long rev = 0;
            JsonNode prev = null;
            for (JsonNode v : vals) {
                if (v == null || v.isNull()) {
                    prev = null;
                    continue;
                }
                rev++;
                if (v.path("revision").asLong() != rev) {
                    problems.add(tk + ": revision " + v.path("revision") + " where " + rev + " was due");
                }
                // rule 7: a revision differs from the previous one in values, sources, ts or keys
                if (prev != null && prev.get("values").equals(v.get("values")) && prev.get("sources").equals(v.get("sources"))
                        && prev.path("ts").equals(v.path("ts")) && prev.path("keys").equals(v.path("keys"))) {
                    problems.add(tk + ": emitted a revision identical to the previous one");
                }
                prev = v;
            }
        });
        for (Iterator<Map.Entry<String, JsonNode>> topics = exp.path("stitched").fields(); topics.hasNext(); ) {
            Map.Entry<String, JsonNode> t = topics.next();
            for (Iterator<Map.Entry<String, JsonNode>> rows = t.getValue().fields(); rows.hasNext(); ) {
                Map.Entry<String, JsonNode> row = rows.next();
                String tk = t.getKey() + "/" + row.getKey();
                List<JsonNode> got = byKey.get(tk);
                if (got == null) {
                    problems.add(tk + ": never emitted");
                    continue;
                }
                JsonNode last = got.get(got.size() - 1);
                JsonNode want = row.getValue();
                if (want.isNull()) {
                    if (last != null && !last.isNull()) {
                        problems.add(tk + ": last record should be a tombstone");
                    }
                    continue;
                }
                if (last == null || last.isNull()) {
                    problems.add(tk + ": last record is a tombstone");
                    continue;
                }
                want.path("values").fields().forEachRemaining(f -> {
                    JsonNode g = last.path("values").get(f.getKey());
                    if (!close(g, f.getValue())) {
                        problems.add(tk + ": " + f.getKey() + "=" + g + ", want " + f.getValue());
                    }
                });
                want.path("sources").fields().forEachRemaining(f -> {
                    String g = last.path("sources").path(f.getKey()).asText(null);
                    if (!f.getValue().asText().equals(g)) {
                        problems.add(tk + ": source of " + f.getKey() + " is " + g + ", want " + f.getValue());
                    }
                });
                if (want.has("ts") && (!last.path("ts").canConvertToLong() || want.get("ts").asLong() != last.path("ts").asLong())) {
                    problems.add(tk + ": ts " + last.path("ts") + ", want " + want.get("ts"));
                }
                if (want.has("keys") && !want.get("keys").equals(last.path("keys"))) {
                    problems.add(tk + ": keys " + last.path("keys") + ", want " + want.get("keys"));
                }
                if (want.has("emissions") && want.get("emissions").asInt() != got.size()) {
                    problems.add(tk + ": " + got.size() + " emissions, want " + want.get("emissions"));
                }
            }
        }
        // Optional (our scenarios only; run.py ignores it): the exact line order of stitched.jsonl, as
        // "topic/key/revision" ("topic/key/-" for a tombstone), for orders across keys and joins (DESIGN §6).
        if (exp.has("order")) {
            List<String> want = new ArrayList<>();
            exp.get("order").forEach(o -> want.add(o.asText()));
            List<String> got = new ArrayList<>();
            stitched.forEach(r -> got.add(r.get("topic").asText() + "/" + r.get("key").asText() + "/"
                    + (r.get("value") == null || r.get("value").isNull() ? "-" : r.get("value").path("revision").asText())));
            if (!want.equals(got)) {
                problems.add("stitched.jsonl order " + got + ", want " + want);
            }
        }
        exp.path("absent").forEach(a -> {
            if (byKey.containsKey(a.asText())) {
                problems.add(a.asText() + ": emitted, but must not be");
            }
        });
        if (exp.has("dlq")) {
            List<String> want = new ArrayList<>();
            exp.get("dlq").forEach(x -> want.add(x.get("key").asText()));
            List<String> got = new ArrayList<>();
            dlq.forEach(x -> got.add(x.path("key").asText()));
            want.sort(null);
            got.sort(null);
            if (!want.equals(got)) {
                problems.add("dlq keys " + got + ", want " + want);
            }
            dlq.forEach(x -> {
                if (x.path("error").asText("").isEmpty()) {
                    problems.add("dlq record for " + x.path("key") + " gives no error reason");
                }
            });
        }
        return problems;
    }

    private static boolean close(JsonNode got, JsonNode want) {
        if (got == null) {
            return false;
        }
        if (got.isNumber() && want.isNumber() && (got.isFloatingPointNumber() || want.isFloatingPointNumber())) {
            return Math.abs(got.asDouble() - want.asDouble()) < 1e-9;
        }
        if (got.isNumber() && want.isNumber()) {
            return got.asLong() == want.asLong();
        }
        return got.equals(want);
    }
}
