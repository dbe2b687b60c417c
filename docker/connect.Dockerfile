# Kafka Connect (distributed) with the Splice sink plugin. Build from the repository root after
# `mvn -DskipTests package`:  docker build -f docker/connect.Dockerfile -t splice/connect .
FROM apache/kafka:4.1.0
COPY connectors/target/splice-connectors-*-plugin.jar /opt/kafka/plugins/splice/
COPY docker/connect-distributed.properties /opt/kafka/config/splice-connect.properties
COPY examples/joins.yaml /etc/splice/joins.yaml
EXPOSE 8083
CMD ["/opt/kafka/bin/connect-distributed.sh", "/opt/kafka/config/splice-connect.properties"]
