#!/usr/bin/env bash
# bench/run.sh: the HTTP benchmark of QMS (results and analysis in docs/PERFORMANCE.md).
#
#   bash bench/run.sh
#
# For each backend (SQLite in a temporary data folder; PostgreSQL in a fresh database on
# $BENCH_PG_URL's server, when it answers) it starts the release binary on a free port,
# prepares data through the API, runs wrk against five scenarios and prints one table:
#
#   customer status GET   GET  /api/queues/entry/{sessionId}  (a customer 50th in line)
#   queue details GET     GET  /api/queues/{id}               (staff; 50 waiting)
#   queue list GET        GET  /api/queues                    (staff; 3 queues with stats)
#   join POST             POST /api/queues/{id}/join          (unique phones, 201 only)
#   call-next POST        POST /api/queues/{id}/call-next     (2xx only)
#
# Requests/s counts only successful answers (2xx; 201 for joins); the non-2xx column counts
# the other answers and "socket errors" the connections that failed or timed out. Latency
# percentiles are wrk's, over every answer. The load generator runs on the same machine as
# the server (and the database), so they share its cores: after the table come each run's
# status codes and how many cores the server, the database (its backends for this run and its
# background processes), wrk and everything else kept busy, so that a run disturbed by other
# work shows as such, and how many realtime fan-out jobs the server finished during the run.
#
# Data: status and the two staff reads use the seeded demo tenant (demo.localhost), where a
# queue "Bench line" gets 50 waiting customers. Joins and call-next use a second tenant,
# bench.localhost, made with `qms tenant create --plan ENTERPRISE` (50 queues per merchant
# instead of the demo plan's 10), with $BENCH_QUEUES queues of capacity 1000: the join run
# spreads over them, an unmeasured second join run tops them up, and call-next then calls
# customers round the same queues. A join or call-next thread stops at its first 409 (the
# queues are full, or empty), and the rate is then over the time the run had work (see
# bench/common.lua).
#
# Environment (all optional):
#   BENCH_DURATION     wrk duration of each measured run (default 10s)
#   BENCH_CONNECTIONS  open connections (default 64)
#   BENCH_THREADS      wrk threads (default 2)
#   BENCH_QUEUES       queues for join/call-next, at most 50 (default 50: room for 50,000 joins)
#   BENCH_BACKENDS     "sqlite postgres" (default), or one of them
#   BENCH_PG_URL       PostgreSQL server to make the scratch database on
#                      (default postgres://postgres@127.0.0.1:5432/postgres)
#   BENCH_CLIENTS      distinct client addresses the requests come from (default 100000, at
#                      most 128000; 0 for one): the server trusts the loopback proxy and wrk
#                      sends X-Forwarded-For (see bench/common.lua), so per-client rate limits
#                      act as they would with that many people, not as on one abusive client
#   BENCH_PORT         first port to try (default 3900)
#   BENCH_BIN          an already built qms binary to use instead of building one
#   BENCH_ANALYZE      0: no ANALYZE of the PostgreSQL tables after loading (see analyze())
#   BENCH_HISTORY      finished customers of past days written into the measured queues before
#                      the runs (default 200000; 0 for none; see add_history())
#   BENCH_KEEP         1 keeps the temporary folder (server logs, raw wrk output)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="$ROOT/bench"
DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
POOL_QUEUES="${BENCH_QUEUES:-50}"
BACKENDS="${BENCH_BACKENDS:-sqlite postgres}"
PG_ADMIN_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
NEXT_PORT="${BENCH_PORT:-3900}"
CLIENTS="${BENCH_CLIENTS:-100000}"

DEMO_HOST="demo.localhost"
DEMO_EMAIL="owner@demo.localhost"
DEMO_PASSWORD="demo-owner-2026"
BENCH_HOST="bench.localhost"
BENCH_EMAIL="owner@bench.localhost"
BENCH_PASSWORD="bench-owner-2026"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

((POOL_QUEUES >= 1 && POOL_QUEUES <= 50)) || die "BENCH_QUEUES must be 1-50"
((THREADS >= 1 && CONNECTIONS >= THREADS)) || die "BENCH_CONNECTIONS must be at least BENCH_THREADS"

