/* SPDX-License-Identifier: MIT
 * Service replicas' ports, readiness and endpoints (service.h). State thread only.
 *
 * Watches. A GET .../endpoints?watch=V whose job is at version V (nothing new) parks its
 * request here (r->parked, linked by r->wnext) instead of answering; ctld_endpoints_tick,
 * called by the state thread after each commit, answers the parked requests whose job
 * moved past V, whose timeout passed, or all of them when gantryd stops. Only requests
 * whose answer can be deferred are parked (the others are answered at once). */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "util/vec.h"

#define WATCH_MAX_S 300
#define WATCH_DEFAULT_S 30

static int slot_of(gt_ctld *c, const ctld_run *r, const char *node) {
    const gt_topo *topo = gt_sched_topo(c->sched);
    for (uint32_t i = 0; node && i < r->nslots; i++)
        if (!strcmp(gt_topo_name(topo, r->nodes[i]), node))
            return (int)i;
    return -1;
}

/* Run (job, unit, gen), active; NULL otherwise. */
static ctld_run *active_run(gt_ctld *c, uint32_t job, uint32_t unit, uint32_t gen) {
    ctld_run *r = ctld_run_find(c, job, unit);
    return r && r->gen == gen && r->state == RUN_ACTIVE ? r : NULL;
}

static int has_readiness(gt_ctld *c, uint32_t job) {
    const gt_proto_launch *l = ctld_job_launch(c, job);
    return l && l->readiness.kind != GT_PROTO_PROBE_NONE;
}

/* 1 when r is one of its job's endpoints. */
int ctld_run_is_endpoint(gt_ctld *c, uint32_t job, const ctld_run *r) {
    return r->state == RUN_ACTIVE && !r->drain_until && r->nports && r->ports && r->ports[0] &&
           (r->ready || !has_readiness(c, job));
}

static void changed(gt_ctld *c, uint32_t job) {
    c->jobs[job].ep_version++;
}

gt_err ctld_op_ports(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    json_t *jv = json_object_get(body, "job"), *ports = json_object_get(body, "ports");
    if (!json_is_integer(jv) || json_integer_value(jv) < 0 ||
        json_integer_value(jv) >= (json_int_t)c->njobs)
        return gt_fail(err, GT_E_NOT_FOUND, "job", "no such job");
    uint32_t job = (uint32_t)json_integer_value(jv);
    ctld_run *r = active_run(c, job, (uint32_t)json_integer_value(json_object_get(body, "unit")),
                             (uint32_t)json_integer_value(json_object_get(body, "gen")));
    int slot = r ? slot_of(c, r, json_string_value(json_object_get(body, "node"))) : -1;
    const gt_proto_launch *l = ctld_job_launch(c, job);
    if (slot < 0 || !r->ports || !l || !json_is_object(ports))
        return GT_E_OK; /* stale, or a job without ports: nothing to keep */
    for (uint32_t i = 0; i < r->nports && i < l->nports; i++) {
        json_t *p = json_object_get(ports, l->ports[i]);
        if (json_is_integer(p) && json_integer_value(p) > 0 && json_integer_value(p) < 65536)
            r->ports[(size_t)slot * r->nports + i] = (uint16_t)json_integer_value(p);
    }
    if (slot == 0) {
        r->ready_ms = t;
        changed(c, job);
    }
    return GT_E_OK;
}

void ctld_service_started(gt_ctld *c, const gt_proto_event *ev, int64_t t) {
    ctld_run *r = active_run(c, ev->job, ev->unit, ev->gen);
    int slot = r ? slot_of(c, r, ev->node) : -1;
    if (slot < 0 || !ev->nports || !r->ports || r->ports[(size_t)slot * r->nports])
        return; /* no ports to keep, or known already (one event per rank brings them) */
    json_t *ports = json_object();
    for (uint32_t i = 0; ports && i < ev->nports; i++)
        json_object_set_new(ports, ev->ports[i].name, json_integer(ev->ports[i].port));
    json_t *b = json_pack("{s:I, s:I, s:I, s:s, s:o}", "job", (json_int_t)ev->job, "unit",
                          (json_int_t)ev->unit, "gen", (json_int_t)ev->gen, "node", ev->node,
                          "ports", ports);
    gt_error err;
    if (b)
        ctld_do(c, t, "ports", b, &err);
    json_decref(b);
}

