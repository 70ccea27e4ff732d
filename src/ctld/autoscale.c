/* SPDX-License-Identifier: MIT
 * Services that follow their load (a spec's "scale"; state thread only).
 *
 * Each replica's agent reads the scale metric from it every period and reports it
 * (metric events: memory only). Each round, for each service that scales, the sum of the
 * latest value of every ready replica that reported within 3 periods goes through the
 * core's rule (core/autoscale.h: ceil(sum / target) within min .. max, changed only after
 * the up or down window), and a scale-down stops the least loaded replicas first.
 *
 * A change is the journal op "scale" {"job", "replicas", "order"} (apply.c), so a replay
 * ends with the same counts; the windows are memory only (a restarted gantryd starts them
 * again). When ready replicas run but none reports the metric, the count stays and the
 * service says why. POST /v1/jobs/{id}/scale sets the count by hand (journaled the same
 * way); for a service that scales on a metric it is where the autoscaler starts from. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"

/* A run's latest metric (service.c reads runs; this file owns these fields' meaning). */
static int fresh(const ctld_run *r, const gt_proto_scale *sc, int64_t t) {
    return r->metric_at > 0 && r->metric >= 0 && t - r->metric_at <= 3 * sc->period_ms + 1000;
}

void ctld_service_metric(gt_ctld *c, const gt_proto_event *ev, int64_t t) {
    ctld_run *r = ctld_run_find(c, ev->job, ev->unit);
    if (!r || r->gen != ev->gen || r->state != RUN_ACTIVE)
        return;
    r->metric = ev->value;
    r->metric_at = t;
    if (ev->value < 0) {
        ctld_job *jb = &c->jobs[ev->job];
        free(jb->scale_err);
        jb->scale_err = strdup(ev->reason ? ev->reason : "");
    }
}

typedef struct {
    double sum;
    uint32_t ready, reporting;
} load_t;

static load_t load_of(gt_ctld *c, uint32_t job, const gt_proto_scale *sc, int64_t t) {
    load_t l = {0};
    const ctld_job *jb = &c->jobs[job];
    for (uint32_t i = 0; i < jb->nruns; i++) {
        const ctld_run *r = &jb->runs[i];
        if (!ctld_run_is_endpoint(c, job, r))
            continue;
        l.ready++;
        if (fresh(r, sc, t)) {
            l.reporting++;
            l.sum += r->metric;
        }
    }
    return l;
}

/* Least loaded first; among equals the newest replica (highest index) first. */
static int by_load(const void *a, const void *b) {
    const ctld_run *x = *(ctld_run *const *)a, *y = *(ctld_run *const *)b;
    double mx = x->metric > 0 ? x->metric : 0, my = y->metric > 0 ? y->metric : 0;
    if (mx != my)
        return mx < my ? -1 : 1;
    return (x->unit < y->unit) - (x->unit > y->unit);
}

/* The job's active runs in the order to stop them, as replica indices. */
static json_t *stop_order(gt_ctld *c, uint32_t job) {
    const ctld_job *jb = &c->jobs[job];
    const ctld_run **v = calloc(jb->nruns ? jb->nruns : 1, sizeof *v);
    json_t *a = json_array();
    uint32_t n = 0;
    for (uint32_t i = 0; v && i < jb->nruns; i++)
        if (jb->runs[i].state == RUN_ACTIVE)
            v[n++] = &jb->runs[i];
    if (v)
        qsort(v, n, sizeof *v, by_load);
    for (uint32_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_integer(v[i]->unit));
    free(v);
    return a;
}

static void apply_scale(gt_ctld *c, uint32_t job, uint32_t to, uint32_t from, const load_t *l,
                        const gt_proto_scale *sc, int64_t t) {
    json_t *b = json_pack("{s:I, s:I, s:o}", "job", (json_int_t)job, "replicas", (json_int_t)to,
                          "order", to < from ? stop_order(c, job) : json_array());
    gt_error err;
    if (b && ctld_do(c, t, "scale", b, &err) == GT_E_OK)
        ctld_log(c, "job %u: %u -> %u replicas (%s %g over %u replica(s), target %g each)", job,
                 from, to, sc->metric, l->sum, l->reporting, sc->target);
    json_decref(b);
}

