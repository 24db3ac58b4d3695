#!/usr/bin/env bash
# Makes the JVM's ahead-of-time archive of the packaged service by a training run: the service
# starts from <app dir>, answers a mix of every kind of request (reads, writes, bulk reads,
# conditional and bad requests, the feed, health and metrics), and stops; the JVM then writes
#   - on JDK 25 and later, the AOT cache <app dir>/app.aot (JEP 483/514/515, -XX:AOTCacheOutput):
#     the classes already loaded and linked, and the methods' profiles already gathered; used with
#     -XX:AOTCache=app.aot;
#   - before 25, a dynamic AppCDS archive <app dir>/app-cds.jsa (-XX:ArchiveClassesAtExit, on top
#     of the JDK's own archive): every class the run loaded, parsed and verified already; used with
#     -XX:SharedArchiveFile=app-cds.jsa. It replaces the archive Quarkus's build makes
#     (quarkus.package.jar.appcds), which holds only the classes loaded before the application's
#     runtime initialization: about 4,000 of the 8,600 loaded before the first answer.
# Started from that directory with it, the same JVM build answers the first request sooner
# (README, Deploying).
#
#   src/main/docker/train-aot.sh <app dir> [<java>] [<JVM options>...]
#
# Needs the service's Postgres and Redis (DB_HOST, DB_NAME, REDIS_HOST, ... as the service reads
# them) and curl. It writes only under scopes 9000000001.. of every kind, through the service's
# own API, so it may run against any database of the service; the database is migrated first if it
# is new. The JVM options must be those the archive is used with (one made with another collector
# or object-header layout is refused at start, with a warning, and the JVM runs without).
set -euo pipefail

APP=$(cd "$1" && pwd)
JAVA=${2:-java}
shift $(( $# < 2 ? $# : 2 ))
PORT=${TRAIN_PORT:-18199}
BASE="http://127.0.0.1:$PORT"
LOG="$APP/train-aot.log"

MAJOR=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
if [ "$MAJOR" -ge 25 ]; then
  ARCHIVE=app.aot
  WRITTEN=app.aot
  OUTPUT=(-XX:AOTCacheOutput=app.aot)
else
  # written beside the one in use, which the JVM maps while it runs, and moved over it after
  ARCHIVE=app-cds.jsa
  WRITTEN=app-cds.jsa.new
  OUTPUT=(-XX:ArchiveClassesAtExit=app-cds.jsa.new)
fi
rm -f "$APP/$WRITTEN"
# auth off: the training needs no keys; the token check's classes load on a deployment's first
# authenticated request instead
(cd "$APP" && exec "$JAVA" "$@" "${OUTPUT[@]}" \
  -Dquarkus.http.port="$PORT" -Doptions.auth.enabled=false -Dquarkus.shutdown.delay=0s \
  -jar quarkus-run.jar) > "$LOG" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
deadline=$(( $(date +%s) + 120 ))
until curl -sf -o /dev/null "$BASE/q/health/ready"; do
  kill -0 "$pid" 2>/dev/null || { echo "train-aot: the service died; see $LOG" >&2; exit 1; }
  [ "$(date +%s)" -lt "$deadline" ] || { echo "train-aot: no answer in 120 s; see $LOG" >&2; exit 1; }
  sleep 0.1
done

req() { curl -s -o /dev/null "$@" || true; }
json=(-H 'Content-Type: application/json')
merge=(-H 'Content-Type: application/merge-patch+json')
# the feed, read for a moment while the writes below are published
curl -s -N --max-time 8 -o /dev/null "$BASE/v1/changes" &
feed=$!
for round in $(seq 1 ${TRAIN_ROUNDS:-40}); do
  id=$(( 9000000000 + round % 40 + 1 ))
  for s in "organizations/$id" "projects/$id" "users/$id" "users/$id/projects/$id" "users/$id/organizations/$id"; do
    req "$BASE/v1/$s/options"
    req -X PUT "${json[@]}" -d "$round" "$BASE/v1/$s/options/train.counter"
    req -X PATCH "${merge[@]}" -d "{\"train.a\": $round, \"train.b\": {\"c\": true}, \"train.d\": null}" "$BASE/v1/$s/options"
    req "$BASE/v1/$s/options/train.counter"
    req -H 'Cache-Control: no-cache' "$BASE/v1/$s/options"
    req -H 'If-None-Match: "1"' "$BASE/v1/$s/options"
  done
  req "$BASE/v1/users/$id/projects/$id/options?inherit=true"
  req "$BASE/v1/projects/$id/options?defaults=exclude"
  req -X PATCH "${merge[@]}" -H 'If-Match: "1"' -d '{"train.e": 1}' "$BASE/v1/projects/$id/options"
  req -X DELETE "$BASE/v1/organizations/$id/options/train.a"
  req "$BASE/v1/projects/options/train.counter?ids=$(seq -s, 9000000001 9000000040)"
  req "$BASE/v1/users/options/train.counter?ids=$id,1,2"
  if (( round % 10 == 0 )); then
    req -X DELETE "$BASE/v1/users/$id/options"
    req "$BASE/v1/definitions"
    req "$BASE/v1/projects/x/options"
    req -X PUT "${json[@]}" -d '{' "$BASE/v1/projects/$id/options/train.bad"
    req -X PUT -H 'Content-Type: text/plain' -d '1' "$BASE/v1/projects/$id/options/train.bad"
    req "$BASE/q/health/live"
    req "$BASE/q/metrics"
  fi
done
wait "$feed" 2>/dev/null || true

# the JVM writes the archive as it exits (on 25, a child JVM assembles it)
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
trap - EXIT
[ -s "$APP/$WRITTEN" ] || { echo "train-aot: no $ARCHIVE written; see $LOG" >&2; exit 1; }
[ "$WRITTEN" = "$ARCHIVE" ] || mv -f "$APP/$WRITTEN" "$APP/$ARCHIVE"
echo "train-aot: $APP/$ARCHIVE ($(( $(stat -c %s "$APP/$ARCHIVE") / 1048576 )) MB)" >&2
