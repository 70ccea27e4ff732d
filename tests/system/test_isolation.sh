#!/usr/bin/env bash
# What keeps jobs apart on a node, with a real gantryd and a real agent run as root:
#  - each unit in its own cgroup with its memory, pids, CPU quota and CPU set limits, and
#    no access to other units' GPU device nodes (v1 devices controller);
#  - ranks run as the job's user, never root; a token bound to a user runs jobs as that user;
#  - a job of one user cannot signal another user's ranks or read another job's logs;
#  - over its memory limit a job is killed as OUT_OF_MEMORY and its neighbour is untouched;
#    over its time limit, TIMEOUT; a fork bomb stops at pids_max;
#  - when a unit ends, every process in its cgroup is gone and the cgroup is removed;
#  - a bad user, a workdir that cannot be entered, a command that cannot be run: the job
#    fails with a reason and the agent keeps running;
#  - a drained node lets running work finish and takes nothing new.
# Needs root and a cgroup memory controller; says SKIP otherwise.
. "$(dirname "$0")/lib/cluster.sh"
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: test_isolation needs root (cgroups, users)"
  exit 0
fi
if ! awk '($3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/) || $3 == "cgroup2" {f = 1} END {exit !f}' /proc/self/mounts; then
  echo "SKIP: no cgroup hierarchy mounted"
  exit 0
fi
cluster_init iso
USERS=(gt-iso-a gt-iso-b)
for u in "${USERS[@]}"; do
  id "$u" >/dev/null 2>&1 || useradd -M -U -s /usr/sbin/nologin "$u" || exit 1
done
trap 'cluster_cleanup; for u in "${USERS[@]}"; do userdel -f "$u" 2>/dev/null; done' EXIT INT TERM

write_config 1
TOK_C=user-c-token-bound-0123456789
echo "$TOK_C a user gt-iso-a" >>"$T/tokens"
start_ctld || exit 1
start_agent n1
check node-up wait_until 10 node_state_is n1 up
grep -q "isolation: cgroups v" "$T/agent-n1.log" || echo "note: $(grep isolation "$T/agent-n1.log")"
# every rank below runs under the exec'd gantry-shim that the build puts beside the agent
check shim-found grep -q "rank supervisor: $(cd "$GT_BIN" && pwd -P)/gantry-shim\$" "$T/agent-n1.log"

W=$T/w
shared_dir "$W"
# Fake GPU device nodes: char 195:N like /dev/nvidiaN. With no driver behind them an open
# says ENXIO; the device cgroup makes it EPERM for GPUs that are not the unit's.
mkdir -p "$T/dev"
for i in 0 1 2 3; do mknod -m 666 "$T/dev/nvidia$i" c 195 "$i"; done

submit() { # JSON (as admin): prints the job id
  api POST /v1/jobs "$1" "${2:-$TOK_ADMIN}" | cut -d' ' -f2- | jq_py "d['id']"
}
spec() { # USER GPUS SCRIPT [EXTRA-JSON]: a one-node job running sh -c SCRIPT
  python3 -c 'import json,sys; d={"gpus":int(sys.argv[2]),"cpus":1,"command":["sh","-c",sys.argv[3]]}
if sys.argv[1]: d["user"]=sys.argv[1]
d.update(json.loads(sys.argv[4] or "{}")); print(json.dumps(d))' "$1" "$2" "$3" "${4:-}"
}
cg_file() { # CONTROLLER FILE: print a job's cgroup file, from inside the job
  echo "cat /sys/fs/cgroup/$1\$(grep ':$1:' /proc/self/cgroup | cut -d: -f3)/$2"
}