# --- 1. tools and the binary ------------------------------------------------------------------

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  log "installing $* with apt-get"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "$@" >/dev/null
}

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
if ((${#missing[@]})); then apt_install "${missing[@]}"; fi

if [ -n "${BENCH_BIN:-}" ]; then
  BIN="$BENCH_BIN"
else
  log "building the release binary (cargo build --release -p qms)"
  (cd "$ROOT" && cargo build --release -p qms)
  TARGET_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | jq -r .target_directory)"
  BIN="$TARGET_DIR/release/qms"
fi
[ -x "$BIN" ] || die "no binary at $BIN"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/qms-bench.XXXXXX")"
SERVER_PID=""
PG_DB=""
RESULTS="$WORK/results"
: >"$RESULTS"

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

drop_pg_db() {
  if [ -n "$PG_DB" ]; then
    psql "$PG_ADMIN_URL" -qAt -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 ||
      log "warning: could not drop the database $PG_DB"
    PG_DB=""
  fi
}

cleanup() {
  stop_server
  drop_pg_db
  if [ "${BENCH_KEEP:-0}" = "1" ]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 2. server and data ---------------------------------------------------------------------

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local p=$NEXT_PORT
  while port_in_use "$p"; do
    p=$((p + 1))
    ((p < NEXT_PORT + 200)) || die "no free port from $NEXT_PORT"
  done
  NEXT_PORT=$((p + 1))
  PORT=$p
}

# Runs qms in the data folder with only the settings the benchmark gives (the caller's RUST_LOG,
# QMS_CONFIG and the like are left out); `exec` so that the process id is the server's own.
# The loopback proxy is trusted for X-Forwarded-For (see BENCH_CLIENTS); the server listens on
# [::], where IPv4 peers appear as ::ffff:127.0.0.1, hence that address in the list as well.
qms() {
  cd "$DATA_DIR" && exec env -u RUST_LOG -u QMS_CONFIG -u QMS_ENV -u SESSION_SECRET -u REDIS_URL \
    -u METRICS_TOKEN -u QMS_LOG_FORMAT TRUSTED_PROXIES="127.0.0.1,::1,::ffff:127.0.0.1" \
    PORT="$PORT" DATABASE_URL="$DB_URL" QMS_DATA_DIR="$DATA_DIR" BASE_DOMAIN=localhost "$BIN" "$@"
}

start_server() {
  (qms serve >"$DATA_DIR/server.log" 2>&1) &
  SERVER_PID=$!
  local i
  for i in $(seq 1 600); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/health" 2>/dev/null; then
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA_DIR/server.log" >&2; die "the server stopped"; }
    sleep 0.1
  done
  cat "$DATA_DIR/server.log" >&2
  die "the server did not answer /api/health within 60 s"
}

# api EXPECTED_STATUS METHOD HOST PATH [TOKEN] [JSON_BODY]: prints the answer's body, or stops
# the run when the status differs. The request comes from client address $CLIENT_IP (through
# the trusted loopback proxy), outside the range wrk's clients use.
CLIENT_IP="198.19.255.254"
api() {
  local expect=$1 method=$2 host=$3 path=$4 token=${5:-} body=${6:-}
  local args=(-sS -o "$WORK/body" -w '%{http_code}' -X "$method" -H "Host: $host" -H 'Accept: application/json'
    -H "X-Forwarded-For: $CLIENT_IP")
  if [ -n "$token" ]; then args+=(-H "Authorization: Bearer $token"); fi
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data "$body"); fi
  local code
  code="$(curl "${args[@]}" "http://127.0.0.1:$PORT$path")" || die "$method $path: no answer"
  [ "$code" = "$expect" ] || die "$method $host$path answered $code (expected $expect): $(head -c 400 "$WORK/body")"
  cat "$WORK/body"
}

login() { api 200 POST "$1" /api/auth/login "" "{\"email\":\"$2\",\"password\":\"$3\"}" | jq -r .token; }

create_queue() { # HOST TOKEN NAME → queue id
  api 201 POST "$1" /api/queues "$2" "{\"name\":\"$3\",\"maxCapacity\":1000,\"averageServiceTime\":5,\"businessHoursStart\":\"00:00\",\"businessHoursEnd\":\"00:00\"}" | jq -r .id
}

join_one() { # HOST QUEUE_ID N → sessionId of a new customer with phone +60129 + 6 digits of N
  local CLIENT_IP="198.19.254.$(($3 % 250 + 1))" # one address per customer, as in life
  api 201 POST "$1" "/api/queues/$2/join" "" "$(printf '{"customerName":"Prep %d","customerPhone":"+60129%06d","partySize":2}' "$3" "$3")" | jq -r .sessionId
}

# Waiting customers in the given tenant's queues (all of them).
total_waiting() { api 200 GET "$1" /api/queues "$2" | jq '[.[] | .stats.waiting] | add // 0'; }

prepare() {
  log "$BACKEND: preparing data"
  DEMO_TOKEN="$(login "$DEMO_HOST" "$DEMO_EMAIL" "$DEMO_PASSWORD")"
  DETAILS_QUEUE="$(create_queue "$DEMO_HOST" "$DEMO_TOKEN" "Bench line")"
  local i
  for i in $(seq 1 49); do join_one "$DEMO_HOST" "$DETAILS_QUEUE" "$i" >/dev/null; done
  SESSION="$(join_one "$DEMO_HOST" "$DETAILS_QUEUE" 50)"

  (qms tenant create --slug bench --name "Bench Load" \
    --owner-email "$BENCH_EMAIL" --owner-password "$BENCH_PASSWORD" --plan ENTERPRISE) \
    >>"$DATA_DIR/server.log" 2>&1 || { tail -5 "$DATA_DIR/server.log" >&2; die "qms tenant create failed"; }
  BENCH_TOKEN="$(login "$BENCH_HOST" "$BENCH_EMAIL" "$BENCH_PASSWORD")"
  local ids=()
  for i in $(seq 1 "$POOL_QUEUES"); do
    ids+=("$(create_queue "$BENCH_HOST" "$BENCH_TOKEN" "$(printf 'Pool %02d' "$i")")")
  done
  POOL="$(IFS=,; echo "${ids[*]}")"
}

# A restaurant that has used QMS for a while has served many more customers than wait in its
# line now, and every read and move runs against that history (the plans PostgreSQL makes,
# the indexes' depth). add_history writes $BENCH_HISTORY finished entries of a month ago
# (completed, with one in ten cancelled and one in ten no-shows) round the measured queues
# (the demo tenant's "Bench line" and the bench tenant's pool) straight into the database,
# as one statement: through the API it would take longer than the benchmark. Their calls are
# older than the pace window, so estimates are unchanged, and they are younger than the
# retention purge's cutoff, so it keeps them.
HISTORY="${BENCH_HISTORY:-200000}"
add_history() {
  ((HISTORY > 0)) || return 0
  log "$BACKEND: writing $HISTORY finished entries of a month ago"
  local queues="'$DETAILS_QUEUE'" id ids
  IFS=, read -ra ids <<<"$POOL"
  for id in "${ids[@]}"; do queues+=",'$id'"; done
  if [ "$BACKEND" = postgres ]; then
    psql "$DB_URL" -qAt -v ON_ERROR_STOP=1 >/dev/null <<SQL || die "writing the history failed"
WITH qs AS (SELECT id, tenant_id, (row_number() OVER (ORDER BY id) - 1)::int AS i, count(*) OVER ()::int AS n
            FROM queues WHERE id::text IN ($queues)),
     at AS (SELECT now() - interval '30 days' AS t)
INSERT INTO queue_entries (id, tenant_id, queue_id, customer_id, customer_name, customer_phone,
    platform, position, estimated_wait_time, status, party_size, verification_code, session_id,
    ticket_day, ticket_seq, ticket_number, joined_at, called_at, served_at, completed_at)
SELECT gen_random_uuid(), qs.tenant_id, qs.id, '+60170' || lpad(g::text, 7, '0'), 'Past ' || g,
    '+60170' || lpad(g::text, 7, '0'), 'web', g, 0,
    CASE g % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'no_show' ELSE 'completed' END,
    2, '0000', md5('history ' || g), '2000-01-01', g, 'H-' || g,
    at.t, at.t + interval '10 minutes', at.t + interval '12 minutes', at.t + interval '50 minutes'
FROM generate_series(1, $HISTORY) g JOIN qs ON qs.i = g % qs.n CROSS JOIN at;
SQL
  else
    sqlite3 -bail "$WORK/sqlite/qms.db" >/dev/null <<SQL || die "writing the history failed"
PRAGMA busy_timeout = 10000;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $HISTORY),
     qs AS (SELECT id, tenant_id, row_number() OVER (ORDER BY id) - 1 AS i, count(*) OVER () AS n
            FROM queues WHERE id IN ($queues)),
     at AS (SELECT (unixepoch() - 30 * 86400) * 1000 AS t)
INSERT INTO queue_entries (id, tenant_id, queue_id, customer_id, customer_name, customer_phone,
    platform, position, estimated_wait_time, status, party_size, verification_code, session_id,
    ticket_day, ticket_seq, ticket_number, joined_at, called_at, served_at, completed_at)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
        || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
    qs.tenant_id, qs.id, '+60170' || printf('%07d', g.n), 'Past ' || g.n,
    '+60170' || printf('%07d', g.n), 'web', g.n, 0,
    CASE g.n % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'no_show' ELSE 'completed' END,
    2, '0000', 'history-' || g.n, '2000-01-01', g.n, 'H-' || g.n,
    at.t, at.t + 600000, at.t + 720000, at.t + 3000000
FROM g JOIN qs ON qs.i = g.n % qs.n CROSS JOIN at;
SQL
  fi
}

