#!/usr/bin/env bash
# Damage is never silent: gantryd's data folder, taken after a kill -9 (journal.db, its
# WAL and index, snapshot files), gets one byte flipped at a time, in every file, on a
# fresh copy each time. Each start must either come up with every acknowledged job as it
# was, or refuse with a message that names the damage: never a crash (a signal), never a
# job gone without a word. Then entries damaged on purpose (a checksum that no longer
# matches, a body that is not JSON in an entry without a checksum) are refused, named,
# and --accept-loss-after starts without them, saying what it dropped.
. "$(dirname "$0")/lib/cluster.sh"
cluster_init damage
SNAPSHOT_EVERY=40 write_config 1
start_ctld || exit 1
for i in $(seq 1 25); do
  submit "{\"name\":\"j$i\",\"gpus\":0,\"cpus\":1,\"command\":[\"true\"]}" >/dev/null
done
api POST /v1/jobs/3/cancel >/dev/null
api POST /v1/jobs/7/hold >/dev/null
for i in $(seq 26 28); do # after the snapshot at entry 40 (each submission is two entries)
  submit "{\"name\":\"j$i\",\"gpus\":0,\"cpus\":1,\"command\":[\"true\"]}" >/dev/null
done
jobs_now() { # every job's name and state, sorted
  curl -s -H "Authorization: Bearer $TOK_ADMIN" "$URL/v1/jobs?limit=1000" |
    python3 -c 'import json,sys; [print(j["name"], j["state"]) for j in json.load(sys.stdin)["jobs"]]' | sort
}
jobs_now >"$T/expected"
check all-acked "test \$(wc -l < $T/expected) -eq 28"
kill -9 "$CTLD_PID"
wait_until 10 bash -c "! kill -0 $CTLD_PID 2>/dev/null"
cp -a "$T/data" "$T/base"
check wal-kept "test -s $T/base/journal.db-wal"
check snapshot-kept "ls $T/base | grep -q '^snapshot-[0-9]*$'"

# Start gantryd on $T/data (more options as arguments): OUTCOME = started (its jobs in
# $T/got, then stopped), refused (exit status RC) or crashed.
DAMAGE_WORDS='damaged|is bad|checksum mismatch|cannot be rebuilt|missing|refusing|not a database|malformed|lost'
try_start() {
  : >"$T/try.log"
  "$GT_BIN/gantryd" --config "$T/cluster.yaml" "$@" >"$T/try.log" 2>&1 &
  local pid=$! i
  PIDS+=("$pid")
  for i in $(seq 400); do
    grep -q "listening on" "$T/try.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if grep -q "listening on" "$T/try.log"; then
    OUTCOME=started
    jobs_now >"$T/got"
    kill -TERM "$pid"
    wait "$pid"
    RC=$?
  else
    wait "$pid"
    RC=$?
    OUTCOME=refused
    [ "$RC" -ge 128 ] && OUTCOME=crashed
  fi
  if grep -q "AddressSanitizer\|LeakSanitizer\|runtime error:" "$T/try.log"; then
    OUTCOME=crashed
  fi
}

# One flip: FILE OFFSET. Judged as the header says; counts the outcomes.
declare -A seen
flip_one() {
  local f=$1 off=$2
  rm -rf "$T/data"
  cp -a "$T/base" "$T/data"
  python3 -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(int(sys.argv[2])); b=f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0]^0x5a]))' "$T/data/$f" "$off"
  try_start
  seen[$OUTCOME]=$((${seen[$OUTCOME]:-0} + 1))
  case $OUTCOME in
  started)
    check "flip $f@$off: started with every job" "diff $T/expected $T/got && test $RC -eq 0" ;;
  refused)
    check "flip $f@$off: refused, naming the damage" \
      "test $RC -ne 0 && grep -Eq '$DAMAGE_WORDS' $T/try.log" ;;
  *)
    check "flip $f@$off: no crash" "cat $T/try.log; false" ;;
  esac
}

