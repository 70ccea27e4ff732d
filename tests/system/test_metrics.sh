#!/usr/bin/env bash
# gantryd's /metrics page follows Prometheus' conventions: promtool (Debian's prometheus
# package) finds nothing wrong with it while jobs of every kind have run, a service runs and
# a job failed; the families a dashboard needs are there with values that follow the cluster.
# The agent's /metrics passes too and says what runs on its node; its /healthz answers.
. "$(dirname "$0")/lib/cluster.sh"
command -v promtool >/dev/null || { echo "SKIP: promtool not found (scripts/deps.sh test installs prometheus)"; exit 77; }
cluster_init metrics
NODE_CPUS=3
write_config 1
start_ctld || exit 1
APORT=$(free_port)
AGENT_EXTRA=(--listen "127.0.0.1:$APORT" --health-cmd true --health-every 1)
start_agent n1
check node-up wait_until 10 node_state_is n1 up
ok=$(submit '{"gpus":1,"cpus":1,"command":["true"]}')
bad=$(submit '{"gpus":1,"cpus":1,"command":["false"]}')
svc=$(submit '{"kind":"serve","gpus":0,"cpus":1,"command":["sh","-c","exec python3 -m http.server $PORT --bind 127.0.0.1"]}')
arr=$(submit '{"kind":"tasks","tasks":3,"gpus":0,"cpus":1,"command":["true"]}')
check jobs-end wait_until 15 "job_state_is $ok completed && job_state_is $bad failed && job_state_is $arr completed"
check service-ready wait_until 15 "[ \"\$(eps $svc 'd[\"ready\"]')\" = 1 ]"
curl -s "$URL/metrics" >"$T/metrics.txt"
check promtool "promtool check metrics <'$T/metrics.txt' >'$T/promtool.out' 2>&1 || { cat '$T/promtool.out'; false; }"
has() { grep -qx "$1" "$T/metrics.txt"; }
check jobs-failed "has 'gantry_jobs{state=\"failed\",kind=\"train\"} 1'"
check tasks-done "has 'gantry_jobs{state=\"completed\",kind=\"tasks\"} 1'"
check service-ready-metric "has 'gantry_service_replicas_ready{job=\"$svc\"} 1'"
check build-info "grep -q '^gantry_build_info{version=\"[^\"]*\",commit=\"[^\"]*\"} 1$' '$T/metrics.txt'"
check journal-total "grep -q '^gantry_journal_entries_total [1-9]' '$T/metrics.txt'"
check events-total "grep -q '^gantry_events_total [1-9]' '$T/metrics.txt'"
check every-family-helped "awk '/^# HELP/ {h[\$3]=1} /^# TYPE/ {t[\$3]=1} !/^#/ {n=\$1; sub(/[{ ].*/, \"\", n); sub(/_(bucket|sum|count)\$/, \"\", n); if (!h[n] || !t[n]) {print n; bad=1}} END {exit bad}' '$T/metrics.txt'"

# The agent's own page: its units, ranks, ready replicas and health verdict.
curl -s "http://127.0.0.1:$APORT/metrics" >"$T/agent.txt"
check agent-promtool "promtool check metrics <'$T/agent.txt' >'$T/promtool2.out' 2>&1 || { cat '$T/promtool2.out'; false; }"
check agent-registered "grep -qx 'gantry_agent_registered 1' '$T/agent.txt'"
# The finished jobs' units leave the agent once gantryd has taken their exits, a moment after
# the jobs end: wait for the page to show the service alone.
agent_page() { curl -s "http://127.0.0.1:$APORT/metrics" >"$T/agent.txt"; }
check agent-running wait_until 10 "agent_page && grep -qx 'gantry_agent_units{state=\"running\"} 1' '$T/agent.txt' && grep -qx 'gantry_agent_ranks_running 1' '$T/agent.txt'"
check agent-healthy "grep -qx 'gantry_agent_healthy 1' '$T/agent.txt'"
check agent-healthz wait_until 10 "curl -s http://127.0.0.1:$APORT/healthz | grep -qx '{\"ok\":true,\"registered\":true,\"units\":1}'"
G cancel "$svc" >/dev/null
stop_all
finish
