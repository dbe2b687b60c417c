package io.splice.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole demo on the local stack with small parameters: Kafka, registry, S3, Feature Store, Connect with both
 * sinks, the Spark backfill as a child process ({@code ./splice backfill}, built by the launcher if needed) and the
 * stitching app.
 */
class DemoEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theDemoStitchesEveryRequestAndTheStoresAgreeWithTheTopic(@TempDir Path out) throws Exception {
        // Given a small world: 2 days (the first unlogged), 30 cards, 12 requests an hour, a 3-hour outage
        Demo.Options o = new Demo.Options(2, 30, 12, 3, 11, 2, out, Duration.ofSeconds(150), LocalDate.now(ZoneOffset.UTC));
        Set<String> tempBefore = demoTempDirs();

        // When the demo runs
        DemoSummary s = Demo.run(o, new Progress(System.err, true));
        JsonNode j = JSON.readTree(s.toJson());

        // Then every scoring request is a stitched row, and S3's latest revisions are exactly those rows
        World w = s.world();
        assertEquals(w.requests().size(), j.get("rows_stitched").asLong());
        assertEquals(j.get("rows_stitched").asLong(), j.at("/s3/latest_rows").asLong());
        // and S3 holds every stitched record (all revisions) once
        assertEquals(j.get("stitched_records").asLong(), j.at("/s3/rows").asLong());
        assertTrue(j.at("/s3/objects").asLong() >= 1);

        // and the values by source add up to rows x features, each kind where the merge rules put it
        long sum = 0;
        for (String k : Coverage.KINDS) {
            sum += j.at("/values_by_source/" + k).asLong();
        }
        assertEquals(j.get("rows_stitched").asLong() * World.FEATURES.size(), sum);
        Map<String, Map<String, Long>> perDay = new TreeMap<>();
        j.get("values_by_source_per_day").fields().forEachRemaining(e -> perDay.put(e.getKey(),
                JSON.convertValue(e.getValue(), JSON.getTypeFactory().constructMapType(Map.class, String.class, Long.class))));
        Map<String, Map<String, Long>> expected = new TreeMap<>();
        w.expectedSources().forEach((d, m) -> expected.put(d.toString(), m));
        assertEquals(expected, perDay);

        // and each bad record is one dead letter with its reason; the other join's logs are skipped, not dead letters
        assertEquals(w.badLogs().size(), j.at("/dlq/count").asLong());
        for (World.BadLog b : w.badLogs()) {
            assertEquals(1, j.at("/dlq/reasons/" + b.reason()).asLong(), b.reason() + " in " + j.get("dlq"));
        }
        assertEquals(w.otherJoinLogs().size(), j.get("logs_of_unknown_joins_skipped").asLong());

        // and the online store holds one record per card that had a request
        assertEquals(w.cardsWithRequests(), j.get("online_records").asLong());
        assertEquals(j.get("distinct_record_identifiers").asLong(), j.get("online_records").asLong());

        // and the app counted served vs computed values exactly where the world has both, finding the planted skew
        // of declined_count_24h on the last day; splice consistency's report over the offline table says the same
        Map<String, long[]> expectedConsistency = w.expectedConsistency();
        long compared = 0;
        long mismatched = 0;
        for (Map.Entry<String, long[]> e : expectedConsistency.entrySet()) {
            JsonNode c = j.at("/consistency/app_counters/" + e.getKey());
            assertEquals(e.getValue()[0], c.path("compared").asLong(), e.getKey() + " compared in " + j.get("consistency"));
            assertEquals(e.getValue()[1], c.path("mismatched").asLong(), e.getKey() + " mismatched in " + j.get("consistency"));
            compared += e.getValue()[0];
            mismatched += e.getValue()[1];
        }
        assertTrue(expectedConsistency.get("declined_count_24h")[1] > 0, "the world plants a skew");
        assertEquals(0, expectedConsistency.get("txn_count_1h")[1]);
        assertEquals(compared, j.at("/consistency/report_compared").asLong(), j.get("consistency").toString());
        assertEquals(mismatched, j.at("/consistency/report_mismatched").asLong(), j.get("consistency").toString());

        // and the training set has a row per request, the served share of fully logged requests, and the labels known
        assertEquals(w.requests().size(), j.at("/training_set/rows").asLong());
        assertEquals(w.requests().stream().filter(r -> r.logState() == World.LogState.LOGGED).count(),
                j.at("/training_set/served_rows").asLong());
        assertEquals(w.labelledRequests().size(), j.at("/training_set/rows_with_label").asLong());
        assertTrue(Files.isRegularFile(out.resolve("training-set/_MANIFEST.json")));

        // and the report and the summary were written to the output folder
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<svg id=\"chart-days\""));
        assertTrue(html.contains("<svg id=\"chart-consistency\""));
        for (LocalDate d : w.days()) {
            assertTrue(html.contains("data-day=\"" + d + "\""), "no bar for " + d);
        }
        assertEquals(j.get("rows_stitched"), JSON.readTree(Files.readString(out.resolve("summary.json"))).get("rows_stitched"));
        assertTrue(j.get("seconds").asDouble() > 0);

        // and nothing it started is left: no child process, no temporary directory
        for (ProcessHandle child : ProcessHandle.current().descendants().toList()) {
            child.onExit().get(15, TimeUnit.SECONDS);
        }
        assertEquals(List.of(), ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .map(p -> p.info().commandLine().orElse("?")).toList());
        assertEquals(tempBefore, demoTempDirs());
    }

    private static Set<String> demoTempDirs() {
        String[] names = new File(System.getProperty("java.io.tmpdir")).list((d, n) -> n.startsWith("splice-demo-"));
        return names == null ? Set.of() : new HashSet<>(Arrays.asList(names));
    }
}
