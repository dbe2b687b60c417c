#!/usr/bin/env bash
# Checks the `s3a` profile end to end, by hand (not in `mvn verify`: the profile's AWS SDK bundle is ~530 MB):
# builds backfill-job with -Ps3a, serves a small world's inputs from S3Proxy (filesystem backend, 127.0.0.1), runs
# `splice backfill` reading and writing s3a://, runs it again on the same files as local paths, and prints the
# objects written and both runs' _SUCCESS markers (rows and part hashes must match). About 1 minute once built.
# Afterwards the launcher's backfill class path includes hadoop-aws; `mvn -q -DskipTests install -pl backfill-job`
# puts the default one back.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
mvn -B -ntp -q -Ps3a -DskipTests install -pl backfill-job -am
[[ -f demo/target/classpath.txt ]] || mvn -B -ntp -q -DskipTests install -pl demo -am
exec timeout 15m java -cp "demo/target/classes:$(cat demo/target/classpath.txt)" backfill-job/s3a-check/S3aCheck.java "$ROOT"
