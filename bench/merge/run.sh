#!/usr/bin/env bash
# Merge micro-benchmark (issue 7, part 4, JMH 1.37): ns per merge of one row with 3 sources (bootstrap, log,
# backfill) and 10 / 50 / 200 features; also apply (changed / unchanged) and the row's state-store serde.
# Prints a Markdown table and writes bench/results/merge.md. No broker needed.
#
#   bench/merge/run.sh
#   bench/merge/run.sh --features 10,50,200,1000 --forks 2 --iterations 10
#
# Options: --features 10,50,200  --forks 1  --warmup 3  --iterations 10  --time-s 1  --name merge
# Builds the bench module (and what it needs) when its classpath is missing; BENCH_REBUILD=1 forces a rebuild.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
if [[ "${BENCH_REBUILD:-0}" == "1" || ! -f bench/target/classpath.txt || ! -d bench/target/classes \
      || ! -f local/target/registry/apicurio-registry.jar ]]; then
  mvn -B -ntp -q -DskipTests install -pl bench -am
fi
exec timeout --kill-after=30s 10m java -Xmx512m -XX:+UseG1GC -Djava.net.preferIPv4Stack=true -Dsplice.log.level=WARN \
  -Dlog4j2.configurationFile=log4j2-bench.xml -Dsplice.local.kafka.log.level=ERROR \
  -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.splice.bench.MergeBenchMain "$@"