# 1. Two users' jobs side by side, each one task with 2 of the node's 4 GPUs.
probe='id -u > $W/$N.uid; echo $CUDA_VISIBLE_DEVICES > $W/$N.gpus; echo $$ > $W/$N.pid
for i in 0 1 2 3; do (exec 3<'$T'/dev/nvidia$i) 2>&1 | sed "s/^/gpu$i: /" >> $W/$N.dev; done
'"$(cg_file memory memory.limit_in_bytes) > \$W/\$N.mem; $(cg_file pids pids.max) > \$W/\$N.pids
$(cg_file cpuset cpuset.cpus) > \$W/\$N.cpuset; $(cg_file cpu cpu.cfs_quota_us) > \$W/\$N.quota"'
echo secret-of-$N; touch $W/$N.ready'
a=$(submit "$(spec gt-iso-a 2 "N=a W=$W; $probe; sleep 20" '{"kind":"tasks","memory_mb":64,"pids_max":50}')")
check a-ready wait_until 15 test -e "$W/a.ready"
alog=$(ls -d "$T/agent-n1/runs/$a"-*)/rank0/stdout
check a-log-exists test -s "$alog"
b=$(submit "$(spec gt-iso-b 2 "N=b W=$W; $probe
kill -0 \$(cat $W/a.pid) 2>> $W/b.kill && echo signalled >> $W/b.kill
cat $alog >> $W/b.logs 2>&1; echo end >> $W/b.logs" '{"kind":"tasks","memory_mb":64}')")
check b-completes wait_until 15 job_state_is "$b" completed
check a-runs-as-its-user "test \$(cat $W/a.uid) = \$(id -u gt-iso-a)"
check b-runs-as-its-user "test \$(cat $W/b.uid) = \$(id -u gt-iso-b)"
check gpus-disjoint "test -n \"\$(cat $W/a.gpus)\" && test -z \"\$(comm -12 <(tr , '\n' < $W/a.gpus | sort) <(tr , '\n' < $W/b.gpus | sort))\""
for n in a b; do
  for g in $(tr , ' ' <"$W/$n.gpus"); do
    check "$n-own-gpu$g-opens" "grep '^gpu$g: ' $W/$n.dev | grep -qv 'not permitted'"
  done
  for g in 0 1 2 3; do
    grep -qw "$g" <(tr , '\n' <"$W/$n.gpus") && continue
    check "$n-other-gpu$g-denied" "grep '^gpu$g: ' $W/$n.dev | grep -q 'not permitted'"
  done
done
check a-memory-limit grep -qx 67108864 "$W/a.mem"
check a-pids-limit grep -qx 50 "$W/a.pids"
check a-cpu-quota grep -qx 100000 "$W/a.quota"
check cpusets-disjoint "test -s $W/a.cpuset && ! cmp -s $W/a.cpuset $W/b.cpuset"
check b-cannot-signal-a grep -q "not permitted" "$W/b.kill"
check b-did-not-signal-a "! grep -q signalled $W/b.kill"
check b-cannot-read-a-logs "grep -q 'Permission denied' $W/b.logs && ! grep -q secret-of-a $W/b.logs"
check a-logs-readable-by-owner "curl -s -H 'Authorization: Bearer $TOK_ADMIN' '$URL/v1/jobs/$a/logs' | grep -q secret-of-a"
# Two ranks of one unit: each opens only its own GPU, not its sibling's.
rk=$(submit "$(spec "" 2 "for i in 0 1 2 3; do (exec 3<$T/dev/nvidia\$i) 2>&1 | sed \"s/^/gpu\$i: /\" >> $W/rank\$RANK.dev; done; echo \$CUDA_VISIBLE_DEVICES > $W/rank\$RANK.gpus")")
check ranks-complete wait_until 15 job_state_is "$rk" completed
for r in 0 1; do
  g=$(cat "$W/rank$r.gpus" 2>/dev/null)
  check "rank$r-one-gpu" "test -n '$g' && ! grep -q , $W/rank$r.gpus"
  check "rank$r-own-gpu-opens" "grep '^gpu$g: ' $W/rank$r.dev | grep -qv 'not permitted'"
  check "rank$r-others-denied" "test \$(grep -v '^gpu$g: ' $W/rank$r.dev | grep -c 'not permitted') -eq 3"
done
api POST "/v1/jobs/$a/cancel" >/dev/null
check a-cancelled wait_until 15 job_state_is "$a" cancelled
check a-cgroup-removed wait_until 10 "! ls -d /sys/fs/cgroup/*/$CG_PARENT/$a-* 2>/dev/null | grep -q ."

# 2. Over its memory limit: OUT_OF_MEMORY; the neighbour keeps running.
n=$(submit "$(spec "" 0 "sleep 6; echo alive > $W/neighbour" '{"memory_mb":64}')")
m=$(submit "$(spec "" 0 "/usr/bin/python3 -c 'b = bytearray(400 << 20); print(len(b))'" '{"memory_mb":64}')")
check oom-failed wait_until 20 job_state_is "$m" failed
check oom-reason "api GET /v1/jobs/$m | grep -q 'OUT_OF_MEMORY'"
check oom-shown "GANTRY_TOKEN=$TOK_ADMIN $GT_BIN/gantry --server $URL show $m | tee /dev/stderr | grep -q 'OUT_OF_MEMORY'"
check neighbour-completes wait_until 20 job_state_is "$n" completed
check neighbour-ran grep -qx alive "$W/neighbour"

