package io.splice.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18.2: deploy/prometheus/splice-rules.yaml passes {@code promtool check rules}, its unit tests
 * (splice-rules.test.yaml) pass {@code promtool test rules}, and every alert has a unit test in which it fires
 * and one in which it does not.
 */
class PromtoolTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void rulesAreValid() throws Exception {
        Tools.Result r = Tools.run(60, "promtool", "check", "rules", Tools.RULES.toString());
        assertEquals(0, r.exitCode(), "promtool check rules:\n" + r.output());
    }

    @Test
    void unitTestsOfTheRulesPass() throws Exception {
        // promtool resolves rule_files relative to the test file
        Tools.Result r = Tools.run(120, "promtool", "test", "rules", Tools.RULE_TESTS.toString());
        assertEquals(0, r.exitCode(), "promtool test rules:\n" + r.output());
        assertTrue(r.output().contains("SUCCESS"), r.output());
    }

    @Test
    void everyAlertIsTestedFiringAndNotFiring() throws Exception {
        Set<String> alerts = new TreeSet<>();
        for (JsonNode group : YAML.readTree(Tools.RULES.toFile()).path("groups")) {
            group.path("rules").forEach(rule -> {
                if (rule.has("alert")) {
                    alerts.add(rule.path("alert").asText());
                }
            });
        }
        Set<String> fires = new TreeSet<>();
        Set<String> silent = new TreeSet<>();
        for (JsonNode test : YAML.readTree(Tools.RULE_TESTS.toFile()).path("tests")) {
            for (JsonNode t : test.path("alert_rule_test")) {
                (t.path("exp_alerts").isEmpty() ? silent : fires).add(t.path("alertname").asText());
            }
        }
        assertTrue(alerts.size() >= 10, "alerts: " + alerts);
        assertEquals(alerts, fires, "alerts with a unit test in which they fire");
        assertEquals(alerts, silent, "alerts with a unit test in which they do not fire");
    }
}
