package io.splice.demo;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StackSessionTest {

    @Test
    void theStackRunsEverySinkAndPrintsWhatTheOtherToolsNeed() throws Exception {
        Path dir;
        // Given `splice stack` with the demo's definitions
        try (StackSession session = StackSession.start(null, null, 2, Progress.silent())) {
            dir = session.appPropertiesFile().getParent();

            // Then app.properties points `splice run` at a broker that answers
            Properties app = new Properties();
            app.load(new StringReader(Files.readString(session.appPropertiesFile())));
            assertEquals(session.stack().bootstrapServers(), app.getProperty("bootstrap.servers"));
            assertEquals(session.stack().schemaRegistryUrl(), app.getProperty("schema.registry.url"));
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", app.getProperty("bootstrap.servers")))) {
                assertEquals(1, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
                assertTrue(admin.listTopics().names().get().contains("splice.stitched.payments.v1"));
            }

            // and both sinks run in Connect, as its REST API says
            HttpClient http = HttpClient.newHttpClient();
            URI rest = session.stack().connect().restUrl();
            for (String c : new String[]{DemoStack.S3_CONNECTOR, DemoStack.FS_CONNECTOR}) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(rest.resolve("/connectors/" + c + "/status")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(r.body().contains("\"state\":\"RUNNING\""), r.body());
            }
            // and the offline bucket and the online feature group exist
            assertTrue(session.stack().s3Client().listBuckets().buckets().stream().anyMatch(b -> b.name().equals("splice-demo")));
            assertTrue(session.stack().featureStore().featureGroup("payments_v1").isPresent());

            // and the printout names every endpoint and ready command lines
            String text = session.describe();
            for (String s : session.stack().endpoints().values()) {
                assertTrue(text.contains(s), "missing " + s);
            }
            assertTrue(text.contains("./splice run --definitions " + session.definitionsFile() + " --config " + session.appPropertiesFile()));
            assertTrue(text.contains("./splice backfill --definitions " + session.definitionsFile() + " --join payments --version v1"));
            assertTrue(text.contains("--publish --bootstrap-servers " + session.stack().bootstrapServers()));
        }
        // When it is stopped, Then its temporary directory is gone
        assertFalse(Files.exists(dir));
    }

    @Test
    void withThreeBrokersAndTwoConnectWorkersEveryTopicIsReplicatedThreeTimesAndTheSinksRunDistributed() throws Exception {
        java.util.List<ProcessHandle> processes = new java.util.ArrayList<>();
        // Given `splice stack --brokers 3 --connect-workers 2`
        try (StackSession session = StackSession.start(null, null, 2, 3, 2, Progress.silent())) {
            io.splice.local.LocalCluster cluster = session.stack().cluster().orElseThrow();
            io.splice.local.connect.DistributedConnect workers = session.stack().distributedConnect().orElseThrow();
            cluster.nodeIds().forEach(id -> processes.add(cluster.process(id).orElseThrow()));
            workers.workerIds().forEach(id -> processes.add(workers.process(id).orElseThrow()));

            // Then app.properties asks `splice run` for RF 3 on a 3-broker cluster
            Properties app = new Properties();
            app.load(new StringReader(Files.readString(session.appPropertiesFile())));
            assertEquals("3", app.getProperty("splice.topic.replication.factor"));
            assertEquals(3, app.getProperty("bootstrap.servers").split(",").length);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", app.getProperty("bootstrap.servers")))) {
                assertEquals(3, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
                // and every topic the stack created has 3 replicas, one leader per node for the stitched topic's partitions
                for (var d : admin.describeTopics(session.stack().topicSpecs().stream().map(io.splice.local.TopicSpec::name).toList())
                        .allTopicNames().get(30, TimeUnit.SECONDS).values()) {
                    d.partitions().forEach(p -> assertEquals(3, p.replicas().size(), d.name() + " " + p));
                }
            }

            // and both sinks run on the two Connect workers against the cluster, with a dead-letter queue of RF 3 and
            // Connect's internal topics of RF 3
            HttpClient http = HttpClient.newHttpClient();
            URI rest = session.stack().connectRestUrl();
            for (String c : new String[]{DemoStack.S3_CONNECTOR, DemoStack.FS_CONNECTOR}) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(rest.resolve("/connectors/" + c + "/status")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertTrue(r.body().contains("\"state\":\"RUNNING\""), r.body());
                assertEquals(2, workers.taskWorkers(c).size(), "one task per partition: " + r.body());
            }
            assertEquals("3", session.stack().s3ConnectorConfig(session.definitionsFile())
                    .get("errors.deadletterqueue.topic.replication.factor"));
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", app.getProperty("bootstrap.servers")))) {
                for (var d : admin.describeTopics(java.util.List.of("splice-connect-configs", "splice-connect-offsets", "splice-connect-status"))
                        .allTopicNames().get(30, TimeUnit.SECONDS).values()) {
                    d.partitions().forEach(p -> assertEquals(3, p.replicas().size(), d.name() + " " + p));
                }
            }

            // and the printout names each node with its pid
            String text = session.describe();
            for (int id : cluster.nodeIds()) {
                assertTrue(text.contains(cluster.bootstrapServers(id) + "  pid " + cluster.process(id).orElseThrow().pid()), text);
            }

            // and the typed commands kill a broker and bring it back
            assertTrue(session.command("kill 2").startsWith("node 2: down"));
            assertFalse(cluster.isRunning(2));
            assertTrue(session.command("status").contains("node 2 " + cluster.bootstrapServers(2) + " down"));
            assertTrue(session.command("restart 2").startsWith("node 2: back in the cluster"));
            assertTrue(cluster.isRunning(2));
            assertTrue(session.command("kill 7").startsWith("no node 7"));

            // and a Connect worker killed by command leaves the connectors to the other, and comes back
            assertTrue(text.contains(workers.restUrl(2) + "  pid " + workers.process(2).orElseThrow().pid()), text);
            assertTrue(session.command("connect kill 2").startsWith("connect worker 2: down"), "connect kill 2");
            assertFalse(workers.isRunning(2));
            assertTrue(session.command("connect restart 2").startsWith("connect worker 2: healthy again"), "connect restart 2");
            processes.add(workers.process(2).orElseThrow());
            workers.awaitRunning(DemoStack.S3_CONNECTOR, java.time.Duration.ofSeconds(120));
            workers.awaitRunning(DemoStack.FS_CONNECTOR, java.time.Duration.ofSeconds(120));
        }
        // When it is stopped, Then no broker or Connect worker process is left
        for (ProcessHandle p : processes) {
            assertFalse(p.isAlive(), "process " + p.pid());
        }
    }
}
