package io.splice.streams.runtime;

import io.splice.avro.serde.SpliceSerdeConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Checks, before anything starts, that Kafka and the schema registry answer, both at once and each within a short
 * timeout ({@code splice.startup.timeout.ms}), so that a wrong address, a server that is down or wrong credentials
 * give one line naming the server and the setting within seconds, instead of Kafka's minute-long
 * {@code Timed out waiting for a node assignment}.
 */
public final class Preflight {
    private Preflight() {
    }

    /** What could not be reached: one line per server, naming it, its setting and what to do. */
    public static final class Unreachable extends Exception {
        private final List<String> problems;

        public Unreachable(List<String> problems) {
            super(String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /**
     * Checks Kafka (unless {@code clientProps} is null) and the registry (unless {@code serdeConfigs} is null).
     *
     * @param kafkaSetting    where the user set the brokers, e.g. {@code bootstrap.servers}
     * @param registrySetting where the user set the registry, e.g. {@code schema.registry.url}
     */
    public static void check(Map<String, Object> clientProps, String kafkaSetting, Map<String, ?> serdeConfigs,
                             String registrySetting, Duration timeout) throws Unreachable {
        CompletableFuture<Optional<String>> registry = serdeConfigs == null ? CompletableFuture.completedFuture(Optional.empty())
                : CompletableFuture.supplyAsync(() -> registry(serdeConfigs, registrySetting, timeout));
        List<String> problems = new ArrayList<>();
        if (clientProps != null) {
            kafka(clientProps, kafkaSetting, timeout).ifPresent(problems::add);
        }
        registry.join().ifPresent(problems::add);
        if (!problems.isEmpty()) {
            throw new Unreachable(problems);
        }
    }

    /** Empty when a broker answers {@code describeCluster} within {@code timeout}; else why not. */
    public static Optional<String> kafka(Map<String, Object> clientProps, String setting, Duration timeout) {
        String servers = String.valueOf(clientProps.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
        int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        p.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "splice-preflight");
        String where = "Kafka at " + servers + " (" + setting + ")";
        Admin admin = null;
        try {
            admin = Admin.create(p);
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms)).nodes().get(ms + 2000L, TimeUnit.MILLISECONDS);
            return Optional.empty();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                return Optional.of(noAnswer(where, timeout));
            }
            if (cause instanceof AuthenticationException) {
                return Optional.of(where + " refused the connection: " + Errors.oneLine(cause)
                        + "; check the credentials and TLS settings (sasl.*, ssl.*) of the config file");
            }
            return Optional.of("cannot connect to " + where + ": " + Errors.oneLine(cause)
                    + "; check the address and the security settings (security.protocol, sasl.*, ssl.*)");
        } catch (java.util.concurrent.TimeoutException e) {
            return Optional.of(noAnswer(where, timeout));
        } catch (KafkaException e) {
            // Admin.create: no resolvable address, unreadable keystore, bad security settings
            return Optional.of("cannot connect to " + where + ": " + Errors.oneLine(e)
                    + "; check the address and the security settings (security.protocol, sasl.*, ssl.*)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while contacting " + where);
        } finally {
            if (admin != null) {
                admin.close(Duration.ofSeconds(1));
            }
        }
    }

    private static String noAnswer(String where, Duration timeout) {
        return "cannot reach " + where + " within " + timeout.toSeconds() + " s: no broker answered; check the address, "
                + "that the brokers are up, and security.protocol (a TLS or SASL listener does not answer a PLAINTEXT client)";
    }

    /**
     * Empty when the registry answers {@code GET <url>/subjects} (any Confluent-compatible registry does) within
     * {@code timeout}, or when the URL is {@code mock://} (in-memory); else why not.
     */
    public static Optional<String> registry(Map<String, ?> serdeConfigs, String setting, Duration timeout) {
        Object configured = serdeConfigs.get(SpliceSerdeConfig.SCHEMA_REGISTRY_URL);
        String url = configured == null ? "" : configured.toString().split(",")[0].trim();
        if (url.startsWith("mock://")) {
            return Optional.empty();
        }
        String where = "the schema registry at " + url + " (" + setting + ")";
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        URI uri;
        try {
            uri = URI.create(base + "/subjects");
            if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
                throw new IllegalArgumentException("not http(s)");
            }
        } catch (IllegalArgumentException e) {
            return Optional.of(setting + " '" + url + "' is not an http(s) URL; set the registry's base URL, "
                    + "e.g. http://registry:8081 (Apicurio: http://registry:8080/apis/ccompat/v6)");
        }
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(timeout).GET()
                .header("Accept", "application/vnd.schemaregistry.v1+json, application/json");
        Object auth = serdeConfigs.get(SpliceSerdeConfig.BASIC_AUTH_USER_INFO);
        if (auth != null && !auth.toString().isBlank()) {
            req.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(auth.toString().getBytes(StandardCharsets.UTF_8)));
        }
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
            int status = http.send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status / 100 == 2) {
                return Optional.empty();
            }
            if (status == 401 || status == 403) {
                return Optional.of(where + " refused the credentials (HTTP " + status + "); check "
                        + SpliceSerdeConfig.BASIC_AUTH_USER_INFO);
            }
            return Optional.of(where + " answered HTTP " + status + " to GET /subjects; check that the URL is the registry's "
                    + "Confluent-compatible API (Apicurio: .../apis/ccompat/v6)");
        } catch (HttpTimeoutException e) {
            return Optional.of("cannot reach " + where + " within " + timeout.toSeconds() + " s: no answer; check the URL "
                    + "and that the registry is up");
        } catch (ConnectException e) {
            return Optional.of("cannot reach " + where + ": connection refused; check the URL and that the registry is up");
        } catch (IOException e) {
            return Optional.of("cannot reach " + where + ": " + Errors.oneLine(e) + "; check the URL and that the registry is up");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while contacting " + where);
        }
    }
}
