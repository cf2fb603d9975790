#!/usr/bin/env bash
# The SQLite write-ahead log under sustained durable writes (issue 24): the server on CPU 0,
# the load tool on CPU 1, 100 senders keeping 32 sends in flight each for SECS seconds, the
# WAL's size and the database's sampled every 5 s. Prints the samples and the largest WAL.
# SERVER=<binary> measures another build with the same load tool (before/after).
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER=${SERVER:-./target/release/cloud_msg}
LOADGEN=${LOADGEN:-./target/release/loadgen}
SECS=${SECS:-120}
PORT=${BENCH_PORT:-3301}
ADDR=127.0.0.1:$PORT
DATA=$(mktemp -d)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
LEPTOS_SITE_ADDR=$ADDR DATABASE_URL="sqlite://$DATA/chat.db" RUST_LOG=warn,cloud_msg::server::store::sqlite::wal_guard=info CLOUD_MSG_LIMITS=off \
  LEPTOS_SITE_ROOT=target/site taskset -c 0 "$SERVER" > "$DATA/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -sf "http://$ADDR/healthz" > /dev/null && break; sleep 0.1; done
taskset -c 1 "$LOADGEN" --url "$ADDR" --pid "$SERVER_PID" --users 100 --rooms 100 --senders 100 \
  --durable --secs "$SECS" --room-prefix wal > "$DATA/load.txt" 2>&1 &
LOAD_PID=$!
largest=0
echo "s  wal_MB  db_MB"
t=0
while kill -0 "$LOAD_PID" 2>/dev/null; do
  sleep 5; t=$((t + 5))
  wal=$(stat -c %s "$DATA/chat.db-wal" 2>/dev/null || echo 0)
  db=$(stat -c %s "$DATA/chat.db" 2>/dev/null || echo 0)
  [ "$wal" -gt "$largest" ] && largest=$wal
  echo "$t  $((wal / 1048576))  $((db / 1048576))"
done
wait "$LOAD_PID" || true
grep -E "minute|sent:|server:" "$DATA/load.txt" || cat "$DATA/load.txt"
echo "largest WAL: $((largest / 1048576)) MB"
echo "log-emptying checkpoints: $(grep -c "emptied between batches" "$DATA/server.log" || true)"
grep "emptied between batches" "$DATA/server.log" | grep -o 'ms=[0-9]*' | sort -t= -k2 -n | tail -1 | sed 's/^/longest: /' || true
