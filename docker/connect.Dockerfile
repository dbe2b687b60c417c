# Kafka Connect (distributed) with the Splice sink plugin. Build from the repository root after
# `mvn -DskipTests package`:  docker build -f docker/connect.Dockerfile -t splice/connect .
FROM apache/kafka:4.1.0
COPY connectors/target/splice-connectors-*-plugin.jar /opt/kafka/plugins/splice/
COPY docker/connect-distributed.properties /opt/kafka/config/splice-connect.properties
COPY examples/joins.yaml /etc/splice/joins.yaml
# Prometheus JMX exporter for Connect's sink metrics (deploy/prometheus/connect-jmx-exporter.yaml), served on 9404 when
# KAFKA_OPTS=-javaagent:/opt/jmx-exporter/jmx_prometheus_javaagent.jar=9404:/opt/jmx-exporter/connect-jmx-exporter.yaml
ADD https://repo1.maven.org/maven2/io/prometheus/jmx/jmx_prometheus_javaagent/1.0.1/jmx_prometheus_javaagent-1.0.1.jar /opt/jmx-exporter/jmx_prometheus_javaagent.jar
COPY deploy/prometheus/connect-jmx-exporter.yaml /opt/jmx-exporter/connect-jmx-exporter.yaml
EXPOSE 8083 9404
CMD ["/opt/kafka/bin/connect-distributed.sh", "/opt/kafka/config/splice-connect.properties"]
