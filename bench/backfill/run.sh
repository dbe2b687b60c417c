#!/usr/bin/env bash
# Backfill benchmark: the sweep vs the RANGE BETWEEN reference on generated card events (uniform and Zipf keys),
# count+sum+max over 1h/24h/7d windows, local[2] by default. Prints a Markdown table with, per measured run, the
# peak heap and RSS of the bench JVM (driver and executors in local mode; on a cluster the driver, plus the executors'
# peak heap and RSS as Spark's executor metrics report them) and the load average at start and end.
#
#   bench/backfill/run.sh                                   # 1M, 2M, 4M events; 200k left rows; 100k cards
#   bench/backfill/run.sh --events 2000000 --zipf-s 1.0     # any option of io.splice.backfill.bench.BackfillBench
#   bench/backfill/run.sh --events 2000000,8000000,16000000 --range-max-events 0 --cluster-workers 2
#                                                           # the sweep on a 1-master/2-worker standalone cluster
#
# Options: --events 1000000,2000000,4000000 --rows 200000 --keys 100000 --days 30 --zipf-s 0.8 --master local[2]
#          --partitions 8 --range-timeout-s 600 --range-max-events 4000000 --runs 2 --distributions uniform,zipf
#          --work DIR (generated Parquet is reused); --cluster-workers N [--worker-memory 2g --executor-memory 1536m --executor-poll-ms 100] instead
#          of --master (needs backfill-job/target/spark-dist and the cluster jar: mvn -pl backfill-job -am package);
#          --json FILE writes every run's figures there too
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
if [[ ! -f backfill-job/target/classpath.txt || ! -d backfill-job/target/classes ]]; then
  mvn -B -ntp -q -pl backfill-job -am install -DskipTests
fi
export SPARK_LOCAL_IP=127.0.0.1
WORK="${BENCH_WORK:-${TMPDIR:-/tmp}/splice-bench-backfill}"
mkdir -p "$WORK"
# shellcheck disable=SC2046
exec java $(cat backfill-job/jvm-flags.txt) -Xmx6g \
  -cp "backfill-job/target/classes:$(cat backfill-job/target/classpath.txt)" \
  io.splice.backfill.bench.BackfillBench --work "$WORK" "$@" 2>"$WORK/bench-stderr.log"