for f in $(ls "$T/base"); do
  size=$(stat -c %s "$T/base/$f")
  [ "$size" -gt 0 ] || continue
  offs="0 $((size - 1)) $((size / 2)) $((size / 3)) $((size * 3 / 4))"
  case $f in
  journal.db) offs="$offs 18 28 56 60 100 $((4096 + 8)) $((4096 + 3000)) $((8192 + 100)) $((size - 2000))" ;;
  journal.db-wal) # the header, and a frame's header and page at the start, middle and end
    frames=$(((size - 32) / 4120))
    offs="$offs 8 20 28"
    for k in 0 1 $((frames / 2)) $((frames - 2)) $((frames - 1)); do
      offs="$offs $((32 + k * 4120 + 6)) $((32 + k * 4120 + 24 + 2000))"
    done ;;
  snapshot-*) offs="$offs 4 8 20 40" ;;
  esac
  for off in $(echo $offs | tr ' ' '\n' | sort -un); do
    [ "$off" -ge 0 ] && [ "$off" -lt "$size" ] && flip_one "$f" "$off"
  done
done
echo "flips: ${seen[started]:-0} started whole, ${seen[refused]:-0} refused, ${seen[crashed]:-0} crashed"
check some-refused "test ${seen[refused]:-0} -gt 0"

# An entry whose body was changed behind gantryd's back (a submission's name): refused,
# naming it; --accept-loss-after the entry before it starts without it and what followed.
sql() { # SQL...: on $T/data/journal.db
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print(r[0][0] if r else "")' "$T/data/journal.db" "$1"
}
rm -rf "$T/data"
cp -a "$T/base" "$T/data"
seq_bad=$(sql "SELECT max(seq) FROM log WHERE op = 'submit'")
name_bad=$(sql "SELECT json_extract(body, '\$.name') FROM log WHERE seq = $seq_bad")
sql "UPDATE log SET body = replace(body, '\"$name_bad\"', '\"zz\"') WHERE seq = $seq_bad" >/dev/null
try_start
check checksum-refused "test $OUTCOME = refused && grep -q 'entry $seq_bad (submit) is bad: checksum mismatch' $T/try.log"
check refused-says-how "grep -q 'accept-loss-after $((seq_bad - 1))' $T/try.log"
after=$(sql "SELECT count(*) FROM log WHERE seq > $seq_bad")
check refused-says-what-is-lost "grep -q '$((after + 1)) entr[a-z]* from $seq_bad on' $T/try.log"
try_start --accept-loss-after $((seq_bad - 1))
check accept-loss-started "test $OUTCOME = started"
check accept-loss-said "grep -q 'dropping journal entry $seq_bad (.*op submit' $T/try.log"
check accept-loss-lost-that-job "! grep -q '^$name_bad ' $T/got"
check accept-loss-kept-the-rest "grep -v '^$name_bad ' $T/expected | sed 's/ .*//' | sort >$T/e1; sed 's/ .*//' $T/got | sort >$T/g1; comm -23 $T/e1 $T/g1 | wc -l | grep -qx 0"
try_start
check after-accept-starts-clean "test $OUTCOME = started && ! grep -Eq 'is bad|dropping' $T/try.log"

# A body that is not JSON in an entry of an older build (no checksum): refused, named.
rm -rf "$T/data"
cp -a "$T/base" "$T/data"
seq_old=$(sql "SELECT max(seq) FROM log WHERE op = 'submit'")
sql "UPDATE meta SET value = 1000000 WHERE key = 'crc_from'" >/dev/null
sql "UPDATE log SET crc = NULL, body = substr(body, 1, 20) WHERE seq = $seq_old" >/dev/null
try_start
check bad-json-refused "test $OUTCOME = refused && grep -q 'entry $seq_old (submit) is bad: its body is not valid JSON' $T/try.log"

# A journal that lost its tail behind the newest snapshot file: refused, named.
rm -rf "$T/data"
cp -a "$T/base" "$T/data"
newest=$(ls "$T/data" | sed -n 's/^snapshot-\([0-9]*\)$/\1/p' | sort -n | tail -1)
sql "DELETE FROM log WHERE seq >= $newest" >/dev/null
sql "DELETE FROM snapfile WHERE seq >= $newest" >/dev/null
try_start
check newer-snapshot-refused "test $OUTCOME = refused && grep -q 'snapshot-$newest holds the state after journal entry $newest, but the journal ends' $T/try.log"
finish
