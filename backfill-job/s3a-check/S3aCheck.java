import io.splice.demo.BackfillProcess;
import io.splice.demo.Progress;
import io.splice.demo.World;
import io.splice.local.s3.S3Endpoint;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Run by {@code backfill-job/s3a-check/run.sh}: {@code splice backfill} (a -Ps3a build) reading and writing s3a:// on S3Proxy,
 * then the same run on local paths; prints the objects written and both runs' _SUCCESS markers to compare.
 */
public class S3aCheck {
    public static void main(String[] a) throws Exception {
        Path home = Path.of(a[0]);
        Path base = Files.createTempDirectory("s3a-check-");
        Path bucket = Files.createDirectories(base.resolve("splice"));
        World w = World.generate(new World.Settings(3, 40, 12, 0, LocalDate.now(ZoneOffset.UTC), 11));
        w.writeTransactions(bucket.resolve("data"));
        w.writeLeftRows(bucket.resolve("data"));
        Path defs = base.resolve("joins.yaml");
        try (InputStream in = World.class.getResourceAsStream("/demo-joins.yaml")) {
            Files.copy(in, defs);
        }
        try (S3Endpoint s3 = S3Endpoint.filesystemStore(base)) {
            String ep = "http://127.0.0.1:" + s3.port();
            List<String> common = List.of("--definitions", defs.toString(), "--join", World.JOIN, "--version", World.VERSION,
                    "--start-date", w.firstDay().toString(), "--end-date", w.lastDay().toString(), "--chunk-size-days", "1",
                    "--conf", "spark.sql.shuffle.partitions=2");
            List<String> s3a = new ArrayList<>(common);
            s3a.addAll(List.of("--left", "s3a://splice/data/" + World.JOIN + "_rows", "--input", "transactions=s3a://splice/data/transactions",
                    "--output", "s3a://splice/out", "--conf", "spark.hadoop.fs.s3a.endpoint=" + ep,
                    "--conf", "spark.hadoop.fs.s3a.path.style.access=true", "--conf", "spark.hadoop.fs.s3a.connection.ssl.enabled=false",
                    "--conf", "spark.hadoop.fs.s3a.access.key=" + S3Endpoint.ACCESS_KEY, "--conf", "spark.hadoop.fs.s3a.secret.key=" + S3Endpoint.SECRET_KEY,
                    "--conf", "spark.hadoop.fs.s3a.endpoint.region=us-east-1", "--conf", "spark.hadoop.fs.s3a.change.detection.mode=none", "--conf", "spark.hadoop.fs.s3a.change.detection.version.required=false"));
            List<String> local = new ArrayList<>(common);
            local.addAll(List.of("--left", bucket.resolve("data/" + World.JOIN + "_rows").toString(),
                    "--input", "transactions=" + bucket.resolve("data/transactions"), "--output", base.resolve("local-out").toString()));
            long t0 = System.nanoTime();
            try (BackfillProcess p = BackfillProcess.start(home, s3a, base, new Progress(System.out, true), List.of(), base.resolve("s3a.log"))) {
                int exit = p.awaitExit(Duration.ofMinutes(10));
                System.out.println("s3a run exit " + exit + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                if (exit != 0) {
                    System.out.println(p.tail());
                }
            }
            try (BackfillProcess p = BackfillProcess.start(home, local, base, new Progress(System.out, true), List.of(), base.resolve("local.log"))) {
                System.out.println("local run exit " + p.awaitExit(Duration.ofMinutes(10)));
            }
            try (Stream<Path> s = Files.walk(bucket.resolve("out"))) {
                s.filter(Files::isRegularFile).forEach(f -> System.out.println("s3 object: " + bucket.relativize(f)));
            }
            try (Stream<Path> s = Files.walk(base.resolve("local-out"))) {
                s.filter(f -> f.getFileName().toString().equals("_SUCCESS")).sorted().forEach(f -> {
                    try {
                        Path twin = bucket.resolve("out").resolve(base.resolve("local-out").relativize(f));
                        System.out.println("marker " + base.resolve("local-out").relativize(f) + " local: " + Files.readString(f).replaceAll("\"written_at\":\"[^\"]*\"", "")
                                + "\n   s3a: " + (Files.exists(twin) ? Files.readString(twin).replaceAll("\"written_at\":\"[^\"]*\"", "") : "MISSING"));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
            }
        }
    }
}
