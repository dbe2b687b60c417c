package io.splice.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.splice.core.api.Definitions;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.PartDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.DefinitionsLoader;
import org.junit.jupiter.api.Test;

import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18.5: docker/compose.yaml, which CI cannot run (no Docker engine), checked against the repository: every image
 * (of a service or a Dockerfile's FROM) is pinned by version, every service the issue names is there, what the
 * services mount, build and copy exists, and hosts, ports and settings agree between the compose file,
 * docker/app.properties, docker/connect-distributed.properties, the connector configs of docker/connectors and
 * examples/joins.yaml.
 */
class ComposeFileTest {
    static final Path DOCKER = Tools.REPO.resolve("docker");
    static final Path COMPOSE = DOCKER.resolve("compose.yaml");
    /** A tag with a version: at least two numbers joined by '.' or '-' (4.1.0, 2.4.2.Final, RELEASE.2025-04-22…). */
    static final Pattern VERSION_TAG = Pattern.compile(".*\\d+[.-]\\d+.*");

    final JsonNode services;
    final Properties app = properties(DOCKER.resolve("app.properties"));
    final Properties worker = properties(DOCKER.resolve("connect-distributed.properties"));
    final Definitions definitions = DefinitionsLoader.load(Tools.REPO.resolve("examples/joins.yaml"), Topics.defaults());

    ComposeFileTest() throws Exception {
        services = new ObjectMapper(new YAMLFactory()).readTree(COMPOSE.toFile()).path("services");
    }

    @Test
    void theServicesOfTheIssueAreThere() {
        Set<String> names = new TreeSet<>();
        services.fieldNames().forEachRemaining(names::add);
        assertTrue(names.containsAll(List.of("kafka", "registry", "minio", "featurestore", "connect", "app", "backfill")),
                "services: " + names);
        // the one-shots end: nothing restarts them
        for (String oneShot : List.of("backfill", "minio-setup", "connect-setup")) {
            assertEquals("no", services.path(oneShot).path("restart").asText(), oneShot + " is a one-shot service");
        }
        // every dependency is a service of the file
        for (Map.Entry<String, JsonNode> s : fields(services)) {
            for (String dep : dependencies(s.getValue())) {
                assertTrue(names.contains(dep), s.getKey() + " depends on unknown service " + dep);
            }
        }
    }

    @Test
    void everyImageIsPinnedByVersionAndEveryBuildAndMountExists() throws Exception {
        List<String> images = new ArrayList<>();
        for (Map.Entry<String, JsonNode> s : fields(services)) {
            JsonNode service = s.getValue();
            if (service.has("image")) {
                images.add(s.getKey() + ": " + service.path("image").asText());
            }
            if (service.has("build")) {
                Path context = DOCKER.resolve(service.path("build").path("context").asText(".")).normalize();
                Path dockerfile = context.resolve(service.path("build").path("dockerfile").asText("Dockerfile"));
                assertTrue(Files.isRegularFile(dockerfile), s.getKey() + ": no " + dockerfile);
                for (String line : Files.readAllLines(dockerfile)) {
                    if (line.startsWith("FROM ")) {
                        images.add(s.getKey() + " (" + dockerfile.getFileName() + "): " + line.substring(5).split(" ")[0]);
                    } else if (line.startsWith("COPY ")) {
                        // sources under target/ are what `mvn package` builds; the rest is in the repository
                        List<String> parts = List.of(line.substring(5).trim().split("\\s+"));
                        for (String source : parts.subList(0, parts.size() - 1)) {
                            if (!source.contains("/target/")) {
                                assertTrue(Files.exists(context.resolve(source)), dockerfile.getFileName() + " copies missing " + source);
                            }
                        }
                    }
                }
            }
            assertTrue(service.has("image") || service.has("build"), s.getKey() + ": neither image nor build");
            for (JsonNode volume : service.path("volumes")) {
                String source = volume.asText().split(":")[0];
                if (source.startsWith(".")) {
                    assertTrue(Files.exists(DOCKER.resolve(source)), s.getKey() + " mounts missing " + source);
                }
            }
        }
        for (String image : images) {
            String ref = image.substring(image.lastIndexOf(' ') + 1);
            int colon = ref.lastIndexOf(':');
            String tag = colon > ref.lastIndexOf('/') ? ref.substring(colon + 1) : "";
            assertTrue(!tag.equals("latest") && VERSION_TAG.matcher(tag).matches(), "not pinned by version: " + image);
        }
        assertEquals(9, images.size(), "images: " + images);
    }

    @Test
    void theAppsSettingsPointAtTheServices() {
        JsonNode appService = services.path("app");
        // the Dockerfile's command reads these two paths; state.dir is the volume
        Map<String, String> mounts = mounts(appService);
        assertEquals("./app.properties", mounts.get("/etc/splice/app.properties"));
        assertEquals("../examples/joins.yaml", mounts.get("/etc/splice/joins.yaml"));
        assertEquals("splice-state", mounts.get(app.getProperty("state.dir")));
        String metricsPort = app.getProperty("splice.metrics.port");
        assertTrue(ports(appService).contains(metricsPort), "metrics port published: " + ports(appService));
        assertTrue(appService.path("healthcheck").path("test").toString().contains("/" + metricsPort + " "),
                "the health check asks the metrics port");
        assertEquals("0.0.0.0", app.getProperty("splice.metrics.host"), "reachable from other containers");
        assertService(app.getProperty("bootstrap.servers"), "kafka", "9092");
        assertService(app.getProperty("schema.registry.url"), "registry", "8080");
        assertTrue(services.path("kafka").path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText()
                .contains("//" + app.getProperty("bootstrap.servers")));
    }

    @Test
    void connectRunsBothSinksAgainstTheServices() throws Exception {
        assertTrue(ports(services.path("connect")).contains(URI.create(worker.getProperty("listeners")).getPort() + ""));
        assertEquals(app.getProperty("bootstrap.servers"), worker.getProperty("bootstrap.servers"));
        assertEquals(Set.of("featurestore-online.json", "s3-offline.json"), listNames(DOCKER.resolve("connectors")));
        assertTrue(mounts(services.path("connect-setup")).containsValue("./connectors"));
        String connectDockerfile = Files.readString(DOCKER.resolve("connect.Dockerfile"));
        Set<String> classes = new TreeSet<>();
        for (String name : listNames(DOCKER.resolve("connectors"))) {
            JsonNode c = new ObjectMapper().readTree(DOCKER.resolve("connectors").resolve(name).toFile());
            classes.add(c.path("connector.class").asText());
            assertEquals(app.getProperty("schema.registry.url"), c.path("schema.registry.url").asText(), name);
            assertTrue(connectDockerfile.contains("examples/joins.yaml " + c.path("splice.definitions.path").asText()),
                    name + ": the image holds the definitions at splice.definitions.path");
            assertEquals(Topics.defaults().dlq(), c.path("errors.deadletterqueue.topic.name").asText(), name);
            Pattern topics = Pattern.compile(c.path("topics.regex").asText());
            for (JoinDefinition j : definitions.joins()) {
                assertTrue(topics.matcher(Topics.defaults().stitched(j)).matches(), name + " reads " + Topics.defaults().stitched(j));
            }
            URI endpoint = URI.create(c.path("aws.endpoint.override").asText());
            String service = endpoint.getHost();
            assertTrue(dependencies(services.path("connect")).contains(service) || service.equals("minio"),
                    name + ": connect waits for " + service);
            if (service.equals("minio")) {
                assertEquals("9000", ports(services.path("minio")).get(0));
                assertEquals(endpoint.getPort() + "", ports(services.path("minio")).get(0));
                String bucket = URI.create(c.path("s3.prefix").asText()).getHost();
                assertTrue(services.path("minio-setup").path("command").toString().contains("local/" + bucket),
                        "minio-setup creates the bucket " + bucket);
                assertEquals(services.path("minio").path("environment").path("MINIO_ROOT_USER").asText(),
                        services.path("connect").path("environment").path("AWS_ACCESS_KEY_ID").asText());
            } else {
                assertEquals("featurestore", service);
                assertEquals(endpoint.toString(), c.path("featurestore.control.endpoint.override").asText());
                List<String> command = strings(services.path("featurestore").path("command"));
                assertEquals(endpoint.getPort() + "", command.get(command.indexOf("--port") + 1));
                assertEquals("0.0.0.0", command.get(command.indexOf("--host") + 1));
                // one feature group per join's online store, with its record identifier
                Set<String> groups = new TreeSet<>();
                for (int i = 0; i < command.size(); i++) {
                    if (command.get(i).equals("--feature-group")) {
                        groups.add(command.get(i + 1));
                    }
                }
                Set<String> expected = new TreeSet<>();
                definitions.joins().forEach(j -> expected.add(j.featureGroupName() + ":" + j.recordIdentifier()));
                assertEquals(expected, groups);
            }
        }
        assertEquals(Set.of("io.splice.connectors.featurestore.FeatureStoreSinkConnector",
                "io.splice.connectors.s3.S3OfflineSinkConnector"), classes);
    }

    @Test
    void theBackfillReadsMountedInputsAndPublishesToTheAppsTopics() throws Exception {
        JsonNode backfill = services.path("backfill");
        List<String> command = strings(backfill.path("command"));
        assertEquals("backfill", command.get(0));
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i < command.size(); i++) {
            if (command.get(i).startsWith("--")) {
                options.put(command.get(i), i + 1 < command.size() && !command.get(i + 1).startsWith("--") ? command.get(++i) : "");
            }
        }
        assertEquals(app.getProperty("bootstrap.servers"), options.get("--bootstrap-servers"));
        assertEquals(app.getProperty("schema.registry.url"), options.get("--schema-registry"));
        assertTrue(options.containsKey("--publish"));
        Map<String, String> mounts = mounts(backfill);
        assertEquals("../examples/joins.yaml", mounts.get(options.get("--definitions")));
        assertEquals("service_healthy", backfill.path("depends_on").path("app").path("condition").asText(),
                "publishes after the app created its topics");
        // the mounted input root holds the join's rows and its computed parts' sources for the day
        Path input = DOCKER.resolve(mounts.get(options.get("--input-root"))).normalize();
        JoinDefinition join = definitions.joins().stream()
                .filter(j -> j.name().equals(options.get("--join")) && j.version().equals(options.get("--version")))
                .findFirst().orElseThrow();
        String day = "ds=" + options.get("--start-date");
        assertTrue(Files.isDirectory(input.resolve(join.name() + "_rows").resolve(day)), "rows of " + join.id());
        for (PartDefinition p : join.parts()) {
            if (!p.external()) {
                assertTrue(Files.isDirectory(input.resolve(p.source()).resolve(day)), "source " + p.source());
            }
        }
    }

    private void assertService(String hostAndPort, String service, String port) {
        URI uri = URI.create(hostAndPort.contains("://") ? hostAndPort : "kafka://" + hostAndPort);
        assertEquals(service, uri.getHost(), hostAndPort);
        assertEquals(port, uri.getPort() + "", hostAndPort);
        assertTrue(services.has(service));
        assertTrue(ports(services.path(service)).contains(port), service + " publishes " + port);
    }

    /** Container ports of a service's {@code ports} ("host:container"). */
    private static List<String> ports(JsonNode service) {
        List<String> out = new ArrayList<>();
        service.path("ports").forEach(p -> out.add(p.asText().substring(p.asText().lastIndexOf(':') + 1)));
        return out;
    }

    /** Container path → host path or volume name. */
    private static Map<String, String> mounts(JsonNode service) {
        Map<String, String> out = new LinkedHashMap<>();
        service.path("volumes").forEach(v -> {
            String[] parts = v.asText().split(":");
            out.put(parts[1], parts[0]);
        });
        return out;
    }

    private static Set<String> dependencies(JsonNode service) {
        Set<String> out = new TreeSet<>();
        JsonNode d = service.path("depends_on");
        if (d.isArray()) {
            d.forEach(x -> out.add(x.asText()));
        } else {
            d.fieldNames().forEachRemaining(out::add);
        }
        return out;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(x -> out.add(x.asText()));
        return out;
    }

    private static List<Map.Entry<String, JsonNode>> fields(JsonNode node) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    private static Set<String> listNames(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return new TreeSet<>(files.map(p -> p.getFileName().toString()).toList());
        }
    }

    private static Properties properties(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }
}
