package io.splice.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorldTest {
    private static final World.Settings SMALL = new World.Settings(3, 50, 20, 4, LocalDate.parse("2025-10-08"), 7);

    @Test
    void theSameSeedGivesTheSameWorld() {
        // Given two worlds of the same settings
        World a = World.generate(SMALL);
        World b = World.generate(SMALL);

        // Then they are equal, and another seed differs
        assertEquals(a.requests(), b.requests());
        assertEquals(a.transactions(), b.transactions());
        assertNotEquals(a.requests(), World.generate(new World.Settings(3, 50, 20, 4, SMALL.endExclusive(), 8)).requests());
    }

    @Test
    void theFirstDayIsUnloggedTheOutageHasNoLogsAndEveryDayHasRowsToBackfill() {
        // Given a three-day world with a four-hour outage
        World w = World.generate(SMALL);

        // Then no log falls on the first day or into the outage window
        assertEquals(List.of(LocalDate.parse("2025-10-05"), LocalDate.parse("2025-10-06"), LocalDate.parse("2025-10-07")), w.days());
        for (World.LogRecord l : w.logs()) {
            assertTrue(l.ts() >= World.millis(w.days().get(1)), "a log on the unlogged day");
            assertTrue(l.ts() < w.outageStart().toEpochMilli() || l.ts() >= w.outageEnd().toEpochMilli(), "a log in the outage");
        }
        // and every day has left rows for the backfill (its left table has a partition per day)
        for (LocalDate d : w.days()) {
            assertTrue(w.backfillRows().stream().anyMatch(r -> r.day().equals(d)), "no backfill row on " + d);
        }
        // and every request is logged or backfilled
        assertEquals(w.requests().size(), w.logs().size() + w.backfillRows().stream()
                .filter(r -> r.logState() != World.LogState.PARTIAL).count());
    }

    @Test
    void loggedFeaturesArePointInTimeCorrect() {
        // Given a world
        World w = World.generate(SMALL);

        // Then txn_count_1h of every request counts its card's payments in [t - 1h, t) (its own payment comes after t)
        for (World.Request r : w.requests().subList(0, 200)) {
            long expected = w.transactions().stream().filter(t -> t.cardId().equals(r.cardId())
                    && t.ts() >= r.ts() - 3_600_000L && t.ts() < r.ts()).count();
            assertEquals(expected, r.features().get("txn_count_1h"), r.requestId());
        }
    }

    @Test
    void theExpectedSourcesCoverEveryValueAndEveryKindShowsUp() {
        // Given a world
        World w = World.generate(SMALL);

        // When its stitched sources are predicted
        Map<LocalDate, Map<String, Long>> expected = w.expectedSources();

        // Then every value has one, and each kind occurs
        long values = expected.values().stream().flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum();
        assertEquals(w.requests().size() * (long) World.FEATURES.size(), values);
        for (String kind : Coverage.KINDS) {
            assertTrue(expected.values().stream().anyMatch(m -> m.get(kind) > 0), kind + " never occurs");
        }
        assertEquals(List.of("undecodable", "missing-row-id", "wrong-type", "unknown-feature"),
                w.badLogs().stream().map(World.BadLog::reason).toList());
    }

    @Test
    void theBackfillInputsArePartitionedByDay(@TempDir Path dir) throws Exception {
        // Given a world
        World w = World.generate(SMALL);

        // When its tables are written
        Path txns = w.writeTransactions(dir);
        Path left = w.writeLeftRows(dir);

        // Then the payments start a day early (the 24 h windows need history) and the left rows cover every day
        try (Stream<Path> s = Files.list(txns)) {
            assertEquals(List.of("ds=2025-10-04", "ds=2025-10-05", "ds=2025-10-06", "ds=2025-10-07"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        long lines = lines(left);
        // (the rows no log covers, plus the consistency sample of logged rows)
        assertEquals(w.leftRows().size(), lines);
        assertEquals(w.backfillRows().size() + w.consistencySampleRows().size(), w.leftRows().size());
        assertTrue(Files.readString(left.resolve("ds=2025-10-05/part-00000.jsonl")).contains("\"request_id\":\"req-"));
    }

    @Test
    void theWorldPlantsASkewOnTheLastDayOnlyAndSamplesLoggedRowsForConsistency(@TempDir Path dir) throws Exception {
        World w = World.generate(SMALL);
        // the sample is a tenth of the fully logged requests, none of them backfilled otherwise
        long logged = w.requests().stream().filter(r -> r.logState() == World.LogState.LOGGED).count();
        assertTrue(w.consistencySampleRows().size() > logged / 20 && w.consistencySampleRows().size() < logged / 5,
                w.consistencySampleRows().size() + " of " + logged);
        assertTrue(w.consistencySampleRows().stream().noneMatch(World.Request::backfilled));
        // served declined_count_24h differs from the true value only on the last day, and there for some requests
        Map<String, World.Request> byId = new java.util.HashMap<>();
        w.requests().forEach(r -> byId.put(r.requestId(), r));
        long skewed = 0;
        for (World.LogRecord l : w.logs()) {
            World.Request r = byId.get(l.context().get("request_id"));
            if (!l.values().get("declined_count_24h").equals(r.features().get("declined_count_24h"))) {
                assertEquals(w.lastDay(), r.day());
                assertTrue((Long) l.values().get("declined_count_24h") < (Long) r.features().get("declined_count_24h"));
                skewed++;
            }
        }
        assertTrue(skewed > 0);
        Map<String, long[]> expected = w.expectedConsistency();
        assertTrue(expected.get("declined_count_24h")[1] > 0 && expected.get("txn_count_1h")[1] == 0);
        // labels: 95 % of the requests, filed by the day they became known (up to three days late)
        Path labels = w.writeLabels(dir);
        long lines = lines(labels);
        assertEquals(w.labelledRequests().size(), lines);
        assertTrue(lines > w.requests().size() * 0.9 && lines < w.requests().size());
    }

    @Test
    void settingsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new World.Settings(1, 10, 10, 2, LocalDate.now(), 1));
        assertThrows(IllegalArgumentException.class, () -> new World.Settings(3, 0, 10, 2, LocalDate.now(), 1));
        assertThrows(IllegalArgumentException.class, () -> new World.Settings(3, 10, 0, 2, LocalDate.now(), 1));
        assertThrows(IllegalArgumentException.class, () -> new World.Settings(3, 10, 10, 19, LocalDate.now(), 1));
    }

    /** The lines of every file under {@code root}. */
    private static long lines(Path root) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.readAllLines(p).size();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sum();
        }
    }
}
