package io.splice.core.offline;

import io.splice.core.offline.LatestRevision.Position;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatestRevisionTest {

    @Test
    @DisplayName("the latest revision is ordered by (kafka_partition, kafka_offset), never by revision")
    void orderIsPartitionThenOffset() {
        assertTrue(new Position(0, 11).isAfter(new Position(0, 10)));
        assertFalse(new Position(0, 10).isAfter(new Position(0, 10)), "the same record does not supersede itself");
        assertTrue(new Position(1, 0).isAfter(new Position(0, 999)), "partition first, then offset: a total order");
        assertTrue(new Position(0, 0).isAfter(null));
        List<Position> sorted = new ArrayList<>(List.of(new Position(1, 2), new Position(0, 7), new Position(1, 1)));
        sorted.sort(null);
        assertEquals(List.of(new Position(0, 7), new Position(1, 1), new Position(1, 2)), sorted);
        assertEquals("kafka_partition DESC, kafka_offset DESC", LatestRevision.newestFirstSql());
        assertEquals("struct(kafka_partition, kafka_offset)", LatestRevision.orderKeySql());
        assertEquals(List.of("kafka_partition", "kafka_offset"), LatestRevision.missing(List.of("row_key", "IS_DELETED", "revision")));
        assertEquals(List.of(), LatestRevision.missing(List.of("row_key", "is_deleted", "kafka_partition", "kafka_offset")));
    }

    @Test
    @DisplayName("the ds rule and the tombstone headers")
    void dsAndHeaders() {
        assertEquals("2025-10-01", OfflineColumns.ds(1_759_363_199_999L));
        assertEquals("2025-10-02", OfflineColumns.ds(1_759_363_200_000L));
        assertEquals(42L, TombstoneHeaders.decode(TombstoneHeaders.encode(42)));
        assertEquals(42L, TombstoneHeaders.decode("42"));
        assertEquals(42L, TombstoneHeaders.decode((byte) 42), "Connect's SimpleHeaderConverter parses \"42\" as INT8");
        assertEquals(1_759_363_200_000L, TombstoneHeaders.decode(1_759_363_200_000L));
        assertNull(TombstoneHeaders.decode(null));
        assertNull(TombstoneHeaders.decode("x"));
    }

    @Test
    @DisplayName("the README's query of the latest live revision per row is the one defined here")
    void readmeQueryIsTheDefinedOne() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !(Files.exists(root.resolve("README.md")) && Files.isDirectory(root.resolve("core")))) {
            root = root.getParent(); // the repository's root, above the module
        }
        assertTrue(root != null, "README.md not found");
        List<Path> docs = new ArrayList<>();
        docs.add(root.resolve("README.md"));
        if (Files.isDirectory(root.resolve("docs"))) {
            try (Stream<Path> s = Files.walk(root.resolve("docs"))) {
                s.filter(p -> p.toString().endsWith(".md")).forEach(docs::add);
            }
        }
        String query = LatestRevision.latestSql("payments_v2", true);
        boolean found = false;
        for (Path p : docs) {
            found |= Files.exists(p) && Files.readString(p).contains(query);
        }
        assertTrue(found, "README.md (or docs/) shows the latest live revision query:\n" + query);
    }
}
