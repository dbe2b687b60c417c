#!/usr/bin/env bash
# End-to-end latency (issue 7, part 2): logs produced at a fixed rate; per row, the time from the log's send to the
# stitched record's visibility to a read_committed consumer: p50, p99, max, for each commit.interval.ms.
# Prints a Markdown table and writes bench/results/latency.md.
#
#   bench/latency/run.sh                                  # 5,000 logs/s for 60 s, commit.interval.ms 100 and 1000
#   bench/latency/run.sh --rate 2000 --seconds 30
#
# Options: --rate 5000  --seconds 60  --commit-intervals 100,1000  --threads 1  --partitions 6  --warmup-seconds 10
#          --drain-seconds 120  --cards 100000  --app-heap 1g  --name latency
#          --streams-config k=v,k=v (extra Kafka Streams settings of the app)  --consumer-fetch-max-wait-ms 10
# Builds the bench module (and what it needs) when its classpath is missing; BENCH_REBUILD=1 forces a rebuild.
# BENCH_APP_JVM_OPTS adds JVM options to the app processes. Everything binds to 127.0.0.1 and stops at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
if [[ "${BENCH_REBUILD:-0}" == "1" || ! -f bench/target/classpath.txt || ! -d bench/target/classes \
      || ! -f local/target/registry/apicurio-registry.jar ]]; then
  mvn -B -ntp -q -DskipTests install -pl bench -am
fi
exec timeout --kill-after=30s 15m java -Xmx3g -XX:+UseG1GC -Djava.net.preferIPv4Stack=true -Dsplice.log.level=WARN \
  -Dlog4j2.configurationFile=log4j2-bench.xml -Dsplice.local.kafka.log.level=ERROR \
  -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.splice.bench.LatencyBench "$@"
