# The Spark backfill (backfill-job's cluster jar) on Apache Spark's own image, Spark 4.0.0 / Scala 2.13 / Java 17, in
# local mode: the compose file's one-shot `backfill` service. Build from the repository root after
# `mvn -DskipTests package`:  docker build -f docker/backfill.Dockerfile -t splice/backfill .
FROM apache/spark:4.0.0-scala2.13-java17-python3-ubuntu
COPY backfill-job/target/splice-backfill-job-*-cluster.jar /opt/splice/splice-backfill-job-cluster.jar
ENTRYPOINT ["/opt/spark/bin/spark-submit", "--master", "local[2]", "--class", "io.splice.backfill.BackfillCli", "/opt/splice/splice-backfill-job-cluster.jar"]
