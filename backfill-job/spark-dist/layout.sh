#!/usr/bin/env bash
# Lays out a Spark distribution (SPARK_HOME) from Maven Central jars, called by `mvn package` (maven-antrun-plugin):
#   layout.sh <classpath file> <target dir>
# jars/ links every jar of the classpath file (the backfill's Spark runtime classpath minus what the cluster jar
# bundles); bin/ and conf/ are copied from this directory; conf/jvm-flags.txt holds the module flags.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CP_FILE="$1"
DIST="$2"
rm -rf "$DIST/jars" "$DIST/bin" "$DIST/conf"
mkdir -p "$DIST/jars" "$DIST/bin" "$DIST/conf" "$DIST/lib"
{ tr ":" "\n" < "$CP_FILE"; echo; } | while IFS= read -r jar; do
  [ -n "$jar" ] && ln -s "$jar" "$DIST/jars/$(basename "$jar")"
done
cp "$HERE"/bin/* "$DIST/bin/" && chmod +x "$DIST"/bin/*
cp "$HERE"/conf/* "$DIST/conf/"
cp "$HERE/../jvm-flags.txt" "$DIST/conf/jvm-flags.txt"
# a driver started by a worker (cluster deploy mode) gets no module flags from Spark: give them to it
printf 'spark.driver.extraJavaOptions    %s\n' "$(cat "$HERE/../jvm-flags.txt")" >> "$DIST/conf/spark-defaults.conf"
echo "spark-dist: $(ls "$DIST/jars" | wc -l) jars linked in $DIST/jars"