/* The "ready" journal op: {"job","unit","gen","ready"}. Readiness is journaled (a change
 * is rare), so a restarted gantryd lists the same endpoints at once instead of none until
 * the agents register again. */
gt_err ctld_op_ready(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    (void)err;
    json_t *jv = json_object_get(body, "job");
    if (!json_is_integer(jv) || json_integer_value(jv) < 0 ||
        json_integer_value(jv) >= (json_int_t)c->njobs)
        return GT_E_OK;
    uint32_t job = (uint32_t)json_integer_value(jv);
    ctld_run *r = active_run(c, job, (uint32_t)json_integer_value(json_object_get(body, "unit")),
                             (uint32_t)json_integer_value(json_object_get(body, "gen")));
    if (!r)
        return GT_E_OK; /* stale */
    r->ready = json_is_true(json_object_get(body, "ready"));
    r->ready_ms = t;
    changed(c, job);
    return GT_E_OK;
}

void ctld_service_ready(gt_ctld *c, const gt_proto_event *ev, int64_t t) {
    ctld_run *r = active_run(c, ev->job, ev->unit, ev->gen);
    if (!r || slot_of(c, r, ev->node) != 0)
        return; /* a replica is as ready as its first node's unit */
    int ready = ev->kind == GT_PROTO_EV_READY;
    if (r->ready == ready)
        return; /* (an agent says it again after each registration) */
    json_t *b = json_pack("{s:I, s:I, s:I, s:b}", "job", (json_int_t)ev->job, "unit",
                          (json_int_t)ev->unit, "gen", (json_int_t)ev->gen, "ready", ready);
    gt_error err;
    if (b)
        ctld_do(c, t, "ready", b, &err);
    json_decref(b);
    ctld_log(c, "job %u replica %u on %s: %s%s%s", ev->job, ev->unit, ev->node,
             ready ? "ready" : "not ready (", ready ? "" : ev->reason, ready ? "" : ")");
}

static json_t *degraded_reason(gt_ctld *c, uint32_t job, const gt_service_info *si);

void ctld_service_port(gt_ctld *c, const gt_proto_event *ev, int64_t t) {
    (void)t;
    ctld_run *r = active_run(c, ev->job, ev->unit, ev->gen);
    if (!r || slot_of(c, r, ev->node) != 0)
        return;
    int had = r->port_note != NULL;
    free(r->port_note);
    r->port_note = ev->reason[0] ? strdup(ev->reason) : NULL;
    if (had != (r->port_note != NULL))
        ctld_log_at(c, r->port_note ? GT_LOG_WARNING : GT_LOG_INFO, "job %u replica %u on %s: %s",
                    ev->job, ev->unit, ev->node,
                    r->port_note ? r->port_note : "listens on its port now");
}

/* Degraded: a replica that keeps ending (the core's verdict), else one whose agent says
 * nothing listens on its port; *why (NULL when not degraded). */
static int degraded(gt_ctld *c, uint32_t job, const gt_service_info *si, json_t **why) {
    *why = NULL;
    if (si->degraded) {
        *why = degraded_reason(c, job, si);
        return 1;
    }
    const ctld_job *jb = &c->jobs[job];
    for (uint32_t i = 0; i < jb->nruns; i++)
        if (jb->runs[i].state == RUN_ACTIVE && jb->runs[i].port_note) {
            *why = json_sprintf("replica %u: %s", jb->runs[i].unit, jb->runs[i].port_note);
            return 1;
        }
    return 0;
}

void ctld_service_run_ended(gt_ctld *c, uint32_t job, const ctld_run *r) {
    if (r->nports)
        changed(c, job);
}

/* "replica 2 ended 6 times within 600 s of each other (max_restarts 5); last: exit code
 * 1: ..." */
