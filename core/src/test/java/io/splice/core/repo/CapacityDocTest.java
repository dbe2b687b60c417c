package io.splice.core.repo;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** docs/capacity.md's tables are what bench/capacity/capacity.py derives from bench/results/summary.json. */
class CapacityDocTest {
    @Test
    void theCapacityTablesAreCurrent() throws Exception {
        Path root = DocsLinksTest.ROOT;
        Process p = new ProcessBuilder("python3", root.resolve("bench/capacity/capacity.py").toString(), "--check")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "capacity.py did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "docs/capacity.md is stale: " + out);
        assertTrue(Files.readString(root.resolve("docs/capacity.md")).contains("| 1,000,000 |"), "the 1M logs/s row");
    }
}
