package io.splice.connectors.it;

import io.splice.local.EmbeddedKafkaBroker;
import io.splice.local.connect.ConnectWorker;
import io.splice.local.featurestore.FeatureGroupSpec;
import io.splice.local.featurestore.FeatureStoreEndpoint;
import io.splice.local.featurestore.Write;
import io.splice.local.s3.S3Endpoint;
import io.splice.testing.Joins;
import io.splice.testing.Kafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Run in a child JVM by {@link PluginJarIT}, with the connectors' classes NOT on the class path: the plugin jar in
 * {@code args[0]} is the only source of the connectors (plugin.path, service_load, plugin isolation). Tombstones
 * need no schema registry, so they go through both sinks and their AWS SDK clients inside the plugin's loader.
 * Prints {@code PLUGIN-OK ...} and exits 0 on success.
 */
public final class PluginJarMain {
    private static final String TOPIC = "splice.stitched.cards.v1";
    private static final String YAML = Joins.cards().yaml();

    private PluginJarMain() {
    }

    public static void main(String[] args) {
        try {
            Class.forName("io.splice.connectors.s3.S3OfflineSinkConnector");
            System.out.println("PLUGIN-FAIL the connectors are on the class path");
            System.exit(2);
        } catch (ClassNotFoundException expected) {
            // good: only the plugin jar has them
        }
        int n = 25;
        try (EmbeddedKafkaBroker kafka = new EmbeddedKafkaBroker().start();
             S3Endpoint s3 = S3Endpoint.transientStore();
             FeatureStoreEndpoint fs = FeatureStoreEndpoint.start();
             ConnectWorker connect = ConnectWorker.start(kafka.bootstrapServers(), Map.of("plugin.path", args[0]));
             S3Client client = S3Client.builder().endpointOverride(s3.endpoint()).forcePathStyle(true).region(Region.US_EAST_1)
                     .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b"))).build()) {
            kafka.createTopic(TOPIC, 1, true);
            client.createBucket(b -> b.bucket("lake"));
            fs.createFeatureGroup(FeatureGroupSpec.of("cards_v1", "card_id", "EventTime"));
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Kafka.producerProps(kafka.bootstrapServers()),
                    new StringSerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < n; i++) {
                    producer.send(new ProducerRecord<>(TOPIC, 0, "k" + i, null));
                }
            }
            Map<String, String> common = new HashMap<>();
            common.put("topics", TOPIC);
            common.put("splice.definitions.yaml", YAML);
            common.put("schema.registry.url", "mock://plugin-check");
            common.put("aws.region", "us-east-1");
            common.put("aws.access.key.id", "a");
            common.put("aws.secret.access.key", "b");
            Map<String, String> s3c = new HashMap<>(common);
            s3c.put("connector.class", "io.splice.connectors.s3.S3OfflineSinkConnector");
            s3c.put("aws.endpoint.override", s3.endpoint().toString());
            s3c.put("s3.path.style.access", "true");
            s3c.put("s3.prefix", "s3://lake/offline");
            s3c.put("flush.size", Integer.toString(n));
            Map<String, String> fsc = new HashMap<>(common);
            fsc.put("connector.class", "io.splice.connectors.featurestore.FeatureStoreSinkConnector");
            fsc.put("aws.endpoint.override", fs.endpoint().toString());
            fsc.put("featurestore.control.endpoint.override", fs.endpoint().toString());
            connect.startConnector("s3", s3c);
            connect.startConnector("fs", fsc);
            connect.awaitRunning("s3", Duration.ofSeconds(60));
            connect.awaitRunning("fs", Duration.ofSeconds(60));
            String location = connect.herder().plugins().sinkConnectors().stream()
                    .filter(d -> d.className().startsWith("io.splice")).map(d -> d.location()).distinct()
                    .reduce((a, b) -> a + "," + b).orElse("none");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long objects = 0;
            long lookups = 0;
            while (System.nanoTime() < deadline) {
                objects = client.listObjectsV2(b -> b.bucket("lake").prefix("offline/cards_v1/")).keyCount();
                // each tombstone reads its card's online record (GetRecord); no record, so no DeleteRecord follows
                lookups = fs.calls("GetRecord");
                if (objects == 1 && lookups == n) {
                    break;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            long deletes = fs.writes().stream().filter(w -> w.operation() == Write.Operation.DELETE).count();
            boolean ok = objects == 1 && lookups == n && deletes == 0;
            System.out.println((ok ? "PLUGIN-OK" : "PLUGIN-FAIL") + " objects=" + objects + " lookups=" + lookups
                    + " deletes=" + deletes + " location=" + location);
            System.out.flush();
            if (!ok) {
                System.exit(1);
            }
        } catch (Exception e) {
            e.printStackTrace(System.out);
            System.out.println("PLUGIN-FAIL " + e);
            System.exit(1);
        }
        System.exit(0);
    }
}
