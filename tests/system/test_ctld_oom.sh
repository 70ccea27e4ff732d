#!/usr/bin/env bash
# gantryd out of memory (STYLE.md point 6: fail the Nth allocation): an LD_PRELOAD library
# (tests/system/failmalloc.c) makes the Nth malloc/calloc/realloc of gantryd fail, and every
# EVERY-th after it, while 40 submissions come in 8 at a time. Whatever gantryd does then
# (refuse requests with an error, or stop on purpose: it aborts rather than let memory and
# journal part), it must not crash on a null pointer, and a restart must hold every
# acknowledged job, once, and no job nobody submitted. Several N, from start-up into the
# load. Sanitizer builds bring their own allocator: skipped there.
source "$(dirname "$0")/lib/cluster.sh"
cluster_init oom
write_config 1
lib=$GT_BIN/libgt_failmalloc.so
[ -f "$lib" ] || { echo "SKIP: no $lib"; exit 77; }
if grep -q '^GT_SANITIZE:BOOL=ON' "$GT_BIN/CMakeCache.txt" 2>/dev/null; then
  echo "SKIP: a sanitizer build (its allocator cannot be replaced)"
  exit 77
fi

start_allocs() { # how many allocations gantryd makes to start and stop on this data
  LD_PRELOAD=$lib GT_FAIL_MALLOC=1000000000 "$GT_BIN/gantryd" --config "$T/cluster.yaml" \
    --listen "127.0.0.1:$PORT" >"$T/probe.log" 2>&1 &
  local pid=$!
  wait_until 10 curl -sf "http://127.0.0.1:$PORT/healthz"
  kill -TERM "$pid"
  wait "$pid"
  sed -n 's/^failmalloc: \([0-9]*\) allocations.*/\1/p' "$T/probe.log"
}

run() { # OFFSET EVERY PREFIX: gantryd with failing allocations under submissions, the
  # first OFFSET allocations after what start-up takes (negative: during start-up)
  local base n every=$2 p=$3 rc=0 pid
  base=$(start_allocs)
  n=$((base + $1))
  LD_PRELOAD=$lib GT_FAIL_MALLOC=$n GT_FAIL_MALLOC_EVERY=$every \
    "$GT_BIN/gantryd" --config "$T/cluster.yaml" --listen "127.0.0.1:$PORT" \
    >>"$T/ctld-$p.log" 2>&1 &
  pid=$!
  URL=http://127.0.0.1:$PORT
  wait_until 10 "curl -sf $URL/healthz || ! kill -0 $pid"
  seq 1 40 | xargs -P 8 -I{} curl -s -m 10 -o /dev/null -w '%{http_code} '"$p"'{}\n' \
    -H "Authorization: Bearer $TOK_ADMIN" --data-binary \
    "{\"name\":\"$p{}\",\"gpus\":0,\"cpus\":1,\"command\":[\"true\"]}" \
    "$URL/v1/jobs" >"$T/acks-$p" 2>/dev/null
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" || rc=$?
  # 134 (SIGABRT: stopped on purpose) and 0/1/2 are fine; 139 (SIGSEGV) or 135 are crashes.
  check "N=$n: no crash (exit $rc)" "[ $rc -ne 139 ] && [ $rc -ne 135 ] && [ $rc -ne 136 ]"
  # A clean start without failures: the acknowledged jobs are all there, once.
  "$GT_BIN/gantryd" --config "$T/cluster.yaml" --listen "127.0.0.1:$PORT" \
    >>"$T/ctld-$p.log" 2>&1 &
  pid=$!
  check "N=$n: restarts cleanly" wait_until 20 curl -sf "$URL/healthz"
  curl -s -H "Authorization: Bearer $TOK_ADMIN" "$URL/v1/jobs?limit=1000" |
    python3 -c 'import json,sys; [print(j["name"]) for j in json.load(sys.stdin)["jobs"]]' |
    sort >"$T/all-$p"
  grep "^$p[0-9]" "$T/all-$p" >"$T/present-$p" || true
  grep '^201 ' "$T/acks-$p" | cut -d' ' -f2 | sort >"$T/acked-$p"
  check "N=$n: every acknowledged job is there" "[ -z \"\$(comm -23 '$T/acked-$p' '$T/present-$p')\" ]"
  check "N=$n: no job twice" "[ -z \"\$(uniq -d '$T/present-$p')\" ]"
  seq 1 40 | sed "s/^/$p/" | sort >"$T/sent-$p"
  check "N=$n: no job that was not submitted" \
    "[ -z \"\$(comm -13 '$T/sent-$p' '$T/present-$p')\" ] && ! grep -qv '^[a-f][0-9][0-9]*\$' '$T/all-$p'"
  local failed
  failed=$(sed -n 's/^failmalloc: [0-9]* allocations, \([0-9]*\) failed$/\1/p' "$T/ctld-$p.log" | head -1)
  # It bit when an allocation failed (a clean exit reports how many) or gantryd stopped
  # on purpose (abort: no report).
  if [ "${failed:-0}" -gt 0 ] || [ "$rc" -eq 134 ]; then bitten=$((bitten + 1)); fi
  echo "N=$n EVERY=$every: $(wc -l <"$T/acked-$p") of 40 acknowledged, $(wc -l <"$T/present-$p") present, exit $rc, ${failed:-?} allocations failed"
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null
}

# gantryd makes about 3,000 allocations to start (more as the journal grows) and about
# 7,000 more for 40 submissions: N from start-up into the load, once or every so often.
PORT=$(free_port)
bitten=0
run -500 0 a
run 300 0 b
run 2000 0 c
run 1000 97 d
run 3000 13 e
run 500 3 f
check "allocations failed in most runs" "[ $bitten -ge 4 ]"
finish