/* What job's own rule asks for now (its count when it does not scale on a metric). */
static uint32_t step_job(gt_ctld *c, uint32_t job, const gt_proto_scale *sc,
                         const gt_service_info *si, load_t *l, int64_t t) {
    ctld_job *jb = &c->jobs[job];
    if (!sc || !sc->metric)
        return si->desired;
    *l = load_of(c, job, sc, t);
    jb->scale_sum = l->sum;
    jb->scale_reporting = l->reporting;
    gt_autoscale_conf conf = {sc->target, sc->up_ms, sc->down_ms, si->min, si->max};
    return gt_autoscale_step(&conf, &jb->scale_state, l->sum, l->reporting, si->desired, t);
}

static void scale_job(gt_ctld *c, uint32_t job, const gt_proto_scale *sc, int64_t t) {
    gt_service_info si;
    load_t l = {0};
    if (!gt_sched_service(c->sched, job, t, &si))
        return;
    uint32_t to = step_job(c, job, sc, &si, &l, t);
    if (to != si.desired)
        apply_scale(c, job, to, si.desired, &l, sc, t);
}

/* Roles in a ratio scale as sets: each role's rule says what it needs, the role that needs
 * most sets decides, every role gets its share (core gt_autoscale_sets). */
static void scale_group(gt_ctld *c, uint32_t head, int64_t t) {
    uint32_t n = c->jobs[head].nroles, want[8], per[8], out[8];
    gt_service_info si[8];
    load_t l[8] = {{0}};
    const gt_proto_scale *sc[8];
    int any = 0;
    for (uint32_t i = 0; i < n && i < 8; i++) {
        const gt_proto_launch *la = ctld_job_launch(c, head + i);
        sc[i] = la && la->scale.metric ? &la->scale : NULL;
        any |= sc[i] != NULL;
        if (!gt_sched_service(c->sched, head + i, t, &si[i]))
            return;
        per[i] = c->jobs[head + i].per;
        want[i] = step_job(c, head + i, sc[i], &si[i], &l[i], t);
    }
    if (!any || n > 8)
        return;
    gt_autoscale_sets(want, per, n, si[0].min / per[0], si[0].max / per[0], out);
    for (uint32_t i = 0; i < n; i++)
        if (out[i] != si[i].desired) {
            static const gt_proto_scale none = {.metric = "(its ratio)"};
            apply_scale(c, head + i, out[i], si[i].desired, &l[i], sc[i] ? sc[i] : &none, t);
        }
}

void ctld_autoscale_tick(gt_ctld *c, int64_t t) {
    for (uint32_t i = 0; i < c->nsvc_jobs && !c->failed; i++) {
        uint32_t j = c->svc_jobs[i];
        gt_job_info ji;
        if (!gt_sched_job(c->sched, j, &ji) || ji.state >= GT_JOB_COMPLETED)
            continue;
        if (c->jobs[j].nroles && c->jobs[j].per) {
            if (c->jobs[j].role_index == 0) /* the head scales the whole group */
                scale_group(c, j, t);
            continue;
        }
        const gt_proto_launch *l = ctld_job_launch(c, j);
        if (l && l->scale.metric)
            scale_job(c, j, &l->scale, t);
    }
}

json_t *ctld_autoscale_json(gt_ctld *c, uint32_t job) {
    gt_job_info ji;
    if (!gt_sched_job(c->sched, job, &ji) || ji.state >= GT_JOB_COMPLETED)
        return json_null(); /* (its launch, dropped when it ended, stays dropped) */
    const gt_proto_launch *l = ctld_job_launch(c, job);
    const ctld_job *jb = &c->jobs[job];
    if (!l || !l->scale.metric)
        return json_null();
    json_t *o =
        json_pack("{s:s, s:f, s:f, s:I, s:I}", "metric", l->scale.metric, "target", l->scale.target,
                  "sum", jb->scale_sum, "reporting", (json_int_t)jb->scale_reporting, "wanted",
                  (json_int_t)jb->scale_state.want);
    uint32_t ready = ctld_endpoints_ready(c, job);
    const char *why = NULL;
    char buf[400];
    if (ready && !jb->scale_reporting) {
        snprintf(buf, sizeof buf, "no ready replica reports %s%s%.300s%s: the count stays",
                 l->scale.metric, jb->scale_err ? " (" : "", jb->scale_err ? jb->scale_err : "",
                 jb->scale_err ? ")" : "");
        why = buf;
    }
    json_object_set_new(o, "status", why ? json_string(why) : json_null());
    return o;
}
