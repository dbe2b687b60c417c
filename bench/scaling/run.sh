#!/usr/bin/env bash
# Scaling (issue 7, part 3): Splice throughput at 250k, 500k, 1M and 2M logs (fresh topics for each) and state size
# per million rows (RocksDB state directory after the run, changelog topic on the broker).
# Prints a Markdown table and writes bench/results/scaling.md.
#
#   bench/scaling/run.sh                                  # 250k, 500k, 1M, 2M logs
#   bench/scaling/run.sh --sizes 100k,200k,400k
#
# Options: --sizes 250k,500k,1M,2M  --threads 1  --partitions 6  --cards 100000  --app-heap 1g  --timeout-s 600
#          --budget-s 540 (sizes that would not fit are skipped and named)  --name scaling
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
  -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.splice.bench.ScalingBench "$@"
