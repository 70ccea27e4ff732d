#!/usr/bin/env bash
# gantry-sim as a user runs it: help, every kind of bad input (clear message, exit 2),
# JSON and SVG output, and a synthetic trace that replays the same after being written out.
set -euo pipefail
src=${GT_SRC:?} bin=${GT_BIN:?}/gantry-sim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0

check() { # name, expected exit, expected text in output, command...
  local name=$1 want=$2 text=$3
  shift 3
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" != "$want" ] || ! grep -qF -- "$text" <<<"$out"; then
    echo "FAIL $name: exit $rc (want $want), output:"
    printf '%s\n' "$out" | head -5
    fails=$((fails + 1))
  else
    passes=$((passes + 1))
  fi
}

cd "$src"
fleet=examples/fleet-small.yaml sample=tests/data/sample.csv
check help 0 "--cluster" "$bin" --help
check no-args 2 "need --cluster" "$bin"
check unknown-option 2 "unknown option '--bogus'" "$bin" --bogus
check bad-number 2 "--synth: expected an integer from 0 to 1000000000, got 'abc'" "$bin" --cluster "$fleet" --synth abc
check load-range 2 "--load: expected a number above 0 and at most 10, got '11'" "$bin" --cluster "$fleet" --synth 10 --load 11
# --checkpoint-min is checked when parsed (N x 60,000 ms must not overflow), and the most it
# takes replays.
check checkpoint-range 2 "--checkpoint-min: must be between 0 and 1000000000, got '99999999999999'" "$bin" --cluster "$fleet" --trace "$sample" --checkpoint-min 99999999999999
check checkpoint-max 0 "completed" "$bin" --cluster "$fleet" --trace "$sample" --checkpoint-min 1000000000 --quiet
check missing-value 2 "--trace needs a value" "$bin" --cluster "$fleet" --trace
check missing-file 2 "cannot read '$tmp/nope.yaml'" "$bin" --cluster "$tmp/nope.yaml" --trace "$sample"
check unknown-policy 2 "unknown policy 'magic'" "$bin" --cluster "$fleet" --trace "$sample" --policy magic
# A list that names no policy, or has an empty name, is an error (it ran nothing, exit 0);
# unknown names are reported once, all of them (the first five and a count); more than 8
# policies are refused as such (the ninth was called unknown).
check policy-none 2 "--policy: no policy named in ''" "$bin" --cluster "$fleet" --trace "$sample" --policy ''
check policy-comma 2 "--policy: no policy named in ','" "$bin" --cluster "$fleet" --trace "$sample" --policy ,
check policy-empty-name 2 "--policy: an empty name in 'fifo,,gantry'" "$bin" --cluster "$fleet" --trace "$sample" --policy fifo,,gantry
out=$("$bin" --cluster "$fleet" --trace "$sample" --policy a,b,gantry,c,d,e,f,g,h,i 2>&1 || true)
check policy-unknown-all 0 "unknown policies 'a', 'b', 'c', 'd', 'e' and 4 more (known:" printf '%s\n' "$out"
check policy-unknown-once 0 "1" grep -c "unknown polic" <<<"$out"
check policy-too-many 2 "--policy: at most 8 policies, got 9" "$bin" --cluster "$fleet" --trace "$sample" --policy "$(printf 'gantry,%.0s' $(seq 8))fifo"

