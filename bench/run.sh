#!/usr/bin/env bash
# The fixed benchmark suite: server pinned to CPU 0, load generator to CPU 1, loopback only.
# Writes bench/RESULTS.md. Run through `make bench` (which builds both in release).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${BENCH_PORT:-3300}
ADDR=127.0.0.1:$PORT
DATA=$(mktemp -d)
OUT=bench/out
mkdir -p "$OUT"
LOADGEN=./target/release/loadgen
SERVER_PID=

start_server() {
  rm -rf "$DATA" && mkdir -p "$DATA"
  LEPTOS_SITE_ADDR=$ADDR DATABASE_URL="sqlite://$DATA/chat.db" RUST_LOG=warn \
    taskset -c 0 ./target/release/cloud_msg > "$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -sf "http://$ADDR/healthz" > /dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
trap stop_server EXIT
gen() { taskset -c 1 "$LOADGEN" --url "$ADDR" --pid "$SERVER_PID" "$@"; }

echo "== (a) idle: 5,000 sockets over 10 rooms"
start_server; gen --users 5000 --rooms 10 --idle 5 --room-prefix idle | tee "$OUT/a.txt"; stop_server
echo "== (b) fan-out: 1 room of 1,000, 5 senders x 20 msg/s"
start_server; gen --users 1000 --rooms 1 --senders 5 --rate 20 --secs 10 --room-prefix fan | tee "$OUT/b.txt"
echo "== (f) TTFB: the room page with its last 50 messages"
gen --ttfb /r/fan-0 --requests 1000 | tee "$OUT/f.txt"; stop_server
echo "== (c) many rooms: 2,000 members over 200 rooms, 200 senders x 5 msg/s"
start_server; gen --users 2000 --rooms 200 --senders 200 --rate 5 --secs 10 --room-prefix many | tee "$OUT/c.txt"; stop_server
echo "== (e) durable writes: 100 senders as fast as acks allow"
start_server; gen --users 100 --rooms 100 --senders 100 --durable --secs 5 --room-prefix dur | tee "$OUT/e.txt"; stop_server
echo "== (g) client size"
wasm=target/site/pkg/cloud_msg.wasm; js=target/site/pkg/cloud_msg.js
size() { stat -c %s "$1"; }
gz() { gzip -9c "$1" | wc -c; }
printf 'wasm %s bytes (gzip %s), js %s bytes (gzip %s)\n' "$(size $wasm)" "$(gz $wasm)" "$(size $js)" "$(gz $js)" | tee "$OUT/g.txt"

line() { grep -h "$2" "$OUT/$1.txt" | head -1; }
{
  echo "# Benchmark results"
  echo
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
  echo "$(free -g | awk '/Mem:/ {print $2}') GiB; server pinned to CPU 0, \`loadgen\` to CPU 1, loopback."
  echo "SQLite in WAL mode with \`synchronous = FULL\` (every ack is fsynced). Release build."
  echo
  echo "| scenario | result |"
  echo "|---|---|"
  echo "| (a) idle, 5,000 sockets / 10 rooms | $(line a 'server RSS') |"
  echo "| (b) fan-out, 1 room x 1,000, 5 senders x 20/s | $(line b deliveries:); $(line b latency); $(line b 'server:'); $(line b 'loadgen:') |"
  echo "| (c) 2,000 members / 200 rooms, 200 senders x 5/s | $(line c deliveries:); $(line c latency); $(line c 'server:') |"
  echo "| (d) stepped maximum of (b) | not measured yet |"
  echo "| (e) durable writes, 100 senders | $(line e 'sent:') |"
  echo "| (f) TTFB of a room page with 50 messages | $(line f ttfb) |"
  echo "| (g) client size (release) | $(cat $OUT/g.txt) |"
} > bench/RESULTS.md
cat bench/RESULTS.md
