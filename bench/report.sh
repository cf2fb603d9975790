#!/usr/bin/env bash
# Writes bench/RESULTS.md from what the scenarios left in bench/out (run by bench/run.sh;
# again by hand after one scenario was measured again, e.g. `bash bench/years.sh`).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
line() { grep -h "$2" "$OUT/$1.txt" | head -1; }
{
  echo "# Benchmark results"
  echo
  echo "Measured $(date -u +%Y-%m-%d) with \`make bench\` on $(nproc) cores"
  echo "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB, Linux $(uname -r));"
  echo "server pinned to CPU 0, \`loadgen\` to CPU 1, loopback. Release build, jemalloc."
  echo "SQLite in WAL mode with \`synchronous = FULL\`: every ack waits for an fsync."
  echo "Figures move with the machine: compare runs on one machine, not across machines."
  echo
  echo "| scenario | result |"
  echo "|---|---|"
  echo "| (a) idle, 5,000 sockets / 10 rooms | $(line a 'idle:') |"
  echo "| (a) idle, 10,000 sockets / 10 rooms | $(line a10k 'idle:') |"
  echo "| (a) idle, 5,000 sockets / 10 rooms, all opened at once | $(line a-burst 'idle:') |"
  echo "| (m) reconnect storm, 5,000 sockets / 10 rooms: restart, all back at once | $(line m 'caught up:'); $(line m 'presence:'); $(line m 'server:'); $(line m 'messages:') |"
  for run in 1 2 3; do
    echo "| (b) fan-out, 1 room x 1,000, 5 senders x 20/s, run $run | $(line b$run deliveries:); $(line b$run latency); $(line b$run 'server:'); $(line b$run 'loadgen:') |"
  done
  for run in 1 2 3; do
    echo "| (h) as (b), every member sending read markers (400 ms throttle), run $run | $(line h$run deliveries:); $(line h$run latency); $(line h$run 'markers:'); $(line h$run 'server:'); $(line h$run 'loadgen:') |"
  done
  echo "| (c) 2,000 members / 200 rooms, 200 senders x 5/s | $(line c deliveries:); $(line c latency); $(line c 'server:') |"
  echo "| (d) stepped maximum of (b) | $(line d '^max:') |"
  echo "| (e) durable writes, 100 senders | $(line e 'sent:'); $(line e 'server:') |"
  echo "| (f) room page with 50 messages, visitor | $(line f ttfb); $(line f 'pages ') |"
  echo "| (f) room page with 50 messages, signed in (a member, 5 rooms) | $(line fs ttfb); $(line fs 'pages ') |"
  echo "| (g) client size (release) | $(cat $OUT/g.txt) |"
  echo "| (i) busy room in Chromium: 5,000 messages at 50/s | $(line i '^steady: 5'); $(line i '^steady: the last') |"
  echo "| (i) busy room in Chromium: a burst of 1,000 | $(line i '^burst: 1'); $(line i '^burst: all') |"
  echo "| (i) busy room in Chromium: after 10,000 messages | $(line i '^after 10,000'); $(line i '^one more') |"
  echo "| cluster (e): durable writes on 2 nodes (Postgres + Redis), 100 senders | $(line cluster_e 'sent:') |"
  echo "| cluster (b): fan-out from node A to 995 readers on node B, 5 senders x 20/s | $(line cluster_b deliveries:); $(line cluster_b latency) |"
  k() { grep -h "$1" "$OUT/k.txt" | head -1 | sed 's/ (whole answer.*bytes with gzip)//'; }
  echo "| (k) 10M messages / 1,000 rooms: fill (not a target) | $(k '^filled') |"
  echo "| (k) search index caught up with the fill | $(k '^indexed:') |"
  echo "| (k) start after a restart | $(k '^start:') |"
  for who in small big typical; do
    echo "| (k) room of $(case $who in small) echo 600 messages, before the fill;; big) echo 2M messages;; *) echo 8k messages;; esac) | $(k "^$who ttfb"); $(k "^$who get /r/"); $(k "^$who history"); $(k "^$who join") |"
  done
  for q in quetzal: the: the+to: d: deploy+release:; do
    echo "| (k) search \`$(echo $q | tr -d :)\` | $(k "^search get /search?q=$q") |"
  done
  echo "| (k) disk and memory | $(k '^disk:'); $(k '^rss:') |"
  echo "| (l) soak, 1,000 people, 30 min | $(grep -h '^soak: from' "$OUT/l.txt") |"
  echo "| (l) soak, minutes 5-9 against the last five | $(grep -h '^soak: minutes' "$OUT/l.txt" | cut -d: -f3- | xargs) |"
  echo "| (l) durable writes for 10 min (target: within 10 % of (e)) | $(grep -h 'sent:' "$OUT/l-durable.txt"); $(grep -h 'largest WAL' "$OUT/l-durable.txt") |"
  echo
  echo "Minutes of (l):"
  echo
  grep -h '^minute' "$OUT/l.txt" | sed 's/^/- /'
  echo
  echo "Minutes of (l)'s durable writes:"
  echo
  grep -h '^minute' "$OUT/l-durable.txt" | sed 's/^/- /'
  echo
  echo "Steps of (d), messages/s per sender (x 5 senders x 1,000 members):"
  echo
  grep -h '^step' "$OUT/d.txt" | sed 's/^/- /'
} > bench/RESULTS.md
cat bench/RESULTS.md
