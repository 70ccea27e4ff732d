/* SPDX-License-Identifier: MIT
 * Rolling updates of a service (PATCH /v1/jobs/{id}; state thread only).
 *
 * An update is the journal op "update" {"job", "doc"}: the job's spec becomes doc, its
 * version the next number (each run remembers the version it started with), and the core
 * may run max_surge replicas beyond the count (gt_sched_surge), so the pass starts new-version
 * replicas first. Each round, ctld_rollout_tick moves each rolling service on:
 *
 *   1. an old replica whose drain time is over is replaced (op "replace": the core stops it
 *      and the pass starts it again with the new launch);
 *   2. while ready replicas minus one still cover the count minus max_unavailable, one more
 *      old replica (a not-ready one first) leaves the endpoints and drains (ROLL_DRAIN_MS,
 *      memory only) so that routers stop sending it requests before it gets its SIGTERM;
 *   3. no old replica left, and every running replica of the new version ready, as many as
 *      the count at least: the replicas beyond the count (the surge's, highest index first,
 *      as gt_sched_surge stops them) leave the endpoints and drain; then the rollout is
 *      done (op "rollout" {"state": "done"}: the surge goes back to 0 and stops them);
 *   4. its deadline (update_deadline_s, default 600 s) passed with old replicas left: it is
 *      rolled back (op "rollout" {"state": "rolled_back"}): the previous spec and version
 *      come back, and the replicas of the failed version are the old ones now, replaced
 *      the same way (they were never ready, or the rollout would have moved on), while the
 *      replicas that kept serving are untouched.
 *
 * Ready states and drains are memory only: after a restart the tick starts over from what
 * the journal says (the versions, the surge) and what the agents report. */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "proto/json.h"

#define ROLL_DRAIN_MS 1000
#define DEFAULT_DEADLINE_MS (600 * 1000)

static json_t *doc_json(const char *doc) {
    return json_loads(doc, 0, NULL);
}

static int64_t doc_int(const char *doc, const char *key, int64_t def) {
    json_t *o = doc_json(doc), *v = json_object_get(o, key);
    int64_t x = json_is_number(v) ? (int64_t)json_number_value(v) : def;
    json_decref(o);
    return x;
}

static int64_t deadline_ms(const char *doc) {
    json_t *o = doc_json(doc), *v = json_object_get(o, "update_deadline_s");
    int64_t ms = json_is_number(v) ? (int64_t)(json_number_value(v) * 1000) : DEFAULT_DEADLINE_MS;
    json_decref(o);
    return ms;
}

/* The rollout's state, and its event. */
static void set_note(gt_ctld *c, uint32_t j, const char *state, int64_t t) {
    ctld_job *jb = &c->jobs[j];
    snprintf(jb->roll_state, sizeof jb->roll_state, "%s", state);
    ctld_event(c, t, "rollout", j,
               json_pack("{s:s, s:I}", "state", state, "version", (json_int_t)jb->version));
}

/* The job's replicas take the resources of spec document `to` when they differ from those
 * of `from` (gt_sched_reshape: replicas started from now on). */
static gt_err reshape(gt_ctld *c, uint32_t j, const char *from, const char *to, gt_error *err) {
    gt_jobspec a, b;
    gt_error ignore;
    json_t *x = doc_json(from), *y = doc_json(to);
    gt_err e = x && y && !gt_jobspec_from_json(x, "doc", &a, &ignore)
                   ? gt_jobspec_from_json(y, "doc", &b, err)
                   : gt_fail(err, GT_E_INVALID, "doc", "expected the job's spec");
    json_decref(x);
    json_decref(y);
    if (e || (a.gpus == b.gpus && a.gpus_per_node == b.gpus_per_node && a.cpus == b.cpus &&
              a.memory_mb == b.memory_mb && !strcmp(a.gpu_model, b.gpu_model)))
        return e;
    return gt_sched_reshape(c->sched, j, &b, err);
}

/* ---- journal ops ---- */