# PostgreSQL plans from table statistics, which autovacuum refreshes in a running system once a
# table has grown (checked every minute). A run grows queue_entries by tens of thousands of rows
# in seconds, faster than that, so after each load the tables are analysed, as autovacuum would
# have done by then (pgbench does the same after loading). BENCH_ANALYZE=0 skips it, to measure
# plans made on stale statistics. (SQLite keeps no statistics unless told to; QMS never does.)
analyze() {
  if [ "$BACKEND" = postgres ] && [ "${BENCH_ANALYZE:-1}" = 1 ]; then
    psql "$DB_URL" -qAt -v ON_ERROR_STOP=1 -c "ANALYZE" >/dev/null || die "ANALYZE failed"
  fi
}

# --- 3. wrk ---------------------------------------------------------------------------------

# CPU accounting, in clock ticks: the whole machine's busy time (user and system, not interrupts,
# so the loopback traffic's softirq time counts nowhere), and that of given processes.
TICKS="$(getconf CLK_TCK)"
cpu_busy() { awk '/^cpu /{print $2 + $3 + $4}' /proc/stat; } # user, nice, system
proc_cpu() {
  local t=0 p
  for p in "$@"; do
    if [ -r "/proc/$p/stat" ]; then t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); fi
  done
  echo "$t"
}
# The database's processes, as "pid ticks" lines: the backends connected to the benchmark's
# database and the server's own background processes (WAL writer, checkpointer, ...), not other
# clients' backends. None for SQLite.
db_ticks() {
  local p
  if [ "$BACKEND" != postgres ]; then return 0; fi
  for p in $(psql "$PG_ADMIN_URL" -qAt -c \
    "SELECT pid FROM pg_stat_activity WHERE (datname = '$PG_DB' OR datname IS NULL) AND pid <> pg_backend_pid()" || true); do
    echo "$p $(proc_cpu "$p")"
  done
}

