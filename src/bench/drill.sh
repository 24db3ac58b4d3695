#!/usr/bin/env bash
# Fault drills on private instances, each bounded in time:
#
#   src/bench/drill.sh [redis|postgres|kill|all]
#
#   redis     a private redis-server killed for 3 s under load on two instances
#   postgres  a private Postgres cluster stopped for 3 s under load on two instances
#   kill      one of two instances killed with SIGKILL during writes
#
# Clients increment counters with If-Match; a checker compares what they were told with what is
# stored (lost: acknowledged but not stored; extra: stored although the client saw an error) and
# measures the time until every instance serves Postgres's version of every scope with an empty
# outbox. Writes target/bench/drills.md. The shared Postgres and Redis are never stopped.
set -euo pipefail

WHICH=${1:-all}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/target/bench"
mkdir -p "$OUT/classes"
if [ ! -f "$ROOT/target/quarkus-app/quarkus-run.jar" ]; then
  (cd "$ROOT" && ./mvnw -B -q package -DskipTests)
fi
LIB="$ROOT/target/quarkus-app/lib/main/*"
javac -d "$OUT/classes" -cp "$LIB" "$ROOT/src/bench/java/Drill.java"
psql -h 127.0.0.1 -U postgres -qAt -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'options_bench'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -q -d postgres -c "CREATE DATABASE options_bench"

REPORT="$OUT/drills.md"
{
  echo "| drill | requests | failed requests | failed reads | lost updates | extra updates | converged after |"
  echo "|---|---:|---:|---:|---:|---:|---|"
} > "$REPORT"
case "$WHICH" in
  all) DRILLS="redis postgres kill" ;;
  redis|postgres|kill) DRILLS=$WHICH ;;
  *) echo "usage: $0 [redis|postgres|kill|all]" >&2; exit 2 ;;
esac
for drill in $DRILLS; do
  echo "[drill] $drill" >&2
  timeout 180 java -cp "$OUT/classes:$LIB" Drill "$drill" "$ROOT/target/quarkus-app/quarkus-run.jar" "$REPORT" >/dev/null
done
cat "$REPORT"
