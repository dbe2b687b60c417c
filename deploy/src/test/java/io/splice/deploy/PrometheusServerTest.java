package io.splice.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.splice.avro.FetchLog;
import io.splice.avro.serde.HttpSchemaRegistryClient;
import io.splice.avro.serde.SpliceAvroSerializer;
import io.splice.core.api.Definitions;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import io.splice.core.definitions.SemanticHasher;
import io.splice.local.SpliceStackExtension;
import io.splice.local.StackEndpoints;
import io.splice.local.connect.DistributedConnect;
import io.splice.local.featurestore.FeatureGroupSpec;
import io.splice.local.featurestore.FeatureStoreEndpoint;
import io.splice.streams.api.SpliceStreamsConfig;
import io.splice.streams.runtime.SpliceRuntime;
import io.splice.testing.Http;
import io.splice.testing.Kafka;
import io.splice.testing.Prometheus;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18.3: the real Prometheus server (Debian's package) on 127.0.0.1 scrapes a running {@code splice run} and a
 * Kafka Connect worker process (the Feature Store sink on the stitched topic, metrics through the JMX exporter agent
 * with deploy/prometheus/connect-jmx-exporter.yaml, job splice-connect) every second during a short workload (good
 * logs and undecodable ones) and evaluates deploy/prometheus/splice-rules.yaml.
 * Every PromQL expression of the rules and of deploy/grafana/splice.json then evaluates without error, every rule is
 * healthy in Prometheus' own rule evaluation, and the core panels of the dashboard return data.
 */
@ExtendWith(SpliceStackExtension.class)
class PrometheusServerTest {
    static final String YAML = """
            joins:
              - name: payments
                version: v1
                row_ids: [request_id]
                keys: [card_id]
                bootstrap_from_log: true
                online: {feature_group: payments_v1, record_identifier: card_id}
                parts:
                  - name: risk_ext
                    external: true
                    features:
                      - {name: risk, type: double}
            """;

    /** The dashboard's panels that must show data after the workload (the rest may be empty, e.g. thread failures). */
    static final String SINK = "featurestore-online";

    static final Set<String> CORE_PANELS = Set.of("Records in by source", "Stitched out", "Dead letters by reason",
            "Coverage by source", "Consumer lag (max per instance)", "State rows", "State bytes", "Process latency (avg)",
            "Instances up and ready", "Sink records sent", "Sink dead letters and retries", "Sink put time",
            "Merge time per record");

    @Test
    void everyExpressionOfTheRulesAndTheDashboardEvaluatesAgainstARealScrape(StackEndpoints stack) throws Exception {
        String prefix = Kafka.uniquePrefix("prom");
        Topics topics = new Topics(prefix);
        Definitions defs = DefinitionsLoader.parse(YAML, "prom.yaml", topics);
        String risk = SemanticHasher.hashes(defs).get("payments.v1").get("risk_ext");
        Path work = Files.createTempDirectory(Path.of("target"), "prometheus-");
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", stack.bootstrapServers());
        props.put(SpliceStreamsConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        props.put("application.id", prefix + "-app");
        props.put(SpliceStreamsConfig.TOPIC_PREFIX, prefix);
        props.put(SpliceStreamsConfig.TOPIC_PARTITIONS, 2);
        props.put(SpliceStreamsConfig.TOPIC_REPLICATION, 1);
        props.put(SpliceStreamsConfig.METRICS_PORT, 0);
        props.put("commit.interval.ms", 100);
        props.put("state.dir", Files.createDirectories(work.resolve("state")).toAbsolutePath().toString());
        HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.schemaRegistryUrl());
        try (FeatureStoreEndpoint featureStore = FeatureStoreEndpoint.start();
             DistributedConnect connect = DistributedConnect.builder(stack.bootstrapServers()).workers(1)
                     .groupId(prefix + "-connect").metricsAgent(Path.of("target/jmx-exporter/jmx_prometheus_javaagent.jar"),
                             Tools.RULES_DIR.resolve("connect-jmx-exporter.yaml")).start();
             SpliceRuntime app = new SpliceRuntime(defs, new SpliceStreamsConfig(props)).start();
             KafkaProducer<String, FetchLog> logs = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()),
                     new StringSerializer(), new SpliceAvroSerializer<>(registry));
             KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Kafka.producerProps(stack.bootstrapServers()),
                     new StringSerializer(), new ByteArraySerializer())) {
            await().atMost(Duration.ofSeconds(90)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            featureStore.createFeatureGroup(FeatureGroupSpec.of("payments_v1", "card_id", "EventTime"));
            connect.putConnector(SINK, featureStoreSink(stack, topics, defs, featureStore));
            connect.awaitRunning(SINK, Duration.ofSeconds(90));
            int connectMetrics = connect.metricsUrl(1).orElseThrow().getPort();
            Path config = work.resolve("prometheus.yml");
            Files.writeString(config, """
                    global: {scrape_interval: 1s, evaluation_interval: 1s}
                    rule_files: ['%s']
                    scrape_configs:
                      - job_name: splice
                        static_configs: [{targets: ['127.0.0.1:%d']}]
                      - job_name: splice-connect
                        static_configs: [{targets: ['127.0.0.1:%d']}]
                    """.formatted(Tools.RULES.toAbsolutePath(), app.metricsPort(), connectMetrics));
            try (PrometheusServer prometheus = PrometheusServer.start(config, work)) {
                // a short workload: 3 rounds of good logs and a few undecodable records, a second apart
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < 50; i++) {
                        int n = round * 50 + i;
                        logs.send(new ProducerRecord<>(topics.fetchLog(), "card-" + (n % 7), FetchLog.newBuilder()
                                .setJoin("payments").setVersion("v1").setTs(1_759_320_000_000L + n)
                                .setKeys(Map.of("card_id", "card-" + (n % 7))).setContext(Map.of("request_id", "r" + n))
                                .setValues(Map.of("risk", n * 1.0)).setPartHashes(Map.of("risk_ext", risk)).build()));
                    }
                    raw.send(new ProducerRecord<>(topics.fetchLog(), "bad-" + round, "not avro".getBytes(StandardCharsets.UTF_8)));
                    logs.flush();
                    raw.flush();
                    Thread.sleep(1000);
                }
                await().atMost(Duration.ofSeconds(60)).until(() ->
                        Prometheus.sum(Prometheus.scrape(app.metricsPort()), "splice_stitched_out_total") >= 150
                                && Prometheus.sum(Prometheus.scrape(app.metricsPort()), "splice_dlq_total") >= 3
                                && Prometheus.sum(Prometheus.scrape(connectMetrics), "kafka_connect_sink_task_sink_record_send") >= 150);
                Files.writeString(Path.of("target/splice-scrape.txt"), Prometheus.scrape(app.metricsPort()));
                Files.writeString(Path.of("target/connect-scrape.txt"), Prometheus.scrape(connectMetrics));
                // a few more scrapes after the workload, so that rate() over the window sees the counters move
                Thread.sleep(5000);
                assertEquals(200, Http.status(app.metricsPort(), "/health/ready"));
                check(prometheus);
            }
        }
    }

    private void check(PrometheusServer prometheus) throws Exception {
        JsonNode targets = prometheus.getJson("/api/v1/targets").path("data").path("activeTargets");
        assertEquals(2, targets.size(), targets.toString());
        for (JsonNode target : targets) {
            assertEquals("up", target.path("health").asText(), targets.toString());
        }

        List<String> failures = new ArrayList<>();
        // the rules: every expression evaluates as a query, and Prometheus' own evaluation of each rule is healthy
        Map<String, String> ruleExprs = ruleExpressions();
        assertTrue(ruleExprs.size() >= 10, "rules found: " + ruleExprs.keySet());
        for (Map.Entry<String, String> e : ruleExprs.entrySet()) {
            JsonNode answer = prometheus.query(e.getValue());
            if (!"success".equals(answer.path("status").asText())) {
                failures.add("rule " + e.getKey() + ": " + answer.path("error").asText() + " in " + e.getValue());
            }
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<String> unhealthy = new ArrayList<>();
            int evaluated = 0;
            for (JsonNode group : prometheus.getJson("/api/v1/rules").path("data").path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    evaluated++;
                    if (!"ok".equals(rule.path("health").asText())) {
                        unhealthy.add(rule.path("name").asText() + ": " + rule.path("health").asText() + " " + rule.path("lastError").asText());
                    }
                }
            }
            assertEquals(ruleExprs.size(), evaluated, "every rule loaded by the server");
            assertEquals(List.of(), unhealthy, "rules Prometheus evaluated with an error");
        });
        // recording rules return data for the workload
        for (String recorded : List.of("splice:records_in:rate1m", "splice:stitched_out:rate1m", "splice:dlq:rate5m")) {
            JsonNode answer = prometheus.query(recorded);
            if (answer.path("data").path("result").isEmpty()) {
                failures.add("recording rule " + recorded + " has no data");
            }
        }

        // the dashboard: every target of every panel evaluates; the core panels return data
        Set<String> seenCore = new TreeSet<>();
        for (Map.Entry<String, List<String>> panel : dashboardExpressions().entrySet()) {
            boolean data = false;
            for (String expr : panel.getValue()) {
                JsonNode answer = prometheus.query(expr);
                if (!"success".equals(answer.path("status").asText())) {
                    failures.add("panel '" + panel.getKey() + "': " + answer.path("error").asText() + " in " + expr);
                } else if (!answer.path("data").path("result").isEmpty()) {
                    data = true;
                }
            }
            if (CORE_PANELS.contains(panel.getKey())) {
                seenCore.add(panel.getKey());
                if (!data) {
                    failures.add("core panel '" + panel.getKey() + "' returned no data: " + panel.getValue());
                }
            }
        }
        assertEquals(new TreeSet<>(CORE_PANELS), seenCore, "core panels present in the dashboard");
        assertEquals(List.of(), failures, "scrapes in target/splice-scrape.txt and target/connect-scrape.txt; prometheus log: "
                + prometheus.log());
    }

    /** The Feature Store sink on the join's stitched topic, as deployments configure it, against the local endpoint. */
    private static Map<String, String> featureStoreSink(StackEndpoints stack, Topics topics, Definitions defs,
                                                        FeatureStoreEndpoint featureStore) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.class", "io.splice.connectors.featurestore.FeatureStoreSinkConnector");
        c.put("topics", topics.stitched(defs.joins().get(0)));
        c.put("tasks.max", "2");
        c.put("splice.definitions.yaml", YAML);
        c.put("splice.topic.prefix", topics.prefix());
        c.put("schema.registry.url", stack.schemaRegistryUrl());
        c.put("aws.region", "us-east-1");
        c.put("aws.access.key.id", "local");
        c.put("aws.secret.access.key", "local");
        c.put("aws.endpoint.override", featureStore.endpoint().toString());
        c.put("featurestore.control.endpoint.override", featureStore.endpoint().toString());
        c.put("errors.tolerance", "all");
        c.put("errors.deadletterqueue.topic.name", topics.prefix() + ".connect-dlq");
        c.put("errors.deadletterqueue.topic.replication.factor", "1");
        c.put("consumer.override.isolation.level", "read_committed");
        c.put("consumer.override.auto.offset.reset", "earliest");
        return c;
    }

    /** Every rule of deploy/prometheus/splice-rules.yaml: alert or record name → expression. */
    static Map<String, String> ruleExpressions() throws Exception {
        JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(Tools.RULES.toFile());
        Map<String, String> exprs = new LinkedHashMap<>();
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.has("alert") ? rule.path("alert").asText() : rule.path("record").asText();
                exprs.put(name, rule.path("expr").asText());
            }
        }
        return exprs;
    }

    /** Panel title → the PromQL of its targets, with the dashboard's variables replaced by what they select. */
    static Map<String, List<String>> dashboardExpressions() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Tools.DASHBOARD.toFile());
        Map<String, List<String>> panels = new LinkedHashMap<>();
        List<JsonNode> all = new ArrayList<>();
        dashboard.path("panels").forEach(p -> {
            all.add(p);
            p.path("panels").forEach(all::add); // collapsed rows keep their panels inside
        });
        for (JsonNode panel : all) {
            List<String> exprs = new ArrayList<>();
            panel.path("targets").forEach(t -> exprs.add(substitute(t.path("expr").asText())));
            if (!exprs.isEmpty()) {
                panels.put(panel.path("title").asText(), exprs);
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                String q = variable.path("query").isObject() ? variable.path("query").path("query").asText() : variable.path("query").asText();
                // label_values(metric, label) is Grafana's, not PromQL: its metric selector must evaluate
                String selector = q.replaceAll("^label_values\\((.*),\\s*\\w+\\)$", "$1");
                panels.put("variable " + variable.path("name").asText(), List.of(substitute(selector)));
            }
        }
        return panels;
    }

    /** Grafana's variables as the dashboard's defaults select them ("All" = any value). */
    static String substitute(String expr) {
        return expr.replace("$__rate_interval", "1m").replace("$__interval", "15s").replace("$__range", "5m")
                .replace("${job}", "splice").replace("$job", "splice")
                .replaceAll("\\$\\{?(join|instance|source|reason)}?", ".*");
    }
}
