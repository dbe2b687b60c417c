# The stitching app. Build from the repository root after `mvn -DskipTests package`:
#   docker build -f docker/streams-app.Dockerfile -t splice/streams-app .
FROM eclipse-temurin:17.0.13_11-jre
RUN useradd --system --uid 10001 splice && mkdir -p /var/lib/splice /etc/splice && chown splice /var/lib/splice
COPY streams-app/target/splice-streams-app.jar /opt/splice/splice-streams-app.jar
USER splice
# state.dir lives on a volume so a restarted container restores from local state instead of the changelog
VOLUME /var/lib/splice
EXPOSE 9464
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-cp", "/opt/splice/splice-streams-app.jar", "io.splice.streams.cli.SpliceCli"]
CMD ["run", "--definitions", "/etc/splice/joins.yaml", "--config", "/etc/splice/app.properties"]
