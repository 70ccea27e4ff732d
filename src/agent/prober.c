/* SPDX-License-Identifier: MIT
 * Running probes. The main loop owns the units: each round it takes the results that came
 * back (feeding each unit's agent_probe, probe.c) and hands the checks that are due to a
 * few prober threads as self-contained copies (a_check: the port, path or command, the
 * identity to run it as). A result names its unit by (job, unit, gen, node): one whose
 * unit is gone or stopping is dropped. A prober finishing a check wakes the main loop.
 *
 * What a verdict does: readiness PASSING/FAILING becomes a ready/unready event (the
 * controller lists a replica as an endpoint only while it is ready); liveness FAILING
 * stops the unit with its grace, and its exit says LIVENESS and why. Emulated units run
 * no processes, so their probes are not run: they count as passing. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "sys/probe.h"
#include "util/prom.h"

enum { CHECK_READY = 0, CHECK_LIVE = 1, CHECK_METRIC = 2 };

typedef struct a_check {
    uint32_t job, unit, gen;
    char node[128];
    int which; /* CHECK_*: probes[0], probes[1], or the scale metric */
    char metric[130];
    double value; /* CHECK_METRIC: the metric's sum, -1 when it could not be read */
    gt_proto_probe_kind kind;
    int port;
    char path[260];
    char **argv, **envp; /* command: NULL-terminated, owned */
    char workdir[512];
    int set_ids;
    uid_t uid;
    gid_t gid;
    int64_t timeout_ms;
    int ok;
    char detail[200];
    struct a_check *next;
} a_check;

