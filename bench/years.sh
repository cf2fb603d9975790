#!/usr/bin/env bash
# (k) Years of history (issue 24): 10 million messages over 1,000 rooms, 2 million of them in
# one room, written through the protocol (durable sends; the fill is not what is measured).
# Then, once the search index holds every room and after a restart: how long the server
# takes to start, what a room page, an older history page, a `join` with `since=0` and
# searches cost, against a room of 600 messages measured on the same server before the
# fill; RSS and bytes per message on disk.
# The server on CPU 0, the load tool on CPU 1. Writes bench/out/k.txt.
# TOTAL, ROOMS and BIG change the size; SERVER=<binary> measures another build;
# YEARS_DATA=<dir> keeps the database, and MEASURE_ONLY=1 measures a kept one again;
# YEARS_DATABASE_URL=postgres://… measures Postgres instead (an empty database; REDIS_URL, else
# the local Redis).
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER=${SERVER:-./target/release/cloud_msg}
LOADGEN=${LOADGEN:-./target/release/loadgen}
TOTAL=${TOTAL:-10000000}
ROOMS=${ROOMS:-1000}
BIG=${BIG:-2000000}
N=${REQUESTS:-200}
PORT=${BENCH_PORT:-3302}
ADDR=127.0.0.1:$PORT
DATA=${YEARS_DATA:-$(mktemp -d)}
OUT=bench/out
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
SERVER_PID=

DB_URL=${YEARS_DATABASE_URL:-sqlite://$DATA/chat.db}
# Redis only beside Postgres: a SQLite server is one node, and refuses REDIS_URL.
CLUSTER_ENV=(-u REDIS_URL)
if [ -n "${YEARS_DATABASE_URL:-}" ]; then CLUSTER_ENV=(REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"); fi
start() {
  if curl -sf "http://$ADDR/healthz" > /dev/null; then echo "something already answers on $ADDR" >&2; exit 1; fi
  env "${CLUSTER_ENV[@]}" LEPTOS_SITE_ADDR=$ADDR DATABASE_URL="$DB_URL" \
    RUST_LOG=${YEARS_LOG:-warn,cloud_msg::server::ws=info} CLOUD_MSG_LIMITS=off \
    LEPTOS_SITE_ROOT=target/site taskset -c 0 "$SERVER" >> "$DATA/server.log" 2>&1 &
  SERVER_PID=$!
  local t0; t0=$(date +%s%N)
  for _ in $(seq 3000); do
    if curl -sf "http://$ADDR/healthz" > /dev/null; then
      STARTED_MS=$(( ($(date +%s%N) - t0) / 1000000 )); return
    fi
    sleep 0.01
  done
  echo "server did not start" >&2; tail "$DATA/server.log" >&2; exit 1
}
stop() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
trap 'stop; [ -n "${YEARS_DATA:-}" ] || rm -rf "$DATA"' EXIT
gen() { taskset -c 1 "$LOADGEN" --url "$ADDR" "$@"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
# Rooms with messages the search index has not taken in yet (read beside the server).
index_pending() {
  local q="SELECT count(*) FROM rooms r LEFT JOIN search_progress p ON p.room_id = r.id
           WHERE r.last_seq > coalesce(p.indexed_seq, 0)"
  if [ -n "${YEARS_DATABASE_URL:-}" ]; then
    psql -At "$YEARS_DATABASE_URL" -c "$q"
  else
    python3 -c 'import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=30)
db.execute("ATTACH DATABASE ? AS chat", ("file:" + sys.argv[2] + "?mode=ro",))
print(db.execute(sys.argv[3]).fetchone()[0])' "$DATA/chat.search.db" "$DATA/chat.db" "$q"
  fi
}
measure() { # label room before
  local label=$1 room=$2 before=$3
  gen --ttfb "/r/$room" --requests "$N" --conns 8 --secs 2 | sed "s/^/$label /"
  gen --get "/r/$room" --requests "$N" | sed "s/^/$label /"
  gen --get "/api/rooms/$room/messages?before=$before&limit=50" --requests "$N" | sed "s/^/$label history /"
  gen --replay "$room" --requests "$N" | sed "s/^/$label /"
}

exec > >(tee "$OUT/k.txt") 2>&1
if [ -z "${MEASURE_ONLY:-}" ]; then
  start
  echo "== the same server, empty but for two rooms of 600 messages"
  gen --fill 1200 --rooms 2 --big 600 --room-prefix small --pid "$SERVER_PID" | grep '^filled'
  measure small small-0 300
  echo "== filling: $TOTAL messages over $ROOMS rooms, $BIG in years-0"
  gen --fill "$TOTAL" --rooms "$ROOMS" --big "$BIG" --room-prefix years --pid "$SERVER_PID"
  # What is measured is a server at rest: the indexer through every room, not only the
  # room of the fill's last message.
  t0=$(date +%s)
  while [ "$(index_pending)" != 0 ]; do sleep 2; done
  echo "indexed: every room's messages in the search index $(( $(date +%s) - t0 )) s after the fill's last message was found"
  stop
fi
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
start
echo "start: healthy ${STARTED_MS} ms after launch (cold page cache where the machine allows it); RSS $(rss) KiB"
# A search first lets the search index catch up with the last messages of the fill.
t0=$(date +%s%N); curl -sf "http://$ADDR/search?q=warm" > /dev/null
echo "index: the first search answered after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
measure big years-0 $((BIG / 2))
measure typical years-500 4000
for q in quetzal the 'the+to' d 'deploy+release'; do
  gen --get "/search?q=$q" --requests "$N" | sed "s/^/search /"
done
if [ -n "${YEARS_DATABASE_URL:-}" ]; then
  size=$(psql -At "$YEARS_DATABASE_URL" -c "SELECT pg_database_size(current_database())")
else
  size=$(du -cb "$DATA"/chat.* | tail -1 | cut -f1)
fi
echo "disk: $((size / 1048576)) MB for $((TOTAL + 1200)) messages, $((size / (TOTAL + 1200))) bytes per message (database, WAL and index)"
echo "rss: $(rss) KiB after the measures"
