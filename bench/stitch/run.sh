#!/usr/bin/env bash
# Stitch throughput (issue 7, part 1): the Splice app vs a pass-through Kafka Streams app (same serde, input topics and
# partitions), both exactly_once_v2, on the embedded broker and schema registry, with 1 and 2 stream threads.
# Prints a Markdown table and writes bench/results/stitch.md.
#
#   bench/stitch/run.sh                      # 1M logs (+200k backfill, +100k bootstrap), threads 1 and 2
#   bench/stitch/run.sh --logs 250000        # smaller
#   bench/stitch/run.sh --profile            # JFR on the first Splice run; hot spots appended to the report
#
# Options: --logs N  --threads 1,2  --partitions 6  --cards 100000  --app-heap 1g  --timeout-s 540
#          --keyed-by-row-key (logs keyed by row key: no repartition)  --streams-config k=v,k=v (both apps)
#          --no-verify  --name stitch (results file name)
# Builds the bench module (and what it needs) when its classpath is missing; BENCH_REBUILD=1 forces a rebuild.
# BENCH_APP_JVM_OPTS adds JVM options to the app processes. Everything binds to 127.0.0.1 and stops at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
if [[ "${BENCH_REBUILD:-0}" == "1" || ! -f bench/target/classpath.txt || ! -d bench/target/classes \
      || ! -f local/target/registry/apicurio-registry.jar ]]; then
  mvn -B -ntp -q -DskipTests install -pl bench -am
fi
exec timeout --kill-after=30s 30m java -Xmx3g -XX:+UseG1GC -Djava.net.preferIPv4Stack=true -Dsplice.log.level=WARN \
  -Dlog4j2.configurationFile=log4j2-bench.xml -Dsplice.local.kafka.log.level=ERROR \
  -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.splice.bench.StitchBench "$@"