printf 'job_id,submit_s,gpus,duration_s,tenant,status\na,0,1,10,t,x\nb,5,1x,10,t,x\n' >"$tmp/bad.csv"
check bad-trace-line 2 "bad.csv:3" "$bin" --cluster "$fleet" --trace "$tmp/bad.csv"
# Job ids must be unique (the trace loader takes repeats; gantry-sim refuses them after
# loading, naming the id that repeats first in the trace); empty ids may repeat.
hdr=job_id,submit_s,gpus,duration_s,tenant,status
printf '%s\n' $hdr a,0,1,10,t,x b,5,1,10,t,x b,7,1,10,t,x ,8,1,10,t,x ,9,1,10,t,x >"$tmp/dup.csv"
check duplicate-id 2 "dup.csv: job id 'b' is used by 2 jobs: ids must be unique" "$bin" --cluster "$fleet" --trace "$tmp/dup.csv"
printf '%s\n' $hdr c,0,1,10,t,x a,1,1,10,t,x b,2,1,10,t,x b,3,1,10,t,x a,4,1,10,t,x c,5,1,10,t,x a,6,1,10,t,x >"$tmp/dup.csv"
check duplicate-ids 2 "job id 'b' is used by 2 jobs: ids must be unique (2 more ids repeat)" "$bin" --cluster "$fleet" --trace "$tmp/dup.csv"
printf '%s\n' $hdr a,0,1,10,t,x ,8,1,10,t,x ,9,1,10,t,x >"$tmp/dup.csv"
check empty-ids 0 "completed" "$bin" --cluster "$fleet" --trace "$tmp/dup.csv"
printf 'fleet:\n  - generate: {prefix: g, shape: {node: 2}, node: {cpus: 4, colour: red}}\n' >"$tmp/bad.yaml"
check bad-config-line 2 "bad.yaml:2" "$bin" --cluster "$tmp/bad.yaml" --trace "$sample"
printf 'job_id,submit_s,gpus,duration_s,tenant,status\nhuge,0,100000,10,t,x\nok,1,1,10,t,x\n' >"$tmp/huge.csv"
check impossible-job 0 "(first: job huge)" "$bin" --cluster "$fleet" --trace "$tmp/huge.csv"
# Rejections are summarised once for all policies (a count, the first few reasons).
out=$("$bin" --cluster "$fleet" --trace "$tmp/huge.csv" --policy fifo,gantry,fifo-bf 2>&1 >/dev/null)
check reject-summary-once 0 "1" grep -c "1 of 2 jobs rejected under every policy" <<<"$out"
check reject-summary-quiet 0 "" test -z "$("$bin" --cluster "$fleet" --trace "$tmp/huge.csv" --quiet 2>&1 >/dev/null)"
for i in $(seq 12); do echo "big$i,$i,$((100000 + i)),10,t,x"; done >>"$tmp/huge.csv"
out=$("$bin" --cluster "$fleet" --trace "$tmp/huge.csv" 2>&1 >/dev/null)
check reject-summary-short 0 "for other reasons" printf '%s\n' "$out"
check reject-summary-lines 0 "5" wc -l <<<"$out"

"$bin" --cluster "$fleet" --trace "$sample" --policy fifo,gantry --json >"$tmp/out.json"
rows=$(grep -vc '^\(#\|job_id\|$\)' "$sample")
check json-output 0 "ok" python3 - "$tmp/out.json" "$rows" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert [x["policy"] for x in r] == ["fifo", "gantry"], r
assert all(x["jobs"] == int(sys.argv[2]) for x in r), (r[0]["jobs"], sys.argv[2])
assert all(x["completed"] + x["failed"] + x["rejected"] + x["unfinished"] == x["jobs"] for x in r)
# Counts are integers (they printed as 319.0), the other figures reals.
counts = "jobs completed failed rejected unfinished preemptions requeues node_failures gangs"
for x in r:
    assert all(type(x[k]) is int for k in counts.split()), x
    assert all(type(v) is float for k, v in x.items() if k.endswith(("_h", "_pct"))), x
print("ok")
PY

check svg 0 "" "$bin" --cluster "$fleet" --trace "$sample" --policy fifo-bf,gantry --svg "$tmp/svg"
for f in utilisation.svg jct-cdf.svg; do
  check "svg-$f" 0 "<polyline" cat "$tmp/svg/$f"
done
# One job of the longest duration (10 years): both charts stay small (utilisation.svg was
# 63 MB, 5 million points).
printf 'job_id,submit_s,gpus,duration_s,tenant,status\nlong,0,1,315360000,t,x\n' >"$tmp/long.csv"
check svg-long 0 "makespan (h)" "$bin" --cluster "$fleet" --trace "$tmp/long.csv" --svg "$tmp/long"
for f in utilisation.svg jct-cdf.svg; do
  check "svg-long-$f" 0 "small" sh -c 'test "$(wc -c <"$1")" -lt 1000000 && echo small' _ "$tmp/long/$f"
