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
check missing-value 2 "--trace needs a value" "$bin" --cluster "$fleet" --trace
check missing-file 2 "cannot read '$tmp/nope.yaml'" "$bin" --cluster "$tmp/nope.yaml" --trace "$sample"
check unknown-policy 2 "unknown policy 'magic'" "$bin" --cluster "$fleet" --trace "$sample" --policy magic

printf 'job_id,submit_s,gpus,duration_s,tenant,status\na,0,1,10,t,x\nb,5,1x,10,t,x\n' >"$tmp/bad.csv"
check bad-trace-line 2 "bad.csv:3" "$bin" --cluster "$fleet" --trace "$tmp/bad.csv"
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
print("ok")
PY

check svg 0 "" "$bin" --cluster "$fleet" --trace "$sample" --policy fifo-bf,gantry --svg "$tmp/svg"
for f in utilisation.svg jct-cdf.svg; do
  check "svg-$f" 0 "<polyline" cat "$tmp/svg/$f"
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

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
