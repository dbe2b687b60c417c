package io.splice.backfill.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splice.core.definitions.SemanticHasher;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * {@code _MANIFEST.json} of a training set: the request (enough to run it again), the command line, the definitions
 * (text, sha256 and part hashes: a later edit of joins.yaml does not change a re-run), every offline object read with
 * its size and Kafka partition/offset range, the label objects, the output files, and the set's figures.
 */
public final class TrainingSetManifest {
    public static final String FILE = "_MANIFEST.json";
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final JsonNode root;

    private TrainingSetManifest(JsonNode root) {
        this.root = root;
    }

    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the manifest of a finished run to {@code <out>/_MANIFEST.json}. */
    public static ObjectNode write(TrainingSetPlan plan, TrainingSetJob.Result result, String commandLine,
                                   String definitionsPath, String definitionsText) {
        ObjectNode m = JSON.createObjectNode();
        m.put("splice_training_set", 1);
        m.put("command_line", commandLine);
        m.put("created_at", Instant.now().toString());
        m.set("request", plan.request().toJson());
        m.put("as_of", plan.request().asOf() == null ? null : plan.request().asOf().toString());
        m.put("written_column", plan.writtenColumn());
        ObjectNode defs = m.putObject("definitions");
        defs.put("path", definitionsPath);
        defs.put("sha256", sha256(definitionsText));
        ObjectNode ph = defs.putObject("part_hashes");
        SemanticHasher.hashes(plan.join()).forEach(ph::put);
        defs.put("text", definitionsText);
        ObjectNode off = m.putObject("offline");
        off.put("root", plan.offlineRoot());
        off.put("format", plan.offlineFormat());
        off.put("partitioned", plan.partitioned());
        ArrayNode objs = off.putArray("objects");
        for (TrainingSetPlan.InputObject o : plan.objects()) {
            ObjectNode n = object(objs.addObject(), o);
            TrainingSetJob.ObjectStats s = result.objects().get(o.path());
            n.put("records", s == null ? 0 : s.records());
            if (s != null && s.minPartition() != null) {
                n.putArray("kafka_partition").add(s.minPartition()).add(s.maxPartition());
                n.putArray("kafka_offset").add(s.minOffset()).add(s.maxOffset());
            }
        }
        if (plan.request().labels() != null) {
            ObjectNode l = m.putObject("labels");
            l.put("root", plan.labelRoot());
            l.put("format", plan.labelFormat());
            l.put("partitioned", plan.labelsPartitioned());
            ArrayNode lo = l.putArray("objects");
            plan.labelObjects().forEach(o -> object(lo.addObject(), o));
        }
        ObjectNode output = m.putObject("output");
        output.put("path", plan.out());
        output.put("format", plan.request().format());
        output.put("rows", result.rows());
        output.put("fingerprint", result.fingerprint());
        ArrayNode files = output.putArray("files");
        result.outputFiles().forEach(o -> object(files.addObject(), o));
        ObjectNode counts = m.putObject("counts");
        result.counts().forEach(counts::put);
        ObjectNode shares = m.putObject("source_shares");
        result.sourceShares().forEach((f, s) -> {
            ObjectNode n = shares.putObject(f);
            s.forEach(n::put);
        });
        ObjectNode nulls = m.putObject("null_rates");
        result.nullRates().forEach(nulls::put);
        if (!result.labelNullRates().isEmpty()) {
            ObjectNode ln = m.putObject("label_null_rates");
            result.labelNullRates().forEach(ln::put);
        }
        Path p = new Path(new Path(plan.out()), FILE);
        try (FSDataOutputStream os = p.getFileSystem(plan.conf()).create(p, true)) {
            os.write(JSON.writeValueAsBytes(m));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p + ": " + e.getMessage(), e);
        }
        return m;
    }

    private static ObjectNode object(ObjectNode n, TrainingSetPlan.InputObject o) {
        n.put("path", o.path());
        if (o.ds() != null) {
            n.put("ds", o.ds());
        }
        n.put("size", o.size());
        n.put("modified", Instant.ofEpochMilli(o.modified()).toString());
        return n;
    }

    /** Reads a manifest: {@code path} is the file or the training set's directory. */
    public static TrainingSetManifest read(String path, Configuration conf) {
        Path p = new Path(path);
        try {
            FileSystem fs = p.getFileSystem(conf);
            if (fs.getFileStatus(p).isDirectory()) {
                p = new Path(p, FILE);
            }
            try (InputStream in = fs.open(p)) {
                JsonNode n = JSON.readTree(in);
                if (!n.has("splice_training_set") || !n.has("request")) {
                    throw new IllegalArgumentException(p + " is not a training set manifest");
                }
                return new TrainingSetManifest(n);
            }
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalArgumentException("no manifest at " + p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    public JsonNode json() {
        return root;
    }

    public TrainingSetRequest request() {
        return TrainingSetRequest.fromJson(root.get("request"));
    }

    public String definitionsText() {
        return root.path("definitions").path("text").asText();
    }

    public String definitionsPath() {
        return root.path("definitions").path("path").asText(null);
    }

    public String definitionsSha256() {
        return root.path("definitions").path("sha256").asText();
    }

    public String offlineRoot() {
        return root.path("offline").path("root").asText(null);
    }

    public String fingerprint() {
        return root.path("output").path("fingerprint").asText();
    }

    public List<TrainingSetPlan.InputObject> offlineObjects() {
        return objects(root.path("offline").path("objects"));
    }

    public List<TrainingSetPlan.InputObject> labelObjects() {
        return root.has("labels") ? objects(root.path("labels").path("objects")) : null;
    }

    /** Per offline object: its records and Kafka range as recorded ({@code [records, minP, maxP, minO, maxO]}). */
    public Map<String, long[]> offlineRanges() {
        Map<String, long[]> m = new java.util.LinkedHashMap<>();
        for (JsonNode n : root.path("offline").path("objects")) {
            long[] a = {n.path("records").asLong(), -1, -1, -1, -1};
            if (n.has("kafka_partition")) {
                a[1] = n.get("kafka_partition").get(0).asLong();
                a[2] = n.get("kafka_partition").get(1).asLong();
                a[3] = n.get("kafka_offset").get(0).asLong();
                a[4] = n.get("kafka_offset").get(1).asLong();
            }
            m.put(n.path("path").asText(), a);
        }
        return m;
    }

    private static List<TrainingSetPlan.InputObject> objects(JsonNode arr) {
        List<TrainingSetPlan.InputObject> out = new ArrayList<>();
        for (JsonNode n : arr) {
            out.add(new TrainingSetPlan.InputObject(n.path("path").asText(), n.path("size").asLong(),
                    n.hasNonNull("modified") ? Instant.parse(n.get("modified").asText()).toEpochMilli() : 0L,
                    n.hasNonNull("ds") ? n.get("ds").asText() : null));
        }
        return out;
    }
}