static json_t *degraded_reason(gt_ctld *c, uint32_t job, const gt_service_info *si) {
    const ctld_run *r = ctld_run_find(c, job, si->worst);
    char last[400] = "";
    if (r && r->failed && r->reason)
        snprintf(last, sizeof last, "; last: %s", r->reason);
    else if (r && r->failed && r->signal)
        snprintf(last, sizeof last, "; last: killed by signal %d", r->signal);
    else if (r && r->failed)
        snprintf(last, sizeof last, "; last: exit code %d", r->exit_code);
    else if (r && r->state == RUN_DONE)
        snprintf(last, sizeof last, "; last: it exited 0 (a service's replica should not end)");
    return json_sprintf("replica %u ended %u times within %g s of each other (max_restarts "
                        "%u)%s",
                        si->worst, si->worst_failures, (double)si->window_ms / 1000.0,
                        si->max_restarts, last);
}

json_t *ctld_service_json(gt_ctld *c, uint32_t job) {
    gt_service_info si;
    if (!gt_sched_service(c->sched, job, CTLD_NOW(), &si))
        return NULL;
    uint32_t ready = ctld_endpoints_ready(c, job);
    json_t *why;
    int bad = degraded(c, job, &si, &why);
    json_t *o = json_pack("{s:b, s:I, s:I, s:I, s:I, s:o, s:o}", "degraded", bad, "restarts",
                          (json_int_t)si.restarts, "ready", (json_int_t)ready, "desired",
                          (json_int_t)si.desired, "version", (json_int_t)c->jobs[job].ep_version,
                          "backoff_until", ctld_time_json(si.backoff_until), "autoscale",
                          ctld_autoscale_json(c, job));
    json_object_set_new(o, "rollout", ctld_rollout_json(c, job));
    json_object_set_new(o, "degraded_reason", why ? why : json_null());
    return o;
}

/* ---- endpoints ---- */

static const char *host_of(gt_ctld *c, uint32_t node) {
    int32_t a = c->node_agent[node];
    if (a >= 0 && c->agents[a]->host[0])
        return c->agents[a]->host;
    return gt_topo_name(gt_sched_topo(c->sched), node);
}

uint32_t ctld_endpoints_ready(gt_ctld *c, uint32_t job) {
    gt_job_info ji;
    if (!gt_sched_job(c->sched, job, &ji) || ji.state >= GT_JOB_COMPLETED)
        return 0;
    const ctld_job *jb = &c->jobs[job];
    uint32_t n = 0;
    for (uint32_t i = 0; i < jb->nruns; i++)
        n += (uint32_t)ctld_run_is_endpoint(c, job, &jb->runs[i]);
    return n;
}

json_t *ctld_endpoints_json(gt_ctld *c, uint32_t job, uint32_t *ready) {
    json_t *a = json_array();
    gt_job_info ji;
    *ready = 0;
    if (!gt_sched_job(c->sched, job, &ji) || ji.state >= GT_JOB_COMPLETED)
        return a; /* (and its launch, dropped when it ended, stays dropped) */
    const gt_proto_launch *l = ctld_job_launch(c, job);
    const ctld_job *jb = &c->jobs[job];
    *ready = 0;
    for (uint32_t i = 0; a && l && i < jb->nruns; i++) {
        const ctld_run *r = &jb->runs[i];
        if (!ctld_run_is_endpoint(c, job, r))
            continue;
        json_t *ports = json_object();
        for (uint32_t k = 0; ports && k < r->nports && k < l->nports; k++)
            json_object_set_new(ports, l->ports[k], json_integer(r->ports[k]));
        json_array_append_new(
            a, json_pack(
                   "{s:I, s:s, s:s, s:I, s:o, s:I, s:o, s:o, s:I}", "replica", (json_int_t)r->unit,
                   "node", gt_topo_name(gt_sched_topo(c->sched), r->nodes[0]), "host",
                   host_of(c, r->nodes[0]), "port", (json_int_t)r->ports[0], "ports", ports, "gen",
                   (json_int_t)r->gen, "ready_since", ctld_time_json(r->ready_ms), "role",
                   jb->nroles ? json_string(jb->role) : json_null(), "job", (json_int_t)job));
        (*ready)++;
    }
    return a;
}

static void answer(gt_ctld *c, ctld_req *r) {
    uint32_t n;
    json_t *eps = ctld_role_endpoints(c, r->id, &n);
    gt_job_info ji;
    gt_sched_job(c->sched, r->id, &ji);
    ctld_answer_json(r, 200,
                     json_pack("{s:I, s:I, s:s, s:I, s:o}", "job", (json_int_t)r->id, "version",
                               (json_int_t)ctld_role_ep_version(c, r->id), "state",
                               ctld_job_state_name(ji.state), "ready", (json_int_t)n, "endpoints",
                               eps));
}