done

"$bin" --cluster "$fleet" --synth 500 --seed 3 --write-trace "$tmp/s.csv" --json --quiet >"$tmp/a.json"
"$bin" --cluster "$fleet" --trace "$tmp/s.csv" --json --quiet >"$tmp/b.json"
check synth-roundtrip 0 "" cmp "$tmp/a.json" "$tmp/b.json"

# The demo's replay (run.sh) runs on the sample shipped in the repo: every job completes,
# nothing is rejected, and the policies differ (backfill and best fit both shorten the
# mean wait), so the line run.sh prints about why is true of the figures.
"$bin" --cluster examples/fleet-8gpu.yaml --trace examples/traces/itp-cluster04-1500.csv \
  --policy fifo,fifo-bf,gantry --json >"$tmp/itp.json" 2>"$tmp/itp.err"
check itp-sample 0 "ok" python3 - "$tmp/itp.json" <<'PY'
import json, sys
r = {x["policy"]: x for x in json.load(open(sys.argv[1]))}
assert all(x["jobs"] == 1500 and x["completed"] == 1500 and x["rejected"] == 0 for x in r.values()), r
w = {k: x["wait_mean_h"] for k, x in r.items()}
assert w["fifo"] > w["fifo-bf"] > w["gantry"], w
print("ok")
PY
check itp-sample-quiet 0 "" test ! -s "$tmp/itp.err"

# Out of memory: with tests/system/failmalloc.c failing the Nth allocation, for every N of a
# replay with node failures, a service, --autoscale, --timing, --json and --svg, gantry-sim
# says why and exits 1 or 2, or prints the whole report and exits 0: never a crash (it used
# to abort), never an empty report with exit 0. Sanitizer builds bring their own allocator.
lib=$GT_BIN/libgt_failmalloc.so
if [ -f "$lib" ] && ! grep -q '^GT_SANITIZE:BOOL=ON' "$GT_BIN/CMakeCache.txt" 2>/dev/null; then
  printf 'fleet:\n  - generate: {prefix: g, shape: {node: 2}, node: {gpus: 4, gpu_model: H100, cpus: 16}}\n' >"$tmp/oom.yaml"
  printf 'job_id,submit_s,gpus,duration_s,tenant,status,kind,count,min_count\n%s\n%s\n%s\n%s\n' \
    a,0,4,180000,t,x,train,, b,0,4,180000,t,x,train,, w,10,1,36000,t,x,serve,4,1 \
    c,360000,1,3600,t,x,tasks,3, >"$tmp/oom.csv"
  oom=(--cluster "$tmp/oom.yaml" --trace "$tmp/oom.csv" --mtbf-h 20 --autoscale --timing --json
    --svg "$tmp/oom-svg" --quiet)
  total=$(GT_FAIL_MALLOC=1000000000 LD_PRELOAD=$lib "$bin" "${oom[@]}" 2>&1 >/dev/null |
    sed -n 's/^failmalloc: \([0-9]*\) allocations.*/\1/p')
  bad=""
  for n in $(seq 1 "${total:-0}"); do
    rc=0
    LD_PRELOAD=$lib GT_FAIL_MALLOC=$n "$bin" "${oom[@]}" >"$tmp/oom.out" 2>"$tmp/oom.err" || rc=$?
    if [ "$rc" = 0 ] && [ "$(tail -1 "$tmp/oom.out")" = "]" ]; then
      continue
    elif { [ "$rc" = 1 ] || [ "$rc" = 2 ]; } && grep -q '^gantry-sim: ' "$tmp/oom.err"; then
      continue
    fi
    bad="$bad $n:$rc"
  done
  check out-of-memory 0 "total ${total:-none}, bad: none" echo "total ${total:-none}, bad:${bad:- none}"
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
