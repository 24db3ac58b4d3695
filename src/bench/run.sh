#!/usr/bin/env bash
# Benchmarks of the options service beside baselines measured in the same run.
#
#   src/bench/run.sh [quick|full]     quick: about a minute (a smoke run); full: at most ten minutes
#
# Installs what it needs when absent (wrk, gnuplot, pgbench, redis-benchmark, jq), builds the
# service, seeds a dedicated database (options_bench: 10,000 project scopes of 10 options, SCOPES=...;
# 100 projects each of 10, 100 and 1,000 options; 10,000 or 1,000,000 organizations of one option),
# runs every scenario and baseline with the same wrk settings, stops everything it started, and
# writes target/bench/results.md and PNG plots beside it. Needs Postgres and Redis on localhost, like the
# service; it touches only its own database, Redis keys under options:bench: and Redis DB 15.
set -euo pipefail

MODE=${1:-quick}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export BENCH_DIR="$ROOT/src/bench"
OUT="$ROOT/target/bench"
export SCOPES=${SCOPES:-10000}
export CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PORT=18080
FLOOR_PORT=18090
NOCACHE_PORT=18081
DB=options_bench
# JIT: seconds of mixed load before the first measurement, so that C2 has compiled the hot paths
# (on two cores shared with wrk and Postgres it compiles for a minute and a half and more: quick
# mode measures a JVM that is still warming up, full mode one that is nearly warm)
# BUDGET: seconds the whole run takes at most; a prewarm is cut short so that what follows it (about
# TAIL seconds: the last scenario and the baselines) still fits, however long the build took
case "$MODE" in
  quick) DURATION=1; WARMUP=0; JIT=4; PREWARM_MAX=3; SCOPE_COUNTS="1000 10000"; KEY_COUNTS="10 100 1000"; BUDGET=120 ;;
  full) DURATION=8; WARMUP=3; JIT=80; PREWARM_MAX=110; SCOPE_COUNTS="1000 100000 1000000"; KEY_COUNTS="10 100 1000"; BUDGET=600 ;;
  *) echo "usage: $0 [quick|full]" >&2; exit 2 ;;
