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
}
