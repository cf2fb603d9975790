#!/usr/bin/env bash
# The "cluster" section of the suite: two nodes (node A on CPU 0, node B on CPU 1) on one
# Postgres database and one Redis, the load generator on CPU 1 with node B; Postgres and
# Redis are not pinned. Run by bench/run.sh; alone: `bash bench/cluster.sh` after
# `make build` and `cargo build --release --features loadgen --bin loadgen`.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${BENCH_PORT:-3300}
A=127.0.0.1:$((PORT + 1))
B=127.0.0.1:$((PORT + 2))
OUT=bench/out
mkdir -p "$OUT"
LOADGEN=./target/release/loadgen
PG_ADMIN=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS=${BENCH_REDIS_URL:-redis://127.0.0.1:6379}
PG_DB=cloud_msg_bench_$$
PG_URL="${PG_ADMIN%/*}/$PG_DB"
export PGOPTIONS="-c client_min_messages=warning"
PIDS=()
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

start_cluster() {
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
  psql "$PG_ADMIN" -qc "CREATE DATABASE $PG_DB"
  PIDS=()
  local cpu=0
  for addr in "$A" "$B"; do
    LEPTOS_SITE_ADDR=$addr DATABASE_URL=$PG_URL REDIS_URL=$REDIS CLOUD_MSG_REDIS_PREFIX="bench$$:" \
      RUST_LOG=warn CLOUD_MSG_LIMITS=off taskset -c $cpu ./target/release/cloud_msg \
      > "$OUT/node$cpu.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do curl -sf "http://$addr/healthz" > /dev/null && break; sleep 0.1; done
    cpu=$((cpu + 1))
  done
}
stop_cluster() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  PIDS=()
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" || true
}
trap stop_cluster EXIT
cgen() { taskset -c 1 "$LOADGEN" --url "$A,$B" "$@"; }

echo "== cluster (e): durable writes on two nodes, 100 senders (50 per node), 32 in flight each"
start_cluster; cgen --spread --users 100 --rooms 100 --senders 100 --durable --secs 5 --room-prefix cdur \
  | tee "$OUT/cluster_e.txt"; stop_cluster
echo "== cluster (b): fan-out across nodes, 1 room x 1,000: 5 senders x 20/s on node A, 995 readers on node B"
start_cluster; cgen --users 1000 --rooms 1 --senders 5 --rate 20 --secs 10 --room-prefix cfan \
  | tee "$OUT/cluster_b.txt"; stop_cluster