void ctld_exec_endpoints(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    if (!ctld_job_visible(c, r->who, r->id)) {
        gt_error e;
        gt_fail(&e, GT_E_NOT_FOUND, "job", "no job %u", r->id);
        ctld_answer_err(r, &e);
        return;
    }
    json_t *w = json_object_get(r->body, "watch"), *to = json_object_get(r->body, "timeout_s");
    gt_job_info ji;
    gt_sched_job(c->sched, r->id, &ji);
    if (!w || !r->later || (uint64_t)json_integer_value(w) != ctld_role_ep_version(c, r->id) ||
        ji.state >= GT_JOB_COMPLETED) {
        answer(c, r);
        return;
    }
    int64_t secs = to ? json_integer_value(to) : WATCH_DEFAULT_S;
    r->deadline_mono = gt_clock_mono_ms() + secs * 1000;
    r->parked = 1;
    r->wnext = c->ep_watch;
    c->ep_watch = r;
}

void ctld_endpoints_tick(gt_ctld *c, int64_t now_mono, int stopping) {
    ctld_req **pp = &c->ep_watch;
    while (*pp) {
        ctld_req *r = *pp;
        gt_job_info ji;
        gt_sched_job(c->sched, r->id, &ji);
        uint64_t v = (uint64_t)json_integer_value(json_object_get(r->body, "watch"));
        if (!stopping && now_mono < r->deadline_mono && ctld_role_ep_version(c, r->id) == v &&
            ji.state < GT_JOB_COMPLETED) {
            pp = &r->wnext;
            continue;
        }
        *pp = r->wnext;
        r->parked = 0;
        answer(c, r);
        ctld_answer_parked(c, r);
    }
}

/* ---- metrics ---- */

void ctld_service_track(gt_ctld *c, uint32_t job) {
    if (gt_vec_reserve32((void **)&c->svc_jobs, &c->svc_jobs_cap, c->nsvc_jobs + 1,
                         sizeof *c->svc_jobs, 16))
        c->svc_jobs[c->nsvc_jobs++] = job;
}

static void metric_head(gt_sb *sb, const char *name, const char *type, const char *help) {
    gt_sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void ctld_service_metrics(gt_ctld *c, gt_sb *sb) {
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        {"gantry_service_replicas_ready", "gauge", "Replicas of a service that are endpoints."},
        {"gantry_service_degraded", "gauge",
         "1 while a replica of the service keeps ending (max_restarts within the window)."},
        {"gantry_service_replica_restarts_total", "counter",
         "Replica starts after their first, all replicas of the service."},
    };
    uint32_t w = 0;
    int64_t now = CTLD_NOW();
    gt_sb rows[3];
    for (int f = 0; f < 3; f++)
        gt_sb_init(&rows[f]);
    for (uint32_t i = 0; i < c->nsvc_jobs; i++) {
        uint32_t j = c->svc_jobs[i];
        gt_job_info ji;
        gt_service_info si;
        if (!gt_sched_job(c->sched, j, &ji) || ji.state >= GT_JOB_COMPLETED ||
            !gt_sched_service(c->sched, j, now, &si))
            continue; /* ended: off the list */
        c->svc_jobs[w++] = j;
        uint32_t ready = ctld_endpoints_ready(c, j);
        gt_sb_printf(&rows[0], "gantry_service_replicas_ready{job=\"%u\"} %u\n", j, ready);
        json_t *why;
        gt_sb_printf(&rows[1], "gantry_service_degraded{job=\"%u\"} %d\n", j,
                     degraded(c, j, &si, &why));
        json_decref(why);
        gt_sb_printf(&rows[2], "gantry_service_replica_restarts_total{job=\"%u\"} %u\n", j,
                     si.restarts);
    }
    c->nsvc_jobs = w;
    for (int f = 0; f < 3; f++) {
        metric_head(sb, fam[f].name, fam[f].type, fam[f].help);
        gt_sb_puts(sb, gt_sb_str(&rows[f]));
        gt_sb_free(&rows[f]);
    }
}