gt_err ctld_op_update(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    json_t *jv = json_object_get(body, "job"), *doc = json_object_get(body, "doc");
    if (!json_is_integer(jv) || json_integer_value(jv) < 0 ||
        json_integer_value(jv) >= (json_int_t)c->njobs)
        return gt_fail(err, GT_E_NOT_FOUND, "job", "no such job");
    uint32_t j = (uint32_t)json_integer_value(jv);
    char *text = json_is_object(doc) ? gt_json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (!text)
        return gt_fail(err, GT_E_INVALID, "doc", "expected the job's new spec");
    ctld_job *jb = &c->jobs[j];
    gt_err e = reshape(c, j, jb->doc, text, err);
    if (e) {
        free(text);
        return e;
    }
    free(jb->prev_doc);
    jb->prev_doc = jb->doc;
    jb->doc = text;
    jb->prev_version = jb->version;
    jb->version = ++jb->next_version;
    jb->rolling = 1;
    jb->roll_started = t;
    jb->roll_deadline = t + deadline_ms(text);
    set_note(c, j, "rolling", t);
    ctld_job_launch_drop(c, j);
    size_t n;
    int64_t surge = doc_int(text, "max_surge", 1);
    const gt_decision *d =
        gt_sched_surge(c->sched, j, (uint32_t)(surge > 0 ? surge : 1), t, &n, err);
    ctld_decisions(c, d, n, t);
    c->dirty = 1;
    return GT_E_OK;
}

gt_err ctld_op_replace(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    json_t *jv = json_object_get(body, "job");
    if (!json_is_integer(jv) || json_integer_value(jv) < 0 ||
        json_integer_value(jv) >= (json_int_t)c->njobs)
        return gt_fail(err, GT_E_NOT_FOUND, "job", "no such job");
    uint32_t j = (uint32_t)json_integer_value(jv);
    uint32_t unit = (uint32_t)json_integer_value(json_object_get(body, "unit"));
    ctld_run *r = ctld_run_find(c, j, unit);
    if (!r || r->gen != (uint32_t)json_integer_value(json_object_get(body, "gen")) ||
        r->state != RUN_ACTIVE)
        return GT_E_OK; /* stale: it ended meanwhile */
    size_t n;
    gt_error mine = {0};
    const gt_decision *d = gt_sched_replace(c->sched, j, unit, t, &n, &mine);
    ctld_decisions(c, d, n, t);
    c->dirty = 1;
    (void)err;
    return GT_E_OK;
}

gt_err ctld_op_rollout(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    json_t *jv = json_object_get(body, "job");
    const char *st = json_string_value(json_object_get(body, "state"));
    if (!json_is_integer(jv) || json_integer_value(jv) < 0 ||
        json_integer_value(jv) >= (json_int_t)c->njobs || !st)
        return gt_fail(err, GT_E_NOT_FOUND, "job", "no such job");
    uint32_t j = (uint32_t)json_integer_value(jv);
    ctld_job *jb = &c->jobs[j];
    size_t n;
    gt_error mine = {0};
    if (!strcmp(st, "rolled_back") && jb->prev_doc) {
        if (reshape(c, j, jb->doc, jb->prev_doc, &mine)) /* it held before: never */
            ctld_log(c, "job %u: cannot go back to the previous resources: %s: %s", j, mine.where,
                     mine.msg);
        char *failed = jb->doc;
        jb->doc = jb->prev_doc;
        jb->prev_doc = failed;
        uint32_t v = jb->version;
        jb->version = jb->prev_version;
        jb->prev_version = v;
        ctld_job_launch_drop(c, j);
        set_note(c, j, "rolling back", t);
        jb->roll_deadline = INT64_MAX; /* going back cannot be rolled back */
        return GT_E_OK;
    }
    jb->rolling = 0;
    set_note(c, j, !strcmp(jb->roll_state, "rolling back") ? "rolled back" : "done", t);
    const gt_decision *d = gt_sched_surge(c->sched, j, 0, t, &n, &mine);
    ctld_decisions(c, d, n, t);
    c->dirty = 1;
    return GT_E_OK;
}

/* ---- each round ---- */

static void journal_op(gt_ctld *c, int64_t t, const char *op, json_t *b) {
    gt_error err;
    if (b)
        ctld_do(c, t, op, b, &err);
    json_decref(b);
}

typedef struct {
    uint32_t ready, old, draining, fresh_ready;
    uint32_t active, leaving, still_leaving; /* leaving: step 3's; still: drain not over */
} roll_count;

