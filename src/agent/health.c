/* SPDX-License-Identifier: MIT
 * The node's health check (gantry-agent --health-cmd CMD --health-every S), like Slurm's
 * HealthCheckProgram: its own thread runs `sh -c CMD` every S seconds (as the agent's user,
 * at most S or 60 s, whichever is less; exit 0 passes, and the first line of what it
 * printed is the reason when it fails) and tells the controller each verdict that changed,
 * and every verdict again after each registration (POST /v1/agent/health). A failing node
 * is drained by the controller until the check passes again. The verdict applies to every
 * node the agent serves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "sys/probe.h"

#define MAX_TIMEOUT_MS 60000

static void run_check(agent *a, int *healthy, char *why, size_t len) {
    char out[600];
    if (!agent_path(out, sizeof out, "%s/health.out", a->state_dir))
        snprintf(out, sizeof out, "/dev/null");
    /* Its output to `out` (the path and the command as arguments: no quoting to get wrong). */
    const char *argv[] = {"/bin/sh",       "-c", "exec >\"$0\" 2>&1; eval \"$1\"", out,
                          a->o.health_cmd, NULL};
    const char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          NULL};
    int64_t every = (int64_t)a->o.health_every_s * 1000;
    gt_probe_cmd c = {
        .argv = argv, .envp = envp, .timeout_ms = every < MAX_TIMEOUT_MS ? every : MAX_TIMEOUT_MS};
    char detail[200];
    *healthy = gt_probe_command(&c, detail, sizeof detail);
    if (*healthy) {
        why[0] = 0;
        return;
    }
    FILE *f = fopen(out, "r");
    char line[256] = "";
    if (f && fgets(line, sizeof line, f))
        line[strcspn(line, "\r\n")] = 0;
    if (f)
        fclose(f);
    snprintf(why, len, "%s%s%s", line, line[0] ? " (" : "", detail);
    if (line[0])
        strncat(why, ")", len - strlen(why) - 1);
}

/* POST the verdict for every node; 1 when the controller took it. */
static int report(agent *a, gt_http_client *h, uint64_t session, int healthy, const char *why) {
    gt_proto_node_health *n = calloc(a->reg.nnodes, sizeof *n);
    if (!n)
        return 0;
    for (uint32_t i = 0; i < a->reg.nnodes; i++)
        n[i] = (gt_proto_node_health){a->reg.nodes[i].name, healthy, (char *)why};
    gt_proto_health m = {a->id, session, n, a->reg.nnodes};
    char url[300], *body = gt_proto_health_encode(&m);
    free(n);
    snprintf(url, sizeof url, "%s/v1/agent/health", a->o.server);
    gt_http_answer ans;
    gt_error err;
    int answered = body && gt_http_call(h, "POST", url, body, 10000, &ans, &err) == GT_E_OK;
    int ok = answered && ans.status == 200;
    if (answered)
        gt_http_answer_free(&ans);
    free(body);
    return ok;
}

void *agent_health_main(void *arg) {
    agent *a = arg;
    gt_http_client *h = gt_http_client_new(a->o.token);
    int last = -1;             /* the last verdict: -1 none yet */
    uint64_t told_session = 0; /* the session that has it */
    char why[400] = "";
    int64_t next = 0;
    pthread_mutex_lock(&a->mu);
    while (!a->stop && h) {
        uint64_t session = a->psession;
        int64_t now = agent_now();
        pthread_mutex_unlock(&a->mu);
        if (now >= next) {
            int healthy;
            char w[400];
            run_check(a, &healthy, w, sizeof w);
            next = agent_now() + (int64_t)a->o.health_every_s * 1000;
            if (healthy != last || strcmp(w, why)) {
                if (last >= 0 || !healthy)
                    agent_log_at(a, healthy ? GT_LOG_INFO : GT_LOG_WARNING, "health check %s%s%s",
                                 healthy ? "passes" : "fails: ", healthy ? "" : w, "");
                last = healthy;
                snprintf(why, sizeof why, "%s", w);
                pthread_mutex_lock(&a->mu);
                a->stats.healthy = healthy;
                pthread_mutex_unlock(&a->mu);
                told_session = 0;
            }
        }
        if (session && told_session != session && last >= 0 && report(a, h, session, last, why))
            told_session = session;
        pthread_mutex_lock(&a->mu);
        int64_t until = agent_now() + (told_session == session || !session ? 1000 : 200);
        if (until > next)
            until = next;
        while (!a->stop && agent_now() < until && a->psession == session)
            agent_timed_wait(a, until - agent_now());
    }
    pthread_mutex_unlock(&a->mu);
    gt_http_client_free(h);
    return NULL;
}
