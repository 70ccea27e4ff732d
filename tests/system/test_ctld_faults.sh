#!/usr/bin/env bash
# A failing disk under gantryd (STYLE.md point 6: fail the Nth journal write): with fault
# injection (Debug and sanitizer builds; GT_FAULT_JOURNAL_APPEND / _COMMIT, sys/journal.c)
# the Nth append or commit fails while submissions come in, sequentially and 8 at a time.
# gantryd must answer the failed batch with an error (never 201), stop, and a restart must
# hold exactly the jobs that were acknowledged: none lost, none that was refused.
# Release builds have no fault injection: the test is skipped there.
source "$(dirname "$0")/lib/cluster.sh"
cluster_init faults
write_config 1

start_again() { # [VAR=VALUE...] gantryd on the same data folder and port
  env "$@" "$GT_BIN/gantryd" --config "$T/cluster.yaml" --listen "127.0.0.1:$PORT" \
    >>"$T/ctld.log" 2>&1 &
  CTLD_PID=$!
  disown "$!"
  PIDS+=("$!")
  URL=http://127.0.0.1:$PORT
  wait_until 20 curl -sf "$URL/healthz"
}
submit_all() { # PREFIX COUNT PARALLEL: submissions; "STATUS NAME" lines in $T/acks-PREFIX
  seq 1 "$2" | xargs -P "$3" -I{} curl -s -o /dev/null -w '%{http_code} '"$1"'{}\n' \
    -H "Authorization: Bearer $TOK_ADMIN" --data-binary \
    "{\"name\":\"$1{}\",\"gpus\":0,\"cpus\":1,\"command\":[\"true\"]}" \
    "$URL/v1/jobs" >"$T/acks-$1" 2>/dev/null
}
jobs_named() { # PREFIX: the names of the controller's jobs that start with PREFIX
  curl -s -H "Authorization: Bearer $TOK_ADMIN" "$URL/v1/jobs?limit=1000" |
    python3 -c 'import json,sys; [print(j["name"]) for j in json.load(sys.stdin)["jobs"]]' |
    grep "^$1[0-9]" | sort
}
round() { # NAME VAR N PREFIX PARALLEL: one faulty run, the restart, the comparison
  local name=$1 var=$2 n=$3 p=$4 par=$5
  if [ -n "${CTLD_PID:-}" ]; then
    kill -TERM "$CTLD_PID"
    wait_until 20 "! kill -0 $CTLD_PID"
  fi
  start_again "$var=$n"
  if ! grep -q "fault injection: $var=$n" "$T/ctld.log"; then
    echo "SKIP: this gantryd has no fault injection (a release build)"
    exit 77
  fi
  submit_all "$p" 40 "$par"
  check "$name: gantryd stopped on the fault" wait_until 20 "! kill -0 $CTLD_PID"
  check "$name: it said why" "grep -q 'injected fault ($var)' '$T/ctld.log' && grep -q 'the journal failed; stopping' '$T/ctld.log'"
  check "$name: some submissions acknowledged before" "grep -q '^201 ' '$T/acks-$p'"
  check "$name: the failed batch got an error, not 201" "grep -q '^500 ' '$T/acks-$p'"
  start_again
  grep '^201 ' "$T/acks-$p" | cut -d' ' -f2 | sort >"$T/acked-$p"
  jobs_named "$p" >"$T/present-$p"
  check "$name: exactly the acknowledged jobs after the restart" \
    diff "$T/acked-$p" "$T/present-$p"
  check "$name: no job twice" "[ -z \"\$(uniq -d '$T/present-$p')\" ]"
}

round "append, one at a time" GT_FAULT_JOURNAL_APPEND 12 a 1
round "append, 8 at a time" GT_FAULT_JOURNAL_APPEND 15 b 8
round "commit, 8 at a time" GT_FAULT_JOURNAL_COMMIT 6 c 8
check "earlier jobs survive every fault" "diff '$T/acked-a' <(jobs_named a) && diff '$T/acked-b' <(jobs_named b)"
finish
