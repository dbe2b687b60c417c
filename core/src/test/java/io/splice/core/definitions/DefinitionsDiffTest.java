package io.splice.core.definitions;

import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.cli.DefinitionsCommand;
import io.splice.core.definitions.DefinitionsDiff.PartChange;
import io.splice.testing.Feature;
import io.splice.testing.JoinYaml;
import io.splice.testing.Joins;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `splice definitions diff` and the rule `splice run` applies before a rolling restart (issue 14.3). */
class DefinitionsDiffTest {
    static JoinYaml join(String version, String rowIds, String amtWindow) {
        return Joins.payments(version).rowIds(rowIds.split(", "))
                .part("card_txn", "transactions", "card_id", Joins.CNT, Feature.sum("amt", "amount", amtWindow))
                .parts(Joins.RISK_EXT);
    }

    static Definitions defs(JoinYaml... joins) {
        return DefinitionsLoader.parse(JoinYaml.yaml(joins), "test.yaml", Topics.defaults());
    }

    @Test
    void addingAVersionIsSafeAndEveryPartOfItIsNew() {
        DefinitionsDiff d = DefinitionsDiff.between(defs(join("v1", "request_id", "24h")),
                defs(join("v1", "request_id", "24h"), join("v2", "request_id", "7d")));
        assertTrue(d.safe());
        assertEquals("unchanged", d.joins().get(0).status());
        assertEquals(Map.of("card_txn", PartChange.NEW, "risk_ext", PartChange.NEW), d.joins().get(1).parts());
        assertTrue(d.render().endsWith("rolling restart: safe (every existing join keeps its state and output)\n"), d.render());
    }

    @Test
    void aChangedWindowIsAChangedHashThatNeedsABackfill() {
        DefinitionsDiff d = DefinitionsDiff.between(defs(join("v1", "request_id", "24h")), defs(join("v1", "request_id", "12h")));
        assertTrue(d.safe());
        assertEquals(PartChange.CHANGED, d.joins().get(0).parts().get("card_txn"));
        assertEquals(PartChange.UNCHANGED, d.joins().get(0).parts().get("risk_ext"));
    }

    @Test
    void changingRowIdsOfARunningJoinIsUnsafeAndSaysWhatToDo() {
        DefinitionsDiff d = DefinitionsDiff.between(defs(join("v1", "request_id", "24h")),
                defs(join("v1", "request_id, session_id", "24h")));
        assertFalse(d.safe());
        assertEquals(1, d.problems().size());
        assertTrue(d.problems().get(0).startsWith("payments.v1: row_ids changed from [request_id] to [request_id, session_id]"),
                d.problems().get(0));
        assertTrue(d.problems().get(0).contains("new version"), d.problems().get(0));
    }

    @Test
    void removingAJoinLeavesTheOthersUntouched() {
        DefinitionsDiff d = DefinitionsDiff.between(defs(join("v1", "request_id", "24h"), join("v2", "request_id", "7d")),
                defs(join("v2", "request_id", "7d")));
        assertTrue(d.safe());
        assertTrue(d.joins().get(0).status().startsWith("removed"));
        assertEquals("unchanged", d.joins().get(1).status());
    }

    @Test
    void theCommandExitsThreeWhenUnsafe() throws Exception {
        Path dir = Files.createTempDirectory("diff");
        Path from = Files.writeString(dir.resolve("old.yaml"), join("v1", "request_id", "24h").yaml());
        Path to = Files.writeString(dir.resolve("new.yaml"), join("v1", "session_id", "24h").yaml());
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new DefinitionsCommand()).setOut(new PrintWriter(out));
        assertEquals(3, cli.execute("diff", "--from", from.toString(), "--to", to.toString()));
        assertTrue(out.toString().contains("UNSAFE: row_ids changed"), out.toString());
        assertEquals(0, cli.execute("diff", "--from", from.toString(), "--to", from.toString()));
    }
}
