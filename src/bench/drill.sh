#!/usr/bin/env bash
# Fault drills with a consistency checker, on private instances only:
#
#   src/bench/drill.sh [all|fault[,fault...]] [seconds per fault, default 3]
#
# One private Postgres cluster and one private redis-server, each behind an in-process TCP proxy,
# and two service instances. For each fault: clients (cached and strong reads, conditional writes,
# counters, blind writes) and change-feed subscribers (hopping between instances with
# Last-Event-ID) run healthy, through the fault and after it; every invocation, answer and event
# is recorded (target/bench/history-<fault>.jsonl) and checked against Postgres: the version chain,
# lost and extra updates, reads against their versions, real-time order, per-instance sessions, and
# the change feed's guarantees. Faults: redis-kill redis-pause redis-client-kill stream-trim
# instance-pause instance-kill postgres-terminate postgres-stop redis-latency redis-cut
# postgres-latency postgres-cut combined. Writes target/bench/drills.md; exits non-zero on any
# violation or 500. The shared Postgres and Redis are never touched.
set -euo pipefail

WHICH=${1:-all}
SECONDS_PER_FAULT=${2:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/target/bench"
mkdir -p "$OUT/drill-classes"
if [ ! -f "$ROOT/target/quarkus-app/quarkus-run.jar" ]; then
  (cd "$ROOT" && ./mvnw -B -q package -DskipTests)
fi
LIB="$ROOT/target/quarkus-app/lib/main/*"
javac -d "$OUT/drill-classes" -cp "$LIB" "$ROOT"/src/bench/java/dev/options/drill/*.java
timeout 900 java -cp "$OUT/drill-classes:$LIB" dev.options.drill.Drill "$ROOT/target/quarkus-app/quarkus-run.jar" \
  "$OUT/drills.md" "$WHICH" "$SECONDS_PER_FAULT"
