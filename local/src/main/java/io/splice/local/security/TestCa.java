package io.splice.local.security;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority made with the JDK's {@code keytool}: a self-signed CA, a broker key pair whose
 * certificate the CA signs for 127.0.0.1/localhost (PKCS12 keystore with the chain), and a truststore holding the
 * CA for clients. EC keys: fast to make. With {@link #saslSslClient} it gives the client settings of a SCRAM user.
 */
public final class TestCa {
    public final Path brokerKeystore;
    public final Path truststore;
    public final String password;

    private TestCa(Path brokerKeystore, Path truststore, String password) {
        this.brokerKeystore = brokerKeystore;
        this.truststore = truststore;
        this.password = password;
    }

    public static TestCa create(Path dir, String password) throws IOException, InterruptedException {
        Path ca = dir.resolve("ca.p12");
        Path caPem = dir.resolve("ca.pem");
        Path broker = dir.resolve("broker.p12");
        Path csr = dir.resolve("broker.csr");
        Path brokerPem = dir.resolve("broker.pem");
        Path trust = dir.resolve("truststore.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=splice-test-ca",
                "-ext", "bc:c", "-validity", "2", "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass", password);
        keytool("-exportcert", "-alias", "ca", "-rfc", "-keystore", ca.toString(), "-storepass", password, "-file", caPem.toString());
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-validity", "2", "-keystore", broker.toString(), "-storetype", "PKCS12", "-storepass", password);
        keytool("-certreq", "-alias", "broker", "-keystore", broker.toString(), "-storepass", password, "-file", csr.toString());
        keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", password, "-infile", csr.toString(),
                "-outfile", brokerPem.toString(), "-rfc", "-validity", "2", "-ext", "SAN=ip:127.0.0.1,dns:localhost");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", broker.toString(), "-storepass", password);
        keytool("-importcert", "-alias", "broker", "-file", brokerPem.toString(), "-keystore", broker.toString(), "-storepass", password);
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", trust.toString(),
                "-storetype", "PKCS12", "-storepass", password);
        return new TestCa(broker, trust, password);
    }

    /** Client settings for {@code user} over SASL_SSL with SCRAM-SHA-512, trusting this CA. */
    public Map<String, Object> saslSslClient(String user, String userPassword) {
        return Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                        + "\" password=\"" + userPassword + "\";",
                "ssl.truststore.location", truststore.toString(),
                "ssl.truststore.type", "PKCS12",
                "ssl.truststore.password", password);
    }

    /** Makes SCRAM-SHA-512 users with one password (through an admin client on a listener that may do so). */
    public static void createScramUsers(Admin admin, String userPassword, String... users) throws Exception {
        List<UserScramCredentialAlteration> upserts = new ArrayList<>();
        for (String u : users) {
            upserts.add(new UserScramCredentialUpsertion(u, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), userPassword));
        }
        admin.alterUserScramCredentials(upserts).all().get();
    }

    /** An ALLOW ACL for {@code principal} from any host. */
    public static AclBinding allow(String principal, ResourceType type, String name, PatternType pattern, AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW));
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + args[0] + " failed: " + out);
        }
    }
}
