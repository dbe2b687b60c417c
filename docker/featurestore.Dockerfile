# The local Feature Store endpoint (module local, FeatureStoreEndpointMain) as the compose file's Feature Store
# stand-in. Build from the repository root after `mvn -DskipTests package` (which fills local/target/featurestore-lib):
#   docker build -f docker/featurestore.Dockerfile -t splice/featurestore .
FROM eclipse-temurin:17.0.13_11-jre
COPY local/target/splice-local-*.jar local/target/featurestore-lib/ /opt/featurestore/lib/
EXPOSE 8090
ENTRYPOINT ["java", "-cp", "/opt/featurestore/lib/*", "io.splice.local.featurestore.FeatureStoreEndpointMain"]
CMD ["--host", "0.0.0.0", "--port", "8090"]
