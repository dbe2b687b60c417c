package io.splice.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18.4: every manifest of deploy/kubernetes parses into fabric8's typed Kubernetes model with no field the model
 * does not know (a misspelled field fails), and the StatefulSet, its headless Service, PodDisruptionBudget, ConfigMap
 * and Secret agree with each other and with the app's configuration (metrics port, state.dir, health endpoints).
 */
class KubernetesManifestsTest {
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    /** Every document of every manifest, typed by its apiVersion and kind. */
    static List<HasMetadata> manifests() throws Exception {
        List<HasMetadata> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(Tools.KUBERNETES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                for (String doc : Files.readString(f).split("(?m)^---\\s*$")) {
                    if (!doc.replaceAll("(?m)^#.*$", "").isBlank()) {
                        all.add(parse(doc, f.getFileName().toString()));
                    }
                }
            }
        }
        return all;
    }

    /**
     * Parses one manifest. fabric8's classes keep unknown fields in {@code additionalProperties} instead of failing;
     * every object of the parsed tree is checked to have none, so a misspelled field fails with its path.
     */
    static HasMetadata parse(String yaml, String where) throws Exception {
        KubernetesResource r = YAML.readValue(yaml, KubernetesResource.class);
        assertTrue(r instanceof HasMetadata, where + ": not a typed Kubernetes resource: " + r);
        List<String> unknown = new ArrayList<>();
        unknownFields(r, r.getClass().getSimpleName(), unknown, new IdentityHashMap<>());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(where + ": fields the Kubernetes model does not know: " + unknown);
        }
        return (HasMetadata) r;
    }

    private static void unknownFields(Object o, String path, List<String> unknown, Map<Object, Boolean> seen) throws Exception {
        if (o == null || seen.put(o, true) != null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                unknownFields(e.getValue(), path + "." + e.getKey(), unknown, seen);
            }
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object v = m.invoke(o);
            if (m.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> unknown.add(path + "." + k));
                }
            } else if (!(o instanceof IntOrString)) {
                unknownFields(v, path + "." + Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4), unknown, seen);
            }
        }
    }

    static <T extends HasMetadata> T one(List<HasMetadata> all, Class<T> type, String name) {
        return all.stream().filter(type::isInstance).map(type::cast).filter(r -> r.getMetadata().getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " in deploy/kubernetes"));
    }

    @Test
    void everyManifestParsesIntoTheTypedModel() throws Exception {
        List<HasMetadata> all = manifests();
        Set<String> kinds = new java.util.TreeSet<>();
        all.forEach(r -> kinds.add(r.getKind()));
        assertEquals(Set.of("ConfigMap", "Deployment", "PodDisruptionBudget", "Secret", "Service", "StatefulSet"), kinds);
    }

    @Test
    void aMisspelledFieldFails() {
        String yaml = """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: x}
                spec:
                  serviceName: x
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      terminationGracePeriodSecond: 120
                      containers: [{name: c, image: i}]
                """;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(yaml, "typo.yaml"));
        assertTrue(e.getMessage().contains("terminationGracePeriodSecond"), e.getMessage());
        String probe = yaml.replace("terminationGracePeriodSecond: 120", "terminationGracePeriodSeconds: 120")
                .replace("[{name: c, image: i}]", "[{name: c, image: i, readinessProbe: {httpGet: {pth: /health/ready, port: 9464}}}]");
        e = assertThrows(IllegalArgumentException.class, () -> parse(probe, "typo.yaml"));
        assertTrue(e.getMessage().contains("httpGet.pth"), e.getMessage());
    }

    @Test
    void theStatefulSetAgreesWithTheAppsConfiguration() throws Exception {
        List<HasMetadata> all = manifests();
        ConfigMap config = one(all, ConfigMap.class, "splice-config");
        Properties app = new Properties();
        app.load(new StringReader(config.getData().get("app.properties")));
        int metricsPort = Integer.parseInt(app.getProperty("splice.metrics.port"));
        String stateDir = app.getProperty("state.dir");
        assertEquals("0.0.0.0", app.getProperty("splice.metrics.host"), "the kubelet and Prometheus reach the metrics port");
        assertNotNull(stateDir, "state.dir set in app.properties");
        assertTrue(app.stringPropertyNames().stream().noneMatch(k -> k.startsWith("sasl.jaas") || k.contains("password")),
                "no secret in the ConfigMap");
        assertTrue(config.getData().containsKey("joins.yaml"), "definitions in the ConfigMap");

        StatefulSet sts = one(all, StatefulSet.class, "splice");
        PodSpec pod = sts.getSpec().getTemplate().getSpec();
        Container c = pod.getContainers().stream().filter(x -> x.getName().equals("splice")).findFirst().orElseThrow();
        ContainerPort metrics = c.getPorts().stream().filter(p -> "metrics".equals(p.getName())).findFirst().orElseThrow();
        assertEquals(metricsPort, metrics.getContainerPort(), "container port = splice.metrics.port");
        assertProbe(c.getLivenessProbe(), "/health/live", metricsPort, c, "liveness");
        assertProbe(c.getReadinessProbe(), "/health/ready", metricsPort, c, "readiness");
        assertProbe(c.getStartupProbe(), "/health/live", metricsPort, c, "startup");

        // state.dir on the pod's own PersistentVolumeClaim
        VolumeMount state = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(stateDir)).findFirst()
                .orElseThrow(() -> new AssertionError("nothing mounted at state.dir " + stateDir));
        assertTrue(sts.getSpec().getVolumeClaimTemplates().stream().anyMatch(t -> t.getMetadata().getName().equals(state.getName())),
                "state.dir is a volumeClaimTemplate (one PVC per pod), not " + state.getName());
        assertTrue(sts.getSpec().getVolumeClaimTemplates().get(0).getSpec().getAccessModes().contains("ReadWriteOnce"));

        // the --config and --definitions files are where the init container writes them, from the ConfigMap and Secret
        List<String> args = c.getArgs();
        assertEquals("run", args.get(0));
        String configFile = args.get(args.indexOf("--config") + 1);
        String definitionsFile = args.get(args.indexOf("--definitions") + 1);
        String etc = Path.of(configFile).getParent().toString();
        assertEquals(etc, Path.of(definitionsFile).getParent().toString());
        VolumeMount etcMount = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(etc)).findFirst().orElseThrow();
        Container init = pod.getInitContainers().get(0);
        assertTrue(init.getVolumeMounts().stream().anyMatch(m -> m.getName().equals(etcMount.getName()) && m.getMountPath().equals(etc)));
        String script = String.join(" ", init.getCommand());
        assertTrue(script.contains("> " + configFile) && script.contains(definitionsFile), script);
        assertTrue(script.contains("group.instance.id=$POD_NAME"), "static membership per pod: " + script);
        Volume cm = volume(pod, "config");
        assertEquals(config.getMetadata().getName(), cm.getConfigMap().getName());
        Secret secret = one(all, Secret.class, volume(pod, "secrets").getSecret().getSecretName());
        assertTrue(secret.getStringData().get("sasl.properties").contains("sasl.jaas.config"), "SASL settings in the Secret");

        // a graceful close (flush, commit, leave the group) fits in the grace period
        assertTrue(pod.getTerminationGracePeriodSeconds() >= 60, "terminationGracePeriodSeconds " + pod.getTerminationGracePeriodSeconds());

        // the headless Service of the StatefulSet selects its pods and exposes the metrics port
        Service svc = one(all, Service.class, sts.getSpec().getServiceName());
        assertEquals("None", svc.getSpec().getClusterIP(), "headless");
        Map<String, String> podLabels = sts.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(podLabels.entrySet().containsAll(svc.getSpec().getSelector().entrySet()), "Service selects the pods");
        assertTrue(podLabels.entrySet().containsAll(sts.getSpec().getSelector().getMatchLabels().entrySet()));
        ServicePort sp = svc.getSpec().getPorts().stream().filter(p -> "metrics".equals(p.getName())).findFirst().orElseThrow();
        assertEquals(metricsPort, sp.getPort());
        assertEquals(metricsPort, resolve(sp.getTargetPort(), c));

        PodDisruptionBudget pdb = one(all, PodDisruptionBudget.class, "splice");
        assertTrue(podLabels.entrySet().containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()), "PDB selects the pods");
        assertTrue(pdb.getSpec().getMaxUnavailable() != null && pdb.getSpec().getMaxUnavailable().getIntVal() == 1,
                "at most one pod voluntarily down");
        assertTrue(sts.getSpec().getReplicas() > 1);
    }

    @Test
    void connectRunsThePluginImageWithRestAndMetricsPorts() throws Exception {
        List<HasMetadata> all = manifests();
        Deployment connect = one(all, Deployment.class, "splice-connect");
        Container c = connect.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertTrue(c.getImage().startsWith("splice/connect:"), c.getImage());
        assertProbe(c.getReadinessProbe(), "/connectors", 8083, c, "readiness");
        assertEquals(9404, c.getPorts().stream().filter(p -> "metrics".equals(p.getName())).findFirst().orElseThrow().getContainerPort());
        String opts = c.getEnv().stream().filter(e -> e.getName().equals("KAFKA_OPTS")).findFirst().orElseThrow().getValue();
        assertTrue(opts.contains("jmx_prometheus_javaagent.jar=9404:"), opts);
        Service svc = one(all, Service.class, "splice-connect");
        assertTrue(connect.getSpec().getTemplate().getMetadata().getLabels().entrySet().containsAll(svc.getSpec().getSelector().entrySet()));
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static void assertProbe(Probe probe, String path, int port, Container c, String what) {
        assertNotNull(probe, what + " probe");
        HTTPGetAction get = probe.getHttpGet();
        assertNotNull(get, what + " probe is an HTTP GET");
        assertEquals(path, get.getPath(), what + " probe path");
        assertEquals(port, resolve(get.getPort(), c), what + " probe port");
    }

    /** A port by number, or by the name of one of the container's ports. */
    private static int resolve(IntOrString port, Container c) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return c.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal())).getContainerPort();
    }
}