# db_delta BEFORE AFTER: the ticks the database's processes used in between (a process that
# started meanwhile counts whole; one that ended meanwhile is lost).
db_delta() {
  awk 'NR == FNR { before[$1] = $2; next } { d += $2 - ($1 in before ? before[$1] : 0) } END { print d + 0 }' \
    <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

# Realtime fan-out jobs the server has finished so far (its /metrics): a change is answered
# before its events go out, so a run that outpaces the realtime worker leaves work behind that
# its figure does not pay for. The table's notes say how many were done during each run.
jobs_done() {
  curl -fsS "http://127.0.0.1:$PORT/metrics" 2>/dev/null |
    awk '/^realtime_job_seconds_count/ { n = $2 } END { printf "%d", n + 0 }'
}

# run_wrk LABEL SCRIPT ARGS...: runs wrk and leaves its BENCH_RESULT line in $LAST, in $CPU
# how many cores the server, the database, wrk and everything else kept busy meanwhile, and in
# $JOBS how many realtime fan-out jobs the server finished meanwhile.
run_wrk() {
  local label=$1 script=$2
  shift 2
  local out="$WORK/$BACKEND-$label.txt"
  local b0 q0 g0 b1 q1 g1 TIMEFORMAT='%U %S'
  local j0 j1
  j0=$(jobs_done)
  b0=$(cpu_busy) q0=$(proc_cpu "$SERVER_PID") g0=$(db_ticks)
  { time wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$BENCH_DIR/$script" \
    "http://127.0.0.1:$PORT" -- clients="$CLIENTS" "$@" >"$out" 2>&1; } 2>"$out.time" ||
    { cat "$out" >&2; die "wrk failed ($label)"; }
  b1=$(cpu_busy) q1=$(proc_cpu "$SERVER_PID") g1=$(db_ticks)
  j1=$(jobs_done)
  JOBS=$((j1 - j0))
  LAST="$(grep '^BENCH_RESULT ' "$out" | tail -1)"
  [ -n "$LAST" ] || { cat "$out" >&2; die "no BENCH_RESULT line from wrk ($label)"; }
  CPU="$(awk -v b=$((b1 - b0)) -v q=$((q1 - q0)) -v g="$(db_delta "$g0" "$g1")" -v hz="$TICKS" \
    -v us="$(field duration_us)" '{ w = ($1 + $2) * hz; s = us / 1e6 * hz; o = b - q - g - w; if (o < 0) o = 0
      printf "server %.2f, database %.2f, wrk %.2f, other %.2f", q / s, g / s, w / s, o / s }' "$out.time")"
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $LAST"; }

# scenario NAME LABEL SCRIPT ARGS...: a measured run, recorded for the table.
scenario() {
  local name=$1 label=$2
  shift 2
  log "$BACKEND: $name ($DURATION, $CONNECTIONS connections)"
  run_wrk "$label" "$@"
  local sock=$(($(field connect_errors) + $(field read_errors) + $(field write_errors) + $(field timeouts)))
  printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$BACKEND" "$name" "$(field ok_per_sec)" "$(field p50_ms)" \
    "$(field p99_ms)" "$(field non2xx)" "$sock" "$(field codes)" "$CPU" "$JOBS" >>"$RESULTS"
  log "  $(field ok_per_sec) ok/s, p50 $(field p50_ms) ms, p99 $(field p99_ms) ms, statuses $(field codes)"
  log "  cores busy: $CPU; realtime jobs done: $JOBS"
}

bench_backend() {
  free_port
  DATA_DIR="$WORK/$BACKEND"
  mkdir -p "$DATA_DIR"
  log "$BACKEND: starting qms on port $PORT"
  start_server
  prepare
  add_history

  analyze
  scenario "customer status GET" status get.lua host="$DEMO_HOST" path="/api/queues/entry/$SESSION"
  scenario "queue details GET (50 waiting)" details get.lua host="$DEMO_HOST" token="$DEMO_TOKEN" \
    path="/api/queues/$DETAILS_QUEUE"
  scenario "queue list GET (3 queues)" list get.lua host="$DEMO_HOST" token="$DEMO_TOKEN" path="/api/queues"
  scenario "join POST ($POOL_QUEUES queues)" join join.lua host="$BENCH_HOST" queues="$POOL" \
    threads="$THREADS" base=0

  # Top up the same queues (unmeasured) so that call-next does not run them empty.
  log "$BACKEND: topping up the queues for call-next (unmeasured join run)"
  run_wrk fill join.lua host="$BENCH_HOST" queues="$POOL" threads="$THREADS" base=5000000
  log "  $(field ok) more joins; $(total_waiting "$BENCH_HOST" "$BENCH_TOKEN") customers waiting"
  analyze

  scenario "call-next POST ($POOL_QUEUES queues)" call_next call_next.lua host="$BENCH_HOST" \
    token="$BENCH_TOKEN" queues="$POOL"
  log "  $(total_waiting "$BENCH_HOST" "$BENCH_TOKEN") customers still waiting"

  stop_server
}

for BACKEND in $BACKENDS; do
  case "$BACKEND" in
    sqlite)
      DB_URL="sqlite://$WORK/sqlite/qms.db"
      bench_backend
      ;;
    postgres)
      if ! command -v psql >/dev/null; then
        if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then apt_install postgresql-client; fi
      fi
      if ! command -v psql >/dev/null || ! psql "$PG_ADMIN_URL" -qAt -c 'SELECT 1' >/dev/null 2>&1; then
        log "postgres: $PG_ADMIN_URL does not answer; skipped"
        continue
      fi
      PG_DB="qms_bench_$$_$RANDOM"
      if ! psql "$PG_ADMIN_URL" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null; then
        log "postgres: cannot create a database on $PG_ADMIN_URL; skipped"
        PG_DB=""
        continue
      fi
      DB_URL="${PG_ADMIN_URL%/*}/$PG_DB"
      bench_backend
      drop_pg_db
      ;;
    *) die "unknown backend $BACKEND (sqlite or postgres)" ;;
  esac
done

# --- 4. the table ---------------------------------------------------------------------------

echo
echo "QMS HTTP benchmark: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores, load generator on the same machine"
echo
echo "| backend | scenario | requests/s (2xx only) | p50 ms | p99 ms | non-2xx | socket errors |"
echo "|---|---|--:|--:|--:|--:|--:|"
while IFS='|' read -r backend name rps p50 p99 non2xx sock codes cpu jobs; do
  printf '| %s | %s | %.0f | %s | %s | %s | %s |\n' "$backend" "$name" "$rps" "$p50" "$p99" "$non2xx" "$sock"
done <"$RESULTS"
echo
echo "Status codes; cores kept busy (of $(nproc)) by the server, the database, wrk and any other process;"
echo "realtime fan-out jobs the server finished during the run (one per change; fewer than the"
echo "changes made means the run left event work behind that its figure does not include):"
while IFS='|' read -r backend name rps p50 p99 non2xx sock codes cpu jobs; do
  printf '  %s, %s: %s; %s; realtime jobs done %s\n' "$backend" "$name" "$codes" "$cpu" "$jobs"
done <"$RESULTS"