static roll_count count_runs(gt_ctld *c, uint32_t j, int64_t t) {
    roll_count k = {0};
    ctld_job *jb = &c->jobs[j];
    for (uint32_t i = 0; i < jb->nruns; i++) {
        ctld_run *r = &jb->runs[i];
        if (r->state != RUN_ACTIVE)
            continue;
        k.active++;
        if (r->leaving) {
            k.leaving++;
            k.still_leaving += t < r->drain_until;
            continue;
        }
        if (r->drain_until) {
            k.draining++;
            continue;
        }
        int ep = ctld_run_is_endpoint(c, j, r);
        k.ready += ep;
        k.old += r->version != jb->version;
        k.fresh_ready += ep && r->version == jb->version;
    }
    return k;
}

/* The old replica to drain next: one that is not ready first, else the lowest index. */
static ctld_run *next_old(gt_ctld *c, uint32_t j) {
    ctld_job *jb = &c->jobs[j];
    ctld_run *best = NULL;
    for (uint32_t i = 0; i < jb->nruns; i++) {
        ctld_run *r = &jb->runs[i];
        if (r->state != RUN_ACTIVE || r->drain_until || r->version == jb->version)
            continue;
        int ready = ctld_run_is_endpoint(c, j, r);
        if (!best || (!ready && ctld_run_is_endpoint(c, j, best)) ||
            (ready == ctld_run_is_endpoint(c, j, best) && r->unit < best->unit))
            best = r;
    }
    return best;
}

static void replace_drained(gt_ctld *c, uint32_t j, int64_t t) {
    ctld_job *jb = &c->jobs[j];
    for (uint32_t i = 0; i < jb->nruns && !c->failed; i++) {
        ctld_run *r = &jb->runs[i];
        if (r->state == RUN_ACTIVE && r->drain_until && !r->leaving && t >= r->drain_until)
            journal_op(c, t, "replace",
                       json_pack("{s:I, s:I, s:I}", "job", (json_int_t)j, "unit",
                                 (json_int_t)r->unit, "gen", (json_int_t)r->gen));
    }
}

/* Step 3: the n highest replicas leave the endpoints and drain before the surge stops them. */
static void leave(gt_ctld *c, uint32_t j, uint32_t n, int64_t t) {
    ctld_job *jb = &c->jobs[j];
    for (; n > 0; n--) {
        ctld_run *top = NULL;
        for (uint32_t i = 0; i < jb->nruns; i++) {
            ctld_run *r = &jb->runs[i];
            if (r->state == RUN_ACTIVE && !r->leaving && (!top || r->unit > top->unit))
                top = r;
        }
        if (!top)
            return;
        top->leaving = 1;
        top->drain_until = t + ROLL_DRAIN_MS;
        jb->ep_version++; /* it leaves the endpoints now */
    }
}

/* Step 3: 1 when the rollout has ended or waits for its last drains. */
static int finish(gt_ctld *c, uint32_t j, const roll_count *k, uint32_t desired, int64_t t) {
    if (k->old || k->draining || k->fresh_ready < desired ||
        k->fresh_ready + k->leaving != k->active)
        return 0; /* old replicas left, or new ones not all ready */
    if (k->still_leaving)
        return 1;
    if (k->active - k->leaving > desired) {
        leave(c, j, k->active - k->leaving - desired, t);
        return 1;
    }
    journal_op(c, t, "rollout", json_pack("{s:I, s:s}", "job", (json_int_t)j, "state", "done"));
    return 1;
}

static void roll_job(gt_ctld *c, uint32_t j, int64_t t) {
    ctld_job *jb = &c->jobs[j];
    gt_service_info si;
    if (!gt_sched_service(c->sched, j, t, &si))
        return;
    replace_drained(c, j, t);
    roll_count k = count_runs(c, j, t);
    if (finish(c, j, &k, si.desired, t))
        return;
    if (t >= jb->roll_deadline) {
        ctld_log_at(c, GT_LOG_WARNING,
                    "job %u: version %u did not become ready within its deadline: rolling back to "
                    "version %u",
                    j, jb->version, jb->prev_version);
        journal_op(c, t, "rollout",
                   json_pack("{s:I, s:s}", "job", (json_int_t)j, "state", "rolled_back"));
        return;
    }
    int64_t unavailable = doc_int(jb->doc, "max_unavailable", 0);
    int64_t floor = (int64_t)si.desired - unavailable;
    int64_t ready = k.ready;
    ctld_run *r;
    while ((r = next_old(c, j)) && (!ctld_run_is_endpoint(c, j, r) || ready - 1 >= floor)) {
        ready -= ctld_run_is_endpoint(c, j, r);
        r->drain_until = t + ROLL_DRAIN_MS;
        c->jobs[j].ep_version++; /* it leaves the endpoints now */
    }
}

