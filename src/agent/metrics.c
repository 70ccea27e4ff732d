/* SPDX-License-Identifier: MIT
 * The agent's own page for Prometheus and for load balancers, on its --listen address:
 *   GET /metrics   units and ranks it runs, ready replicas, health verdict, fencing,
 *                  hangs, whether it is registered (Prometheus text format)
 *   GET /healthz   {"ok": true, "registered": BOOL, "units": N}
 * The main loop owns the units; it copies the counts into a->stats (under a->mu) each
 * round, and the server's threads read that copy. No token: like gantryd's /metrics. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "util/strbuf.h"
#include "util/version.h"

void agent_stats_update(agent *a) {
    agent_stats s = {0};
    for (size_t i = 0; i < a->nunits; i++) {
        const a_unit *u = a->units[i];
        if (u->stopping)
            s.units_stopping++;
        else
            s.units_running++;
        for (int k = 0; k < u->nranks; k++)
            s.ranks_running += u->ranks[k].state == AGENT_RANK_RUNNING;
        s.units_ready += u->ready_sent == 1;
        s.ports_silent += u->port_noted != 0;
    }
    pthread_mutex_lock(&a->mu);
    s.fenced_total = a->stats.fenced_total;
    s.hung_total = a->stats.hung_total;
    s.healthy = a->stats.healthy;
    s.registered = a->psession != 0;
    a->stats = s;
    pthread_mutex_unlock(&a->mu);
}

static void family(gt_sb *b, const char *name, const char *type, const char *help) {
    gt_sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics(agent *a, gt_http_resp *r) {
    pthread_mutex_lock(&a->mu);
    agent_stats s = a->stats;
    pthread_mutex_unlock(&a->mu);
    gt_sb b;
    gt_sb_init(&b);
    family(&b, "gantry_agent_build_info", "gauge", "The running agent's version (always 1).");
    gt_sb_printf(&b, "gantry_agent_build_info{version=\"%s\",commit=\"%s\"} 1\n", gt_version(),
                 gt_version_commit());
    family(&b, "gantry_agent_registered", "gauge", "1 while the agent has a session with gantryd.");
    gt_sb_printf(&b, "gantry_agent_registered %d\n", s.registered);
    family(&b, "gantry_agent_units", "gauge",
           "Units (gangs' parts, tasks, replicas) on its nodes.");
    gt_sb_printf(&b, "gantry_agent_units{state=\"running\"} %u\n", s.units_running);
    gt_sb_printf(&b, "gantry_agent_units{state=\"stopping\"} %u\n", s.units_stopping);
    family(&b, "gantry_agent_ranks_running", "gauge", "Ranks (processes) running.");
    gt_sb_printf(&b, "gantry_agent_ranks_running %u\n", s.ranks_running);
    family(&b, "gantry_agent_units_ready", "gauge", "Replicas whose readiness probe passes.");
    gt_sb_printf(&b, "gantry_agent_units_ready %u\n", s.units_ready);
    family(&b, "gantry_agent_units_not_listening", "gauge",
           "Replicas with nothing listening on their first port past --port-grace.");
    gt_sb_printf(&b, "gantry_agent_units_not_listening %u\n", s.ports_silent);
    family(&b, "gantry_agent_fenced_total", "counter",
           "Times the agent stopped its units for want of the controller (fencing).");
    gt_sb_printf(&b, "gantry_agent_fenced_total %u\n", s.fenced_total);
    family(&b, "gantry_agent_hung_total", "counter",
           "Units stopped as hung (their progress file was not touched).");
    gt_sb_printf(&b, "gantry_agent_hung_total %u\n", s.hung_total);
    if (s.healthy >= 0) {
        family(&b, "gantry_agent_healthy", "gauge", "1 while the node's health check passes.");
        gt_sb_printf(&b, "gantry_agent_healthy %d\n", s.healthy);
    }
    r->status = b.oom ? 503 : 200;
    r->content_type = "text/plain; version=0.0.4";
    r->body = b.oom ? NULL : gt_sb_take(&b);
    r->len = r->body ? strlen(r->body) : 0;
    if (b.oom)
        gt_sb_free(&b);
}

int agent_metrics_handler(agent *a, const gt_http_req *req, gt_http_resp *r) {
    if (!strcmp(req->path, "/metrics")) {
        metrics(a, r);
        return 1;
    }
    if (strcmp(req->path, "/healthz"))
        return 0;
    pthread_mutex_lock(&a->mu);
    agent_stats s = a->stats;
    pthread_mutex_unlock(&a->mu);
    r->status = 200;
    if (asprintf(&r->body, "{\"ok\":true,\"registered\":%s,\"units\":%u}",
                 s.registered ? "true" : "false", s.units_running + s.units_stopping) < 0)
        r->body = NULL;
    r->len = r->body ? strlen(r->body) : 0;
    return 1;
}