static void strv_free(char **v) {
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static void check_free(a_check *c) {
    strv_free(c->argv);
    strv_free(c->envp);
    free(c);
}

/* GET the replica's metrics page and add up the metric's samples. */
static void read_metric(a_check *c, gt_http_client *h) {
    char url[400];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", c->port, c->path);
    gt_http_answer ans = {0};
    gt_error err = {0};
    c->value = -1;
    if (c->port <= 0) {
        snprintf(c->detail, sizeof c->detail, "%.190s", c->path);
        return;
    }
    if (gt_http_call(h, "GET", url, NULL, c->timeout_ms, &ans, &err)) {
        snprintf(c->detail, sizeof c->detail, "GET %.100s: %.80s", c->path, err.msg);
        return;
    }
    double sum;
    if (ans.status != 200)
        snprintf(c->detail, sizeof c->detail, "GET %.100s: HTTP %d", c->path, ans.status);
    else if (gt_prom_sum(ans.body, ans.len, c->metric, &sum) == 0)
        snprintf(c->detail, sizeof c->detail, "GET %.80s: no metric named %.80s", c->path,
                 c->metric);
    else
        c->value = sum < 0 ? 0 : sum;
    gt_http_answer_free(&ans);
}

static void run_check(a_check *c, gt_http_client *h) {
    if (c->which == CHECK_METRIC) {
        read_metric(c, h);
        return;
    }
    if (c->kind == GT_PROTO_PROBE_HTTP) {
        c->ok = c->port > 0 &&
                gt_probe_http(h, c->port, c->path, c->timeout_ms, c->detail, sizeof c->detail);
        if (c->port <= 0)
            snprintf(c->detail, sizeof c->detail, "%.190s", c->path); /* the reason is in path */
        return;
    }
    gt_probe_cmd cmd = {.argv = (const char *const *)c->argv,
                        .envp = (const char *const *)c->envp,
                        .workdir = c->workdir[0] ? c->workdir : NULL,
                        .set_ids = c->set_ids,
                        .uid = c->uid,
                        .gid = c->gid,
                        .timeout_ms = c->timeout_ms};
    c->ok = gt_probe_command(&cmd, c->detail, sizeof c->detail);
}

static void *prober_main(void *arg) {
    agent *a = arg;
    gt_http_client *h = gt_http_client_new(NULL);
    for (;;) {
        pthread_mutex_lock(&a->pmu);
        while (!a->todo && !a->pstop)
            pthread_cond_wait(&a->pcv, &a->pmu);
        a_check *c = a->todo;
        if (c)
            a->todo = c->next;
        int stop = a->pstop;
        pthread_mutex_unlock(&a->pmu);
        if (stop) {
            if (c)
                check_free(c);
            break;
        }
        if (h)
            run_check(c, h);
        else
            snprintf(c->detail, sizeof c->detail, "out of memory");
        pthread_mutex_lock(&a->mu);
        c->next = a->done_checks;
        a->done_checks = c;
        a->kick = 1;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
    }
    gt_http_client_free(h);
    return NULL;
}

int agent_probers_start(agent *a) {
    pthread_mutex_init(&a->pmu, NULL);
    pthread_cond_init(&a->pcv, NULL);
    for (a->nprobers = 0; a->nprobers < (int)(sizeof a->probers / sizeof a->probers[0]);
         a->nprobers++)
        if (pthread_create(&a->probers[a->nprobers], NULL, prober_main, a))
            break;
    return a->nprobers > 0;
}

static void free_list(a_check *c) {
    while (c) {
        a_check *nx = c->next;
        check_free(c);
        c = nx;
    }
}

void agent_probers_stop(agent *a) {
    pthread_mutex_lock(&a->pmu);
    a->pstop = 1;
    pthread_cond_broadcast(&a->pcv);
    pthread_mutex_unlock(&a->pmu);
    for (int i = 0; i < a->nprobers; i++)
        pthread_join(a->probers[i], NULL);
    a->nprobers = 0;
    free_list(a->todo);
    free_list(a->done_checks);
    a->todo = a->done_checks = NULL;
    pthread_mutex_destroy(&a->pmu);
    pthread_cond_destroy(&a->pcv);
}

/* ---- main loop side ---- */

static char **strv_new(size_t n) {
    return calloc(n + 1, sizeof(char *));
}

/* The command's environment: PATH, the spec's env, the unit's ports. */
static char **probe_env(const a_unit *u) {
    const gt_proto_launch *l = &u->start.launch;
    char **v = strv_new(l->nenv + 4);
    size_t n = 0;
    if (!v)
        return NULL;
    const char *path = getenv("PATH");
    if (asprintf(&v[n], "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin") >= 0)
        n++;
    for (uint32_t i = 0; i < l->nenv; i++)
        if (asprintf(&v[n], "%s=%s", l->env[i].key, l->env[i].value) >= 0)
            n++;
    if (u->nports) {
        char list[GT_PROTO_MAX_PORTS * 24];
        agent_ports_list(u, list, sizeof list);
        if (asprintf(&v[n], "GANTRY_PORTS=%s", list) >= 0)
            n++;
        if (asprintf(&v[n], "PORT=%u", u->ports[0].port) >= 0)
            n++;
        if (asprintf(&v[n], "GANTRY_PORT=%u", u->ports[0].port) >= 0)
            n++;
    }
    return v;
}

static a_check *check_new(const a_unit *u, int which) {
    const gt_proto_probe *p = u->probes[which].cfg;
    a_check *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->job = u->job;
    c->unit = u->unit;
    c->gen = u->gen;
    snprintf(c->node, sizeof c->node, "%s", u->node);
    c->which = which;
    c->kind = p->kind;
    c->timeout_ms = p->timeout_ms;
    if (p->kind == GT_PROTO_PROBE_HTTP) {
        snprintf(c->path, sizeof c->path, "%s", p->path);
        for (uint32_t i = 0; i < u->nports && !c->port; i++)
            if (!strcmp(u->ports[i].name, p->port))
                c->port = u->ports[i].port;
        if (!c->port) /* checked at submit; an old record may lack it */
            snprintf(c->path, sizeof c->path, "the unit has no port named '%.64s'", p->port);
        return c;
    }
    c->argv = strv_new(p->argc);
    c->envp = probe_env(u);
    for (uint32_t i = 0; c->argv && i < p->argc; i++)
        c->argv[i] = strdup(p->argv[i]);
    for (uint32_t i = 0; c->argv && i < p->argc; i++)
        if (!c->argv[i]) {
            strv_free(c->argv);
            c->argv = NULL;
        }
    if (!c->argv || !c->envp) {
        check_free(c);
        return NULL;
    }
    snprintf(c->workdir, sizeof c->workdir, "%s",
             u->start.launch.workdir ? u->start.launch.workdir : "");
    c->set_ids = u->set_ids;
    c->uid = u->uid;
    c->gid = u->gid;
    return c;
}

/* Probes run while every rank of the unit runs and nobody stops it. */
static int probing(const a_unit *u) {
    if (u->stopping)
        return 0;
    for (int k = 0; k < u->nranks; k++)
        if (u->ranks[k].state != AGENT_RANK_RUNNING)
            return 0;
    return u->nranks > 0;
}

static void verdict(agent *a, a_unit *u, int which) {
    agent_probe *p = &u->probes[which];
    if (which == 0) {
        int ready = p->state == AGENT_PROBE_PASSING;
        if (p->state == AGENT_PROBE_UNKNOWN || u->ready_sent == (ready ? 1 : 2))
            return;
        u->ready_sent = ready ? 1 : 2;
        agent_events_ready(a, u, ready, p->detail);
        agent_log(a, "job %u unit %u on %s: %s%s%s", u->job, u->unit, u->node,
                  ready ? "ready" : "not ready: ", ready ? "" : p->detail, "");
        return;
    }
    if (p->state != AGENT_PROBE_FAILING || u->live_failed)
        return;
    u->live_failed = 1;
    agent_log_at(a, GT_LOG_WARNING, "job %u unit %u on %s: liveness probe failed (%s); stopping it",
                 u->job, u->unit, u->node, p->detail);
    agent_unit_stop(a, u, u->grace_ms);
}

/* A check of the unit's scale metric (the launch's scale; its port by name). */
static a_check *metric_check(const a_unit *u) {
    const gt_proto_scale *sc = &u->start.launch.scale;
    a_check *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->job = u->job;
    c->unit = u->unit;
    c->gen = u->gen;
    snprintf(c->node, sizeof c->node, "%s", u->node);
    c->which = CHECK_METRIC;
    c->kind = GT_PROTO_PROBE_HTTP;
    snprintf(c->metric, sizeof c->metric, "%s", sc->metric);
    snprintf(c->path, sizeof c->path, "%s", sc->path ? sc->path : "/metrics");
    c->timeout_ms = sc->period_ms < 2000 ? sc->period_ms : 2000;
    for (uint32_t i = 0; i < u->nports && !c->port; i++)
        if (sc->port && !strcmp(u->ports[i].name, sc->port))
            c->port = u->ports[i].port;
    if (!c->port)
        snprintf(c->path, sizeof c->path, "the unit has no port named '%.64s'",
                 sc->port ? sc->port : "");
    return c;
}

static void take_results(agent *a, int64_t now) {
    pthread_mutex_lock(&a->mu);
    a_check *c = a->done_checks;
    a->done_checks = NULL;
    pthread_mutex_unlock(&a->mu);
    while (c) {
        a_check *nx = c->next;
        a_unit *u = agent_unit_find(a, c->job, c->unit, c->gen, c->node);
        if (u && c->which == CHECK_METRIC) {
            u->metric_out = 0;
            u->metric_next = now + u->start.launch.scale.period_ms;
            if (probing(u))
                agent_events_metric(a, u, c->value, c->detail);
        } else if (u) {
            agent_probe *p = &u->probes[c->which];
            if (agent_probe_result(p, c->ok, c->detail, now) && probing(u))
                verdict(a, u, c->which);
        }
        check_free(c);
        c = nx;
    }
}

static void hand_out(agent *a, a_check *c) {
    pthread_mutex_lock(&a->pmu);
    c->next = a->todo;
    a->todo = c;
    pthread_cond_signal(&a->pcv);
    pthread_mutex_unlock(&a->pmu);
}

/* A replica without a readiness probe is an endpoint as soon as its ports are known, so it
 * had better listen on its first port: one that does not, port_grace_s after it started
 * (listening on another port, or not yet), is reported with the reason (the service shows
 * it as degraded), and again with none once something listens. A cheap look at the
 * kernel's table (gt_port_busy), every second until it listens, then every 5 s. */
#define PORT_LOOK_MS 1000
#define PORT_RELOOK_MS 5000
static void port_tick(agent *a, a_unit *u, int64_t now) {
    const gt_proto_launch *l = &u->start.launch;
    if (!u->nports || strcmp(l->kind, "serve") || l->readiness.kind != GT_PROTO_PROBE_NONE ||
        a->proto < 2 || now < u->port_next)
        return;
    int up = gt_port_busy((int)u->ports[0].port);
    int64_t grace = (a->o.port_grace_s > 0 ? a->o.port_grace_s : 30) * 1000LL;
    u->port_next = now + (up ? PORT_RELOOK_MS : PORT_LOOK_MS);
    if (up && u->port_noted) {
        u->port_noted = 0;
        agent_events_port(a, u, "");
        agent_log(a, "job %u unit %u on %s: listens on port %s (%u) now", u->job, u->unit, u->node,
                  u->ports[0].name, u->ports[0].port);
    } else if (!up && !u->port_noted && now - u->started_ms >= grace) {
        char why[200];
        snprintf(why, sizeof why,
                 "nothing listens on its port %.32s (%u) %lld s after it started (it should "
                 "listen on $PORT)",
                 u->ports[0].name, u->ports[0].port, (long long)(grace / 1000));
        u->port_noted = 1;
        agent_events_port(a, u, why);
        agent_log_at(a, GT_LOG_WARNING, "job %u unit %u on %s: %s", u->job, u->unit, u->node, why);
    }
}

void agent_probes_tick(agent *a) {
    int64_t now = agent_clock(a);
    take_results(a, now);
    if (a->o.emulate || !a->nprobers)
        return;
    for (size_t i = 0; i < a->nunits; i++) {
        a_unit *u = a->units[i];
        if (!probing(u))
            continue;
        port_tick(a, u, now);
        for (int w = 0; w < 2; w++) {
            if (!agent_probe_due(&u->probes[w], now))
                continue;
            a_check *c = check_new(u, w);
            if (!c)
                continue; /* out of memory: due again next round */
            u->probes[w].out = 1;
            hand_out(a, c);
        }
        if (u->start.launch.scale.metric && a->proto >= 2 && !u->metric_out &&
            now >= u->metric_next) {
            a_check *c = metric_check(u);
            if (c) {
                u->metric_out = 1;
                hand_out(a, c);
            }
        }
    }
}

void agent_probes_resend(agent *a) {
    for (size_t i = 0; i < a->nunits; i++) {
        a_unit *u = a->units[i];
        if (u->ready_sent == 1 && probing(u))
            agent_events_ready(a, u, 1, "");
        if (u->port_noted && probing(u)) /* (the reason is made again at the next look) */
            u->port_noted = 0, u->port_next = 0;
    }
}