void ctld_rollout_tick(gt_ctld *c, int64_t t) {
    for (uint32_t i = 0; i < c->nsvc_jobs && !c->failed; i++) {
        uint32_t j = c->svc_jobs[i];
        gt_job_info ji;
        if (c->jobs[j].rolling && gt_sched_job(c->sched, j, &ji) && ji.state < GT_JOB_COMPLETED)
            roll_job(c, j, t);
    }
}

json_t *ctld_rollout_json(gt_ctld *c, uint32_t j) {
    ctld_job *jb = &c->jobs[j];
    if (!jb->roll_state[0])
        return json_null();
    uint32_t updated = 0;
    for (uint32_t i = 0; i < jb->nruns; i++)
        updated += jb->runs[i].state == RUN_ACTIVE && jb->runs[i].version == jb->version &&
                   !jb->runs[i].drain_until;
    gt_service_info si;
    gt_sched_service(c->sched, j, CTLD_NOW(), &si);
    return json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "state", jb->roll_state, "version",
        (json_int_t)jb->version, "from", (json_int_t)jb->prev_version, "updated",
        (json_int_t)updated, "replicas", (json_int_t)si.desired, "started",
        ctld_time_json(jb->roll_started), "deadline",
        ctld_time_json(jb->rolling && jb->roll_deadline != INT64_MAX ? jb->roll_deadline : 0));
}

/* ---- PATCH /v1/jobs/{id} ---- */

/* The job's spec with the request's fields set (null removes one); NULL on OOM. */
static json_t *merged_spec(const ctld_job *jb, json_t *changes) {
    json_t *doc = doc_json(jb->doc);
    const char *key;
    json_t *v;
    json_object_foreach(changes, key, v) {
        if (json_is_null(v))
            json_object_del(doc, key);
        else
            json_object_set(doc, key, v);
    }
    return doc;
}

static int refuse(ctld_req *r, gt_err code, const char *where, const char *fmt, uint32_t x) {
    gt_error e;
    gt_fail(&e, code, where, fmt, x);
    ctld_answer_err(r, &e);
    return 0;
}

/* 1 when job r->id may be updated now; else the answer says why. */
static int updatable(gt_ctld *c, ctld_req *r) {
    gt_job_info ji;
    if (!ctld_job_visible(c, r->who, r->id) || !gt_sched_job(c->sched, r->id, &ji))
        return refuse(r, GT_E_NOT_FOUND, "id", "no job %u", r->id);
    if (ji.kind != GT_KIND_SERVE)
        return refuse(r, GT_E_INVALID, "id",
                      "job %u is not a service: only a service (kind "
                      "serve) can be updated",
                      r->id);
    if (ji.state >= GT_JOB_COMPLETED)
        return refuse(r, GT_E_STATE, "id", "job %u has ended", r->id);
    if (c->jobs[r->id].rolling)
        return refuse(r, GT_E_STATE, "id",
                      "an update of this job is rolling out (version %u): wait for it to end",
                      c->jobs[r->id].version);
    return 1;
}

void ctld_exec_update(gt_ctld *c, ctld_req *r, int64_t t) {
    if (!updatable(c, r))
        return;
    json_t *doc = merged_spec(&c->jobs[r->id], r->body);
    char *text = doc ? gt_json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    gt_jobspec spec;
    gt_proto_launch l = {0};
    gt_error e = {0};
    if (!text)
        gt_fail(&e, GT_E_NOMEM, "body", "out of memory");
    else if (!gt_jobspec_from_json(doc, "body", &spec, &e) &&
             !gt_proto_launch_decode(text, strlen(text), &l, &e) &&
             !strcmp(text, c->jobs[r->id].doc))
        gt_fail(&e, GT_E_STATE, "body", "nothing changes: the job already runs this spec");
    gt_proto_launch_free(&l);
    free(text);
    json_t *b = e.code ? NULL : json_pack("{s:I, s:O}", "job", (json_int_t)r->id, "doc", doc);
    json_decref(doc);
    if (!e.code && (!b || ctld_do(c, t, "update", b, &e) == GT_E_OK)) {
        ctld_log(c, "job %u: rolling out version %u", r->id, c->jobs[r->id].version);
        ctld_answer_json(r, 200, ctld_job_json(c, r->id));
    } else {
        ctld_answer_err(r, &e);
    }
    json_decref(b);
}
