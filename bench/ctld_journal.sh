#!/usr/bin/env bash
# Controller restart and memory with JOBS jobs in the journal (default 1,000,000).
#  1. build-bench/ctld_journal writes the journal gantryd would write for a synthetic mixed
#     workload on the 1/64 large fleet (nodes register, jobs are submitted, every rank
#     exits after the job's duration, a pass after each step, a snapshot every 1,000,000
#     entries) -- in-process, without fsync: this measures reading it back, not writing;
#  2. the real gantryd starts on it: time to listening (snapshot load + replay of the
#     entries after it) and RSS;
#  3. SIGTERM (a clean stop takes a snapshot) and a second start: time and RSS.
# Usage: bench/ctld_journal.sh [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-1000000}
scripts/deps.sh build
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C build-bench gantryd ctld_journal >/dev/null
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cfg=$tmp/cluster.yaml
cp bench/fleets/fleet-large-64th.yaml "$cfg"
printf 'server: {listen: "127.0.0.1:0", data_dir: %s/data}\n' "$tmp" >>"$cfg"
echo "== writing the journal of $jobs jobs"
/usr/bin/time -f "   %e s, peak RSS %M KiB" ./build-bench/ctld_journal --cluster "$cfg" \
  --data-dir "$tmp/data" --jobs "$jobs"
ls -l "$tmp/data/journal.db" | awk '{printf "   journal.db: %.0f MiB\n", $5 / 1048576}'
start() { # LOG: start gantryd, wait until it listens, print time and RSS
  local t0 t1
  t0=$(date +%s.%N)
  ./build-bench/gantryd --config "$cfg" >"$1" 2>&1 &
  pid=$!
  until grep -q listening "$1"; do
    kill -0 "$pid" 2>/dev/null || { cat "$1"; exit 1; }
    sleep 0.1
  done
  t1=$(date +%s.%N)
  echo "   ready in $(echo "$t1 - $t0" | bc) s; $(grep -o 'loaded.*' "$1")"
  grep -E 'VmRSS|VmHWM' /proc/$pid/status | tr -s ' \t' ' ' | sed 's/^/   /'
}
echo "== gantryd start on that journal"
start "$tmp/a.log"
t0=$(date +%s.%N)
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
echo "== clean stop (snapshot) in $(echo "$(date +%s.%N) - $t0" | bc) s: $(grep -o 'snapshot at.*' "$tmp/a.log" | tail -1)"
echo "== gantryd start after a clean stop"
start "$tmp/b.log"
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
pid=
