#!/usr/bin/env bash
# bench/realtime.sh: the realtime fan-out benchmark of QMS (results in docs/PERFORMANCE.md).
#
#   bash bench/realtime.sh
#
# For each size N it starts the release binary on SQLite in a temporary folder (one instance,
# in-process rooms; BENCH_REDIS=redis://… runs it with the Redis adapter instead), makes a
# queue through the API and puts N waiting customers in it, then runs bench/realtime.js: N
# customer sockets (each in its own customer room) and $BENCH_STAFF staff boards (in the
# queue room), over websocket, spread over $BENCH_PROCS Node processes on the same machine.
# Each of $BENCH_ROUNDS rounds calls the next customer over HTTP; every waiting customer then
# gets a `notification` (their place moved) and every board a `queue:update`. Latency is
# from the start of the HTTP call to the receipt on each socket. Memory is the server's
# resident set growth per connected socket, read from /proc after the sockets have been idle
# for 3 s. The CPU time (user + system, from /proc) the server and the client processes use
# during the counted rounds is reported per round: on one machine, the wall time of a round
# cannot be less than their sum divided by the cores. The sockets are bare Socket.IO v5 websocket clients (bench/realtime.js, on the `ws`
# package socket.io-client ships with), so the load generator takes little of the CPU it
# shares with the server.
#
# The API caps a queue at 1,000 customers, so the line is written straight into the SQLite
# file (same rows a join makes, without the audit trail).
#
# Environment (all optional): BENCH_SIZES ("1000 10000"), BENCH_STAFF (100), BENCH_ROUNDS (10),
# BENCH_PROCS (2), BENCH_PORT (3950), BENCH_BIN (a built qms binary), BENCH_REDIS (a Redis URL),
# BENCH_KEEP (1 keeps the temporary folders).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZES="${BENCH_SIZES:-1000 10000}"
STAFF="${BENCH_STAFF:-100}"
ROUNDS="${BENCH_ROUNDS:-10}"
PROCS="${BENCH_PROCS:-2}"
PORT="${BENCH_PORT:-3950}"

# 10,000 sockets need as many descriptors on both sides.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

if [ -n "${BENCH_BIN:-}" ]; then
  BIN="$BENCH_BIN"
else
  (cd "$ROOT" && cargo build --release -p qms >&2)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/qms"
fi
[ -d "$ROOT/e2e/node_modules/socket.io-client" ] || (cd "$ROOT/e2e" && npm ci --no-audit --no-fund >&2)

SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true; }
trap cleanup EXIT

RESULTS=()
for N in $SIZES; do
  DIR="$(mktemp -d /tmp/qms-rt-bench.XXXXXX)"
  echo "== N=$N customers, $STAFF staff boards ($DIR)" >&2
  PORT="$PORT" QMS_DATA_DIR="$DIR" RUST_LOG="${BENCH_LOG:-warn}" REDIS_URL="${BENCH_REDIS:-}" \
    "$BIN" serve >"$DIR/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break
    sleep 0.2
  done
  URL="http://demo.localhost:$PORT"
  TOKEN="$(curl -sf -H 'Host: demo.localhost' -H 'content-type: application/json' \
    -d '{"email":"owner@demo.localhost","password":"demo-owner-2026"}' \
    "http://127.0.0.1:$PORT/api/auth/login" | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')"
  QUEUE_JSON="$(curl -sf -H 'Host: demo.localhost' -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
    -d '{"name":"Fan-out","maxCapacity":1000,"averageServiceTime":5,"businessHoursStart":"00:00","businessHoursEnd":"00:00"}' \
    "http://127.0.0.1:$PORT/api/queues")"
  QUEUE="$(echo "$QUEUE_JSON" | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')"
  TENANT="$(echo "$QUEUE_JSON" | python3 -c 'import sys,json;print(json.load(sys.stdin)["tenantId"])')"
  python3 - "$DIR/qms.db" "$TENANT" "$QUEUE" "$N" "$DIR/sessions.json" <<'EOF'
import json, secrets, sqlite3, sys, time, uuid
db, tenant, queue, n, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
con = sqlite3.connect(db, timeout=30)
now = int(time.time() * 1000)
day = time.strftime("%Y-%m-%d", time.gmtime())
rows, sessions = [], []
for i in range(1, n + 1):
    sid = secrets.token_hex(16)
    sessions.append(sid)
    phone = "+6019%07d" % i
    rows.append((str(uuid.uuid4()), tenant, queue, phone, "Guest %d" % i, phone, i, "%06d" % (i % 10**6),
                 sid, day, i, "F-%03d" % i, now + i))
con.executemany(
    """INSERT INTO queue_entries (id, tenant_id, queue_id, customer_id, customer_name, customer_phone,
         platform, position, status, party_size, verification_code, session_id, ticket_day, ticket_seq,
         ticket_number, joined_at)
       VALUES (?, ?, ?, ?, ?, ?, 'web', ?, 'waiting', 2, ?, ?, ?, ?, ?, ?)""", rows)
con.commit()
json.dump(sessions, open(out, "w"))
EOF
  RESULT="$(NODE_PATH="$ROOT/e2e/node_modules" node "$ROOT/bench/realtime.js" --url "$URL" --token "$TOKEN" \
    --queue "$QUEUE" --sessions "$DIR/sessions.json" --staff "$STAFF" --procs "$PROCS" \
    --rounds "$ROUNDS" --server-pid "$SERVER_PID")"
  echo "$RESULT" >&2
  RESULTS+=("$RESULT")
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$DIR"
done

echo
echo "QMS realtime fan-out: $(nproc) cores, load generator ($PROCS Node processes) on the same machine, adapter: ${BENCH_REDIS:+Redis}${BENCH_REDIS:-in-process}"
echo
echo "| customers | staff boards | sockets | customer p50 ms | customer p99 ms | board p50 ms | board p99 ms | call-next HTTP p50 ms | missed | server KiB per idle socket | CPU ms per round: server | clients |"
echo "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
for R in "${RESULTS[@]}"; do
  echo "$R" | python3 -c '
import sys, json
r = json.load(sys.stdin)
f = lambda x: "%.1f" % x
print("| %d | %d | %d | %s | %s | %s | %s | %s | %d | %s | %.0f | %.0f |" % (r["customers"], r["staff"], r["connected"],
    f(r["customer"]["p50"]), f(r["customer"]["p99"]), f(r["staff_boards"]["p50"]), f(r["staff_boards"]["p99"]),
    f(r["http"]["p50"]), r["missing"], f(r["kib_per_socket"]),
    r["server_cpu_ms_per_round"], r["clients_cpu_ms_per_round"]))'
done
