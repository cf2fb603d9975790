#!/usr/bin/env bash
# (l) Soak (issue 24): SOAK_SECS (1,800) of a mixed load — 1,000 people over 50 rooms reading
# everything and saying `read`; per second 100 messages, 10 reactions, 20 typing, 5 room
# changes, 2 sign-ins, 2 searches, 10 room pages — with the server's RSS, open files, WAL
# size and the delivery p99 each minute. Then DURABLE_SECS (600) of durable writes at the
# highest rate (bench/wal.sh: 100 senders, 32 sends in flight each). Server on CPU 0, load
# tool on CPU 1 (DURABLE_SECS=0: the soak alone; SOAK_LOG sets the server's RUST_LOG).
# Writes bench/out/l.txt and bench/out/l-durable.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER=${SERVER:-./target/release/cloud_msg}
LOADGEN=${LOADGEN:-./target/release/loadgen}
SOAK_SECS=${SOAK_SECS:-1800}
DURABLE_SECS=${DURABLE_SECS:-600}
PORT=${BENCH_PORT:-3303}
ADDR=127.0.0.1:$PORT
DATA=$(mktemp -d)
OUT=bench/out
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
LEPTOS_SITE_ADDR=$ADDR DATABASE_URL="sqlite://$DATA/chat.db" RUST_LOG=${SOAK_LOG:-warn} \
  CLOUD_MSG_LIMITS=off LEPTOS_SITE_ROOT=target/site taskset -c 0 "$SERVER" > "$DATA/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -sf "http://$ADDR/healthz" > /dev/null && break; sleep 0.1; done
taskset -c 1 "$LOADGEN" --url "$ADDR" --pid "$SERVER_PID" --soak "$SOAK_SECS" --users 1000 --rooms 50 \
  --wal "$DATA/chat.db-wal" 2>&1 | tee "$OUT/l.txt"
# What the server warned of (slow passes of the writer, slow checkpoints), never bodies.
echo "server warnings: $(grep -c 'WARN' "$DATA/server.log" || true)" | tee -a "$OUT/l.txt"
grep -E 'WARN|ERROR' "$DATA/server.log" | tail -20 | tee -a "$OUT/l.txt" || true
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
[ "$DURABLE_SECS" -gt 0 ] || exit 0
echo "== (l) durable writes at the highest rate for ${DURABLE_SECS} s"
SECS=$DURABLE_SECS SERVER=$SERVER LOADGEN=$LOADGEN bash bench/wal.sh | tee "$OUT/l-durable.txt"
