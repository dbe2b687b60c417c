#!/usr/bin/env bash
# Throughput of the Splice sinks against the local endpoints (one task each, no broker in the path):
#  - online sink: records/s by featurestore.max.in.flight, with 10 ms injected latency per Feature Store call
#  - offline sink: MB/s of Avro in and Parquet out, S3Proxy in memory
#  - upload (--only upload): the S3 uploads alone, MB/s by object size
# Prints Markdown tables. Usage: bench/sinks/run.sh [--quick] [--only online|offline|upload] [--in-flight 1,8,64]
#   [--throttle SHARE] [--noise BYTES] [--records N] [--upload-mb 64,1] [--set key=value]...
#   (SKIP_BUILD=1 to reuse the last build; see SinkBench)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  mvn -B -ntp -q -pl connectors -am install -DskipTests
  mvn -B -ntp -q -pl connectors test-compile
fi
CP_FILE=$(mktemp)
trap 'rm -f "$CP_FILE"' EXIT
mvn -B -ntp -q -pl connectors dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >/dev/null
java -Xmx3g -Dlog4j2.level=WARN \
  -cp "connectors/target/test-classes:connectors/target/classes:$(cat "$CP_FILE")" \
  io.splice.connectors.bench.SinkBench "$@"