esac
MAX_SCOPES=${SCOPE_COUNTS##* }
# the JVM as a small container runs it: a bounded heap, the serial collector (no parallel GC threads
# and structures to pay for on two cores), and the heap's free-ratio bounds the JVM image's run-java
# script sets (GC_MIN_HEAP_FREE_RATIO=10, GC_MAX_HEAP_FREE_RATIO=20), which give back what the heap
# does not need instead of keeping it at its maximum; and the image's periodic trim of the C heap
JVM_OPTS=${JVM_OPTS:-"-Xms64m -Xmx160m -XX:+UseSerialGC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 -XX:TrimNativeHeapInterval=5000"}
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
: > "$RESULTS"
PIDS=()
BEGAN=$(date +%s)

log() { printf '[bench] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# --- tools ------------------------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
command -v pgbench >/dev/null || need+=(postgresql-contrib)
command -v redis-benchmark >/dev/null || need+=(redis-tools)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- build ------------------------------------------------------------------------------------
# The JVM the service runs on: RUN_JAVA, else java. The service starts from an archive made by a
# training run (src/main/docker/train-aot.sh): on Java 25 and later its AOT cache, before 25 a
# dynamic AppCDS archive of every class the run loaded (which the JVM image uses when it is there).
RUN_JAVA=${RUN_JAVA:-java}
JAVA_MAJOR=$("$RUN_JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
JAVA_NAME="$("$RUN_JAVA" -version 2>&1 | sed -n 2p)"
APP="$ROOT/target/quarkus-app"
if [ "$JAVA_MAJOR" -ge 25 ]; then
  ARCHIVE=app.aot
  ARCHIVE_OPTS="-XX:AOTCache=app.aot"
else
  ARCHIVE=app-cds.jsa
  ARCHIVE_OPTS="-XX:SharedArchiveFile=app-cds.jsa -Xshare:auto"
fi
# the archive is made again when the code or the JVM changed since
TRAIN=no
if [ ! -f "$APP/$ARCHIVE" ] || [ "$(cat "$APP/archive.java" 2>/dev/null)" != "$RUN_JAVA" ] \
    || [ -n "$(find "$ROOT/src/main" -newer "$APP/$ARCHIVE" -type f | head -1)" ]; then
  log "building the service"
  (cd "$ROOT" && ./mvnw -B -q package -DskipTests)
  TRAIN=yes
  echo "$RUN_JAVA" > "$APP/archive.java"
fi
CLASSPATH_LIB="$APP/lib/main/*"
mkdir -p "$OUT/classes"
javac -d "$OUT/classes" -cp "$CLASSPATH_LIB" "$BENCH_DIR/java/FloorServer.java"

# --- database ---------------------------------------------------------------------------------
psql_bench() { psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_bench -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
fresh_redis() {
  redis-cli -h 127.0.0.1 --scan --pattern 'options:bench:*' | xargs -r redis-cli -h 127.0.0.1 del >/dev/null
}
fresh_redis
if [ "$TRAIN" = yes ]; then
  log "start-up archive ($ARCHIVE): training run on $JAVA_NAME"
  # shellcheck disable=SC2086
  DB_NAME=$DB MALLOC_ARENA_MAX=2 "$ROOT/src/main/docker/train-aot.sh" "$APP" "$RUN_JAVA" $JVM_OPTS \
    -Doptions.feed.stream=options:changes:bench -Doptions.cache.shared-prefix=options:bench:scope: -Dquarkus.log.level=WARN
fi

# seed_projects <first id> <count> <keys per scope>: project scopes at version 1, keys k0..k(n-1)
seed_projects() {
  psql_bench -d "$DB" \
    -c "INSERT INTO project_options (project_id, key, value) SELECT g, 'k' || k, to_jsonb(k) FROM generate_series($1, $1 + $2 - 1) g, generate_series(0, $3 - 1) k" \
    -c "INSERT INTO option_scopes (scope_key, version) SELECT 'project_options:' || g, 1 FROM generate_series($1, $1 + $2 - 1) g"
}
# seed_organizations <count>: organization scopes 1..count at version 1, one key each
seed_organizations() {
  psql_bench -d "$DB" \
    -c "INSERT INTO organization_options (organization_id, key, value) SELECT g, 'k1', to_jsonb(g) FROM generate_series(1, $1) g" \
    -c "INSERT INTO option_scopes (scope_key, version) SELECT 'organization_options:' || g, 1 FROM generate_series(1, $1) g"
}
# seed_hierarchy <count>: projects 1..count registered in organizations 1..MAX_SCOPES; user n in
# project n with one option and user n with one, so that an inherited read of user n in project n has
# five layers that each hold something (the defaults, the organization, the project, the user, the scope)
seed_hierarchy() {
  psql_bench -d "$DB" \
    -c "UPDATE option_scopes SET organization_id = 1 + (substring(scope_key FROM 17)::bigint % $MAX_SCOPES) WHERE scope_key LIKE 'project_options:%' AND substring(scope_key FROM 17)::bigint <= $1" \
    -c "INSERT INTO user_options (user_id, project_id, key, value) SELECT g, g, 'k2', to_jsonb(g) FROM generate_series(1, $1) g" \
    -c "INSERT INTO user_options (user_id, key, value) SELECT g, 'k3', to_jsonb(g) FROM generate_series(1, $1) g" \
    -c "INSERT INTO option_scopes (scope_key, version) SELECT 'user_options:' || g || ':project:' || g, 1 FROM generate_series(1, $1) g" \
    -c "INSERT INTO option_scopes (scope_key, version) SELECT 'user_options:' || g || ':user', 1 FROM generate_series(1, $1) g"
}
# seed_history: project HISTORY_SCOPE with a history of 100,000 versions, one key changed in each
HISTORY_SCOPE=999999999
seed_history() {
  psql_bench -d "$DB" \
    -c "INSERT INTO option_scopes (scope_key, version) VALUES ('project_options:$HISTORY_SCOPE', 100000)" \
    -c "INSERT INTO project_options (project_id, key, value) VALUES ($HISTORY_SCOPE, 'k1', '100000')" \
    -c "INSERT INTO option_history (scope_key, version, at, actor, channel, changes) SELECT 'project_options:$HISTORY_SCOPE', g, now() - (100000 - g) * interval '1 second', 'bench', 'api', jsonb_build_array(jsonb_build_object('key', 'k1', 'old', g - 1, 'new', g)) FROM generate_series(1, 100000) g"
}
# first project id of the scopes with <keys> options, for the cost-growth runs
key_base() { echo $(( $1 * 1000000 )); }

# start_service <port> <extra -D...>: starts an instance (LAST_PID), waits for its first answer and
# writes the milliseconds that took to startup-<port>.ms. Not to be called in a subshell: PIDS must
# keep every pid, so that everything started is stopped.
start_service() {
  local port=$1; shift
  local began; began=$(date +%s%N)
  # from the application's directory: the archive names quarkus-run.jar by a relative path
  (cd "$APP" && DB_NAME=$DB MALLOC_ARENA_MAX=2 exec "$RUN_JAVA" $JVM_OPTS $ARCHIVE_OPTS \
    -Dquarkus.http.port="$port" -Doptions.auth.enabled=false -Dquarkus.shutdown.delay=0s \
    -Doptions.feed.stream=options:changes:bench -Doptions.cache.shared-prefix=options:bench:scope: \
    -Dquarkus.log.level=WARN "$@" \
    -jar quarkus-run.jar) > "$OUT/service-$port.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  until curl -sf -o /dev/null "http://127.0.0.1:$port/v1/projects/1/options"; do
    kill -0 "$pid" 2>/dev/null || { log "instance on $port died"; cat "$OUT/service-$port.log" >&2; exit 1; }
    sleep 0.05
  done
  echo $(( ($(date +%s%N) - began) / 1000000 )) > "$OUT/startup-$port.ms"
  cat "$OUT/startup-$port.ms" >> "$OUT/startups.ms"
  LAST_PID=$pid
}

stop_services() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

# prewarm <port>: every scope of the current KIND/SCOPES/ID_BASE read once, in order (at most
# PREWARM_MAX seconds, and no longer than leaves the rest of the run within BUDGET), so that the
# measurement starts from warm caches; PREWARMED is how many reads it made (fewer than SCOPES when
# the time ran out first: the rest are read cold later). With as many connections as the scenarios:
# first reads wait on Postgres, so more of them at once go faster (13k/s at 64 against 7k at 16 here)
TAIL=$(( 5 * (WARMUP + DURATION) + 2 * JIT / 3 + 40 ))
prewarm() {
  # (PREWARM_RATE: the reads a second it counts on, 5000 unless set)
  local seconds=$(( SCOPES / ${PREWARM_RATE:-5000} + 2 ))
  local left=$(( BUDGET - ($(date +%s) - BEGAN) - TAIL ))
  [ "$left" -lt 10 ] && left=10
  [ "$seconds" -gt "$PREWARM_MAX" ] && seconds=$PREWARM_MAX
  [ "$seconds" -gt "$left" ] && seconds=$left
  PREWARM_SECONDS=$seconds
  PREWARMED=$(wrk -t2 -c"$CONNECTIONS" -d"${seconds}s" -s "$BENCH_DIR/wrk/prewarm.lua" "http://127.0.0.1:$1" 2>/dev/null \
    | awk '/requests in/ {print $1}' || true)
  log "prewarm: ${PREWARMED:-0} reads of $SCOPES scopes in at most ${seconds}s"
}

# record <name> <rps> <p50> <p99> <p999> <errors> <baseline name>
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RESULTS"; }

# load <name> <script> <port> <connections> <baseline>: a short warm-up (none in quick mode), then a
# measured wrk run
load() {
  local name=$1 script=$2 port=$3 connections=$4 baseline=$5
  if [ "$WARMUP" -gt 0 ]; then
    CONNECTIONS=$connections wrk -t"$THREADS" -c"$connections" -d"${WARMUP}s" -s "$BENCH_DIR/wrk/$script" "http://127.0.0.1:$port" >/dev/null 2>&1 || true
  fi
  local line
  line=$(CONNECTIONS=$connections wrk -t"$THREADS" -c"$connections" -d"${DURATION}s" --timeout 5s -s "$BENCH_DIR/wrk/$script" "http://127.0.0.1:$port" | grep '^RESULT ' | cut -c8-)
  record "$name" \
    "$(jq -r .rps <<<"$line")" "$(jq -r .p50_ms <<<"$line")" "$(jq -r .p99_ms <<<"$line")" \
    "$(jq -r .p999_ms <<<"$line")" "$(jq -r .errors <<<"$line")" "$baseline"
  log "$name: $(jq -c . <<<"$line")"
}

# --- the service, seeded ----------------------------------------------------------------------
log "seeding: $SCOPES projects (10 options each), 3 x 100 projects of 10/100/1000 options, $MAX_SCOPES organizations"
start_service $PORT   # migrates the schema
seed_projects 1 "$SCOPES" 10
for keys in $KEY_COUNTS; do seed_projects $(( $(key_base "$keys") + 1 )) 100 "$keys"; done
seed_organizations "$MAX_SCOPES"
seed_hierarchy "$SCOPES"
seed_history
psql_bench -d "$DB" -c "VACUUM ANALYZE"
stop_services
fresh_redis
: > "$OUT/startups.ms"   # the starts on the migrated database: this one and the baselines' instances
start_service $PORT
SERVICE=$LAST_PID
STARTUP_MS=$(cat "$OUT/startup-$PORT.ms")
prewarm $PORT
log "JIT warm-up: ${JIT}s of mixed reads and writes"
for script in hot-read.lua key-write.lua key-read.lua patch10.lua; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$(( JIT / 4 + 1 ))s" -s "$BENCH_DIR/wrk/$script" "http://127.0.0.1:$PORT" >/dev/null 2>&1 || true
done

log "scenarios ($MODE: ${DURATION}s each after ${WARMUP}s of warm-up, $CONNECTIONS connections)"
curl -s "http://127.0.0.1:$PORT/v1/projects/1/options" > "$OUT/hot-document.json"
load "hot read (whole scope, skewed)" hot-read.lua $PORT "$CONNECTIONS" "HTTP floor"
HOT_RPS=$(tail -1 "$RESULTS" | cut -f2)
RSS_WARM=$(ps -o rss= -p "$SERVICE" | tr -d ' ')
( sleep $((DURATION / 2 + WARMUP)); ps -o rss= -p "$SERVICE" | tr -d ' ' > "$OUT/rss-load.kb" ) &
load "single-key read" key-read.lua $PORT "$CONNECTIONS" "HTTP floor"
RSS_LOAD=$(cat "$OUT/rss-load.kb" 2>/dev/null || echo 0)
HALF=$(awk -v r="$HOT_RPS" 'BEGIN { printf "%d", r / 2 }')
RATE=$HALF load "hot read at half its maximum rate ($HALF/s)" hot-read.lua $PORT "$CONNECTIONS" "-"
# the layers of every user n in project n read once, as the hot read's scopes were above
# (each first read loads up to three layers, a user in a project not batched: some 1,500 a second here)
PREWARM_INHERITED=1 PREWARM_RATE=1000 prewarm $PORT
load "inherited hot read (user in project, five layers)" inherited-read.lua $PORT "$CONNECTIONS" "HTTP floor"
HISTORY_SCOPE=$HISTORY_SCOPE load "history page (100 of 100,000 entries)" history-page.lua $PORT 8 "-"
load "LATEST read" latest-read.lua $PORT "$CONNECTIONS" "pgbench cache-miss read"
load "bulk read of 1,000 ids" bulk-read.lua $PORT 8 "-"
load "single-key write, random scopes" key-write.lua $PORT "$CONNECTIONS" "pgbench write transaction"
load "10-key PATCH, random scopes" patch10.lua $PORT "$CONNECTIONS" "pgbench write transaction"
load "contended writes (one scope, distinct keys)" contended.lua $PORT 64 "contended writes, saves one by one"

# --- cost growth (same instance) --------------------------------------------------------------
log "cost growth: options per scope"
: > "$OUT/keys.dat"
for keys in $KEY_COUNTS; do
  ID_BASE=$(key_base "$keys") SCOPES=100 load "LATEST read, $keys options per scope" latest-read.lua $PORT 8 "-"
  read_p50=$(tail -1 "$RESULTS" | cut -f3)
  ID_BASE=$(key_base "$keys") SCOPES=100 load "10-key PATCH, $keys options per scope" patch10.lua $PORT 8 "-"
  patch_p50=$(tail -1 "$RESULTS" | cut -f3)
  echo "$keys $read_p50 $patch_p50" >> "$OUT/keys.dat"
done
log "cost growth: scopes (organizations 1..n of $MAX_SCOPES)"
: > "$OUT/scopes.dat"
: > "$OUT/prewarmed.dat"
for count in $SCOPE_COUNTS; do
  KIND=organizations SCOPES=$count prewarm $PORT
  echo "$count ${PREWARMED:-0} $PREWARM_SECONDS" >> "$OUT/prewarmed.dat"
  KIND=organizations SCOPES=$count load "hot read over $count scopes" hot-read.lua $PORT "$CONNECTIONS" "-"
  echo "$count $(tail -1 "$RESULTS" | cut -f2)" >> "$OUT/scopes.dat"
done
RSS_END=$(ps -o rss= -p "$SERVICE" | tr -d ' ')
stop_services

# --- baselines --------------------------------------------------------------------------------
log "baseline: HTTP floor"
"$RUN_JAVA" -cp "$OUT/classes:$CLASSPATH_LIB" FloorServer $FLOOR_PORT "$OUT/hot-document.json" > "$OUT/floor.log" 2>&1 &
PIDS+=("$!")
until curl -sf -o /dev/null "http://127.0.0.1:$FLOOR_PORT/"; do sleep 0.05; done
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$(( JIT / 3 + 1 ))s" "http://127.0.0.1:$FLOOR_PORT/" >/dev/null 2>&1 || true
load "HTTP floor (same bytes)" hot-read.lua $FLOOR_PORT "$CONNECTIONS" "-"
stop_services

log "baseline: service without near and shared caches"
start_service $NOCACHE_PORT -Doptions.cache.enabled=false
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$(( JIT / 3 + 1 ))s" -s "$BENCH_DIR/wrk/hot-read.lua" "http://127.0.0.1:$NOCACHE_PORT" >/dev/null 2>&1 || true
load "hot read, caches off" hot-read.lua $NOCACHE_PORT "$CONNECTIONS" "-"
stop_services

# the writes as they were before batching (options.saves.batch=false): every save its own statement
# and commit, saves queued on one scope each made alone in turn; warmed on the same two loads first
log "baseline: saves one by one"
start_service $NOCACHE_PORT -Doptions.saves.batch=false
for script in key-write.lua contended.lua; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$(( JIT / 6 + 1 ))s" -s "$BENCH_DIR/wrk/$script" "http://127.0.0.1:$NOCACHE_PORT" >/dev/null 2>&1 || true
done
load "single-key write, saves one by one" key-write.lua $NOCACHE_PORT "$CONNECTIONS" "-"
load "contended writes, saves one by one" contended.lua $NOCACHE_PORT 64 "-"
stop_services

# a default's impact (GET /v1/definitions/{key}/impact) over every scope the bench database knows,
# on an instance with the example registry (clock_24_hours applies to all five kinds): five answers
log "impact of a default over every known scope"
start_service $NOCACHE_PORT -Doptions.registry.path=classpath:registry-example.yaml
KNOWN_SCOPES=$(psql_bench -d "$DB" -c "SELECT count(*) FROM option_scopes WHERE version > 0")
: > "$OUT/impact.ms"
for _ in 1 2 3 4 5; do
  curl -sf -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$NOCACHE_PORT/v1/definitions/clock_24_hours/impact?default=true" \
    | awk '{printf "%d\n", $1 * 1000}' >> "$OUT/impact.ms"
done
IMPACT_MS=$(sort -n "$OUT/impact.ms" | awk '{v[NR] = $1} END {printf "median %d ms, slowest %d ms", v[int((NR + 1) / 2)], v[NR]}')
log "impact over $KNOWN_SCOPES scopes: $IMPACT_MS"
stop_services

log "baseline: redis-benchmark GET"
SIZE=$(wc -c < "$OUT/hot-document.json")
REDIS_RPS=$(redis-benchmark -h 127.0.0.1 --dbnum 15 -t get -d "$SIZE" -c "$CONNECTIONS" -n $((20000 * DURATION)) -q --csv | awk -F'"' '/GET/ {print $4}')
record "Redis GET (redis-benchmark)" "$REDIS_RPS" - - - 0 -

log "baseline: pgbench"
# as many database connections as the service's pool has (quarkus.datasource.reactive.max-size)
pg_rps() { pgbench -h 127.0.0.1 -U postgres -n -D scopes="$SCOPES" -c 20 -j "$THREADS" -T "$DURATION" -f "$BENCH_DIR/pgbench/$1" "$DB" 2>&1 | awk '/^tps/ {print $3}'; }
record "pgbench write transaction (without history)" "$(pg_rps write.sql)" - - - 0 -
record "pgbench one-statement save (without history)" "$(pg_rps write-conditional.sql)" - - - 0 -
record "pgbench write transaction" "$(pg_rps write-history.sql)" - - - 0 -
record "pgbench one-statement save" "$(pg_rps write-conditional-history.sql)" - - - 0 -
record "pgbench cache-miss read" "$(pg_rps read.sql)" - - - 0 -
# the batched save's shape: 16 scopes a statement, as many statements at once as the service sends
# batches (options.saves.batch-in-flight); tps x 16 writes a second
BATCHED_TPS=$(pgbench -h 127.0.0.1 -U postgres -n -D scopes="$SCOPES" -c 4 -j "$THREADS" -T "$DURATION" -f "$BENCH_DIR/pgbench/write-batched-history.sql" "$DB" 2>&1 | awk '/^tps/ {print $3}')
record "pgbench batched save (16 scopes a statement, writes/s)" "$(awk -v t="$BATCHED_TPS" 'BEGIN { printf "%.0f", t * 16 }')" - - - 0 -
# pgbench's outbox rows were never published (no service wrote them): later users of the database
# (the drills) must not find them
psql_bench -d "$DB" -c "TRUNCATE option_outbox"

# --- report -----------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "") printf "%.2f×", a / b; else printf "" }'; }
rps_of() { awk -F'\t' -v n="$1" '$1 == n {print $2}' "$RESULTS"; }
{
  echo "## Benchmarks ($MODE, $(date -u +%Y-%m-%d), $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s per run)"
  echo
  echo "| scenario | req/s | p50 ms | p99 ms | p99.9 ms | errors | baseline | ratio |"
  echo "|---|---:|---:|---:|---:|---:|---|---:|"
  while IFS=$'\t' read -r name rps p50 p99 p999 errors baseline; do
    base_rps=""
    [ "$baseline" != "-" ] && base_rps=$(rps_of "$baseline" | head -1)
    case "$baseline" in "HTTP floor") base_rps=$(rps_of "HTTP floor (same bytes)");; esac
    printf '| %s | %.0f | %s | %s | %s | %s | %s | %s |\n' "$name" "${rps:-0}" "$p50" "$p99" "$p999" "$errors" \
      "$([ "$baseline" = "-" ] && echo "" || echo "$baseline")" "$([ -n "$base_rps" ] && ratio "$rps" "$base_rps")"
  done < "$RESULTS"
  echo
  echo "Hot read vs caches off: $(ratio "$(rps_of 'hot read (whole scope, skewed)')" "$(rps_of 'hot read, caches off')")."
  first=$(head -1 "$OUT/scopes.dat" | cut -d' ' -f2); last=$(tail -1 "$OUT/scopes.dat" | cut -d' ' -f2)
  echo "Hot-read throughput at $(tail -1 "$OUT/scopes.dat" | cut -d' ' -f1) scopes vs $(head -1 "$OUT/scopes.dat" | cut -d' ' -f1): $(ratio "$last" "$first")."
  echo "Read once before the hot read over n scopes (in at most the seconds given: ${PREWARM_MAX} s, less when the run's ${BUDGET} s would not hold the rest; scopes it did not reach are read from Postgres first): $(awk '{printf "%s%s of %s in %s s", (NR > 1 ? ", " : ""), ($2 >= $1 ? "all" : $2), $1, $3}' "$OUT/prewarmed.dat")."
  echo "Footprint: startup to the first answered request ${STARTUP_MS} ms (every start of the run on the migrated database, the baselines' instances with their own settings included: $(sort -n "$OUT/startups.ms" | paste -sd, - | sed 's/,/, /g') ms); resident memory $((RSS_WARM / 1024)) MB after warm-up, $((RSS_LOAD / 1024)) MB under load, $((RSS_END / 1024)) MB after the $MAX_SCOPES-scope run ($JAVA_NAME, $JVM_OPTS $ARCHIVE_OPTS)."
  echo "A default's impact over the $KNOWN_SCOPES scopes written in the bench database (one query per scope kind, five answers): $IMPACT_MS."
  echo "Single-key write vs pgbench's one-statement save: $(ratio "$(rps_of 'single-key write, random scopes')" "$(rps_of 'pgbench one-statement save')")."
  echo "Single-key write vs pgbench's batched save: $(ratio "$(rps_of 'single-key write, random scopes')" "$(rps_of 'pgbench batched save (16 scopes a statement, writes/s)')"); 10-key PATCH vs single-key write: $(ratio "$(rps_of '10-key PATCH, random scopes')" "$(rps_of 'single-key write, random scopes')")."
  echo "Whole run: $(( $(date +%s) - BEGAN )) s."
  echo
  echo "![p50 latency by options per scope](keys.png) ![hot-read throughput by scopes](scopes.png)"
} > "$OUT/results.md"

gnuplot <<EOF
set terminal png size 640,400
set output "$OUT/keys.png"
set title "p50 latency by options per scope"
set logscale x
set xlabel "options per scope"; set ylabel "ms"
plot "$OUT/keys.dat" using 1:2 with linespoints title "whole-scope LATEST read", "" using 1:3 with linespoints title "10-key PATCH"
set output "$OUT/scopes.png"
set title "hot-read throughput by number of scopes"
set ylabel "requests/s"; set xlabel "scopes"
set yrange [0:*]
plot "$OUT/scopes.dat" using 1:2 with linespoints title "hot read"
EOF

cat "$OUT/results.md"
log "written: $OUT/results.md, $OUT/keys.png, $OUT/scopes.png"