# 3. Over its time limit: TIMEOUT.
t=$(submit "$(spec "" 0 "sleep 30" '{"time_limit_s":1,"grace_s":1}')")
check timeout-failed wait_until 15 job_state_is "$t" failed
check timeout-reason "api GET /v1/jobs/$t | grep -q 'TIMEOUT'"
# ... even when it exits 0 on SIGTERM (as servers and checkpointing trainers do).
g=$(submit "$(spec "" 0 'trap "exit 0" TERM; sleep 30 & wait' '{"time_limit_s":1,"grace_s":3}')")
check timeout-graceful-failed wait_until 15 job_state_is "$g" failed
check timeout-graceful-reason "api GET /v1/jobs/$g | cut -d' ' -f2- | jq_py \"(lambda f: (f['exit_code'], f['signal'], f['reason'][:8]))(d['placement'][0]['failure'])\" | grep -qx \"(0, 0, 'TIMEOUT:')\""

# 4. A fork bomb stops at pids_max.
f=$(submit "$(spec "" 0 'for i in $(seq 40); do sleep 2 & done; wait' '{"pids_max":10}')")
check forks-job-ends wait_until 20 "job_state_is $f failed || job_state_is $f completed"
check forks-refused "curl -s -H 'Authorization: Bearer $TOK_ADMIN' '$URL/v1/jobs/$f/logs?stream=stderr' | grep -qi 'fork'"

# 5. What a job leaves behind is killed with its cgroup.
g=$(submit "$(spec "" 0 "setsid sleep 4321 & echo started")")
check leftover-job-done wait_until 15 job_state_is "$g" completed
check leftover-killed wait_until 10 "! pgrep -f 'sleep 4321' >/dev/null"
check leftover-cgroup-removed wait_until 10 "! ls -d /sys/fs/cgroup/*/$CG_PARENT/$g-* 2>/dev/null | grep -q ."

# 6. Bad users, workdirs and commands fail with a reason; the agent keeps running.
expect_fail() { # NAME JSON REASON-TEXT
  local id
  id=$(submit "$2")
  check "$1-failed" wait_until 15 job_state_is "$id" failed
  WANT=$3 check "$1-reason" "api GET /v1/jobs/$id | tee /dev/stderr | grep -qF \"\$WANT\""
}
expect_fail no-such-user "$(spec gt-no-such-user 0 true)" "CANNOT_START: user 'gt-no-such-user' does not exist"
expect_fail root-user "$(spec root 0 true)" "never run as root"
mkdir -p "$T/private" && chmod 700 "$T/private"
expect_fail bad-workdir "$(spec "" 0 true "{\"workdir\":\"$T/private\"}")" "CANNOT_START: workdir"
printf 'echo hi\n' >"$W/not-executable" && chmod 644 "$W/not-executable"
expect_fail not-executable "{\"gpus\":0,\"cpus\":1,\"command\":[\"$W/not-executable\"]}" "Permission denied"
check more-cpus-than-any-node "api POST /v1/jobs '$(spec "" 0 true '{"cpus":64}')' | grep -q '^422 .*impossible'"
check more-memory-than-any-node "api POST /v1/jobs '$(spec "" 0 true '{"memory_mb":65536}')' | grep -q '^422 .*impossible'"
check agent-alive kill -0 "${AGENT_PID[n1]}"
ok=$(submit "$(spec "" 0 true)")
check later-job-completes wait_until 15 job_state_is "$ok" completed

# 7. Tokens and users: a bound token runs its jobs as its user and no other; an unbound
# user token may not name one.
c=$(submit "$(spec "" 0 "id -u > $W/c.uid")" "$TOK_C")
check bound-token-job wait_until 15 job_state_is "$c" completed
check bound-token-user "test \$(cat $W/c.uid) = \$(id -u gt-iso-a)"
check bound-token-other-user "api POST /v1/jobs '$(spec gt-iso-b 0 true)' $TOK_C | grep -q '^403 .*user'"
check unbound-token-user "api POST /v1/jobs '$(spec gt-iso-a 0 true)' $TOK_A | grep -q '^403 .*not bound'"

# 8. Drain: running work finishes, nothing new starts there; resume starts it.
r=$(submit "$(spec "" 0 "sleep 3")")
check drain-running wait_until 10 job_state_is "$r" running
api POST /v1/nodes/n1/drain >/dev/null
p=$(submit "$(spec "" 0 true)")
check drained-running-finishes wait_until 15 job_state_is "$r" completed
check drained-takes-nothing "sleep 1; job_state_is $p pending"
api POST /v1/nodes/n1/resume >/dev/null
check resumed-starts wait_until 15 job_state_is "$p" completed

finish
