#!/usr/bin/env bash
# End-to-end latency (issue 7, part 2; issue 17): logs produced at a fixed rate; per row, the time from the log's send
# to the stitched record's visibility to a read_committed consumer: p50, p99, p99.9, max, per setting and
# commit.interval.ms, split into the two hops of a re-keyed log (to the repartition topic, then to the stitched topic),
# with the app's own commit and poll figures and the load average at the start and end of each run.
# Prints a Markdown table and writes bench/results/<name>.md and <name>.json.
#
#   bench/latency/run.sh                                  # 5,000 logs/s for 60 s with the app's defaults
#   bench/latency/run.sh --settings "commit.interval.ms=100,poll.ms=100;defaults"   # before/after of issue 17
#   bench/latency/run.sh --rate 2000 --seconds 30 --commit-intervals 100,1000
#
# Options: --rate 5000  --seconds 60  --commit-intervals default (the app's; or e.g. 100,1000)  --settings defaults
#          (';'-separated k=v,k=v sets, one run each)  --threads 1  --partitions 6  --warmup-seconds 10
#          --drain-seconds 120  --cards 100000  --app-heap 1g  --name latency
#          --streams-config k=v,k=v (extra Kafka Streams settings of every run)  --consumer-fetch-max-wait-ms 10
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
