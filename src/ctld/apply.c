/* SPDX-License-Identifier: MIT
 * Mutations of the controller's state, one function per journal op. The same code runs
 * for a live request and for journal replay, so replay rebuilds exactly the state the
 * live controller had: the core is deterministic, and every call into it that changes
 * state (submit, pass, unit done, cancel, hold, node state) is an op with its time.
 *
 * Ops and their bodies:
 *   submit  the spec document          cancel/hold/release  {"job": ID}
 *   cancel_tasks {"job": ID, "tasks": [[LO, HI], ...]}: those tasks of an array
 *   idem    {"job": ID, "key": KEY}: the Idempotency-Key the job was submitted with
 *   submit_many {"jobs": [DOC, ...], "steps": [NAME, ...]}: a workflow, all at once
 *   drain/resume/up/down {"node": NAME} pass {"max": N} (a pass of at most N decisions)
 *   exit    {"job","unit","gen","node","rank","code","sig","reason","failed"[,"ranks"]}: one
 *           rank ended, or "ranks" of them (all well) on one node
 *   exits   {"exits": [[job, unit, gen, rank, code, sig, failed, ranks, reason], ...]}: the
 *           exits of one agent report (what agents.c writes now; "exit" is replayed from
 *           older journals)
 *   ports   {"job","unit","gen","node","ports": {NAME: PORT}}: where a unit listens on a
 *           node (service.c)
 *
 * Side effects on agents (assignment items) happen only when not replaying. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/workflow.h"
#include "ctld/ctld_int.h"
#include "proto/json.h"
#include "util/bits.h"
#include "util/strbuf.h"
#include "util/vec.h"

static uint64_t run_key(uint32_t job, uint32_t unit) {
    return (uint64_t)job << 32 | unit;
}

ctld_run *ctld_run_find(gt_ctld *c, uint32_t job, uint32_t unit) {
    if (job >= c->njobs)
        return NULL;
    uint32_t i = gt_u64map_get(&c->runs, run_key(job, unit));
    return i == UINT32_MAX ? NULL : &c->jobs[job].runs[i];
}

/* The four per-slot arrays live in one block that starts at r->nodes. */
int ctld_run_slots_alloc(ctld_run *r, uint32_t n) {
    size_t k = n ? n : 1;
    char *b =
        malloc(k * (sizeof *r->nodes + sizeof *r->masks + sizeof *r->cpus + sizeof *r->nranks));
    if (!b)
        return 0;
    r->nodes = (uint32_t *)b;
    r->masks = (uint32_t *)(b + k * sizeof *r->nodes);
    r->cpus = (int32_t *)(b + k * (sizeof *r->nodes + sizeof *r->masks));
    r->nranks = (uint16_t *)(b + k * (sizeof *r->nodes + sizeof *r->masks + sizeof *r->cpus));
    return 1;
}

static void run_free(ctld_run *r) {
    free(r->ports);
    free(r->nodes);
    free(r->reason);
    free(r->port_note);
}

void ctld_jobs_free(gt_ctld *c) {
    ctld_noderuns_free(c);
    for (uint32_t j = 0; j < c->njobs; j++) {
        for (uint32_t i = 0; i < c->jobs[j].nruns; i++)
            run_free(&c->jobs[j].runs[i]);
        free(c->jobs[j].runs);
        free(c->jobs[j].doc);
        free(c->jobs[j].scale_err);
        free(c->jobs[j].prev_doc);
        free(c->jobs[j].failure);
        free(c->jobs[j].idem_key);
        ctld_job_launch_drop(c, j);
    }
    free(c->jobs);
    free(c->svc_jobs);
    gt_u64map_free(&c->runs);
    ctld_idem_free(c);
}

/* ---- runs ---- */

static void oom(const char *what) {
    gt_log(GT_LOG_ERR, "gantryd", "out of memory (%s); stopping so the journal stays exact", what);
    abort();
}

/* The run record of (job, unit): a unit that starts again reuses its record (the API
 * shows each unit's latest run), so a job has at most one record per unit. */
static ctld_run *run_new(gt_ctld *c, uint32_t job, uint32_t unit, uint32_t gen) {
    ctld_job *j = &c->jobs[job];
    ctld_run *old = ctld_run_find(c, job, unit);
    if (old) {
        if (old->state == RUN_ACTIVE)
            ctld_noderuns_remove(c, job, (uint32_t)(old - j->runs));
        uint32_t starts = old->starts;
        run_free(old);
        memset(old, 0, sizeof *old);
        old->unit = unit;
        old->gen = gen;
        old->fail_rank = -1;
        old->starts = starts + 1;
        return old;
    }
    if (!gt_vec_reserve32((void **)&j->runs, &j->cap, (size_t)j->nruns + 1, sizeof *j->runs, 1))
        oom("runs");
    ctld_run *r = &j->runs[j->nruns];
    memset(r, 0, sizeof *r);
    r->unit = unit;
    r->gen = gen;
    r->fail_rank = -1;
    r->starts = 1;
    if (!gt_u64map_put(&c->runs, run_key(job, unit), j->nruns))
        oom("run index");
    j->nruns++;
    return r;
}

static void run_start(gt_ctld *c, const gt_decision *d, int64_t t) {
    uint32_t n = 0, job = d->job;
    const gt_slot *sl = gt_sched_unit_slots(c->sched, job, d->unit, d->gen, &n);
    if (!sl)
        return;
    gt_job_info ji;
    int train = gt_sched_job(c->sched, job, &ji) && ji.kind == GT_KIND_TRAIN;
    ctld_run *r = run_new(c, job, d->index, d->gen);
    r->handle = d->unit;
    r->nslots = n;
    if (!ctld_run_slots_alloc(r, n))
        oom("run slots");
    for (uint32_t i = 0; i < n; i++) {
        r->nodes[i] = sl[i].node;
        r->masks[i] = sl[i].mask;
        r->cpus[i] = sl[i].cpus;
        r->nranks[i] = (uint16_t)(train && sl[i].mask ? gt_popcount32(sl[i].mask) : 1);
        r->ranks += r->nranks[i];
    }
    r->start_ms = t;
    r->version = c->jobs[job].version;
    const gt_proto_launch *l = ctld_job_launch(c, job);
    if (l && l->nports) {
        r->nports = (uint8_t)l->nports;
        if (!(r->ports = calloc((size_t)n * l->nports, sizeof *r->ports)))
            oom("run ports");
    }
    ctld_noderuns_add(c, job, (uint32_t)(r - c->jobs[job].runs));
    if (c->on_start)
        c->on_start(c->on_start_ctx, job, r);
    if (c->replaying)
        return;
    for (uint32_t i = 0; i < n; i++) {
        char *item = ctld_start_item(c, job, r, i);
        if (!item)
            oom("start item");
        ctld_agent_push(c, r->nodes[i], item);
    }
}

static const char *why_name(int why) {
    static const char *const names[] = {"",      "preempted", "node_down", "cancelled",
                                        "ended", "gang",      "scaled",    "replaced"};
    return why >= 0 && why < (int)(sizeof names / sizeof names[0]) ? names[why] : "";
}

/* Tell every node of the run to stop its ranks (they may be gone already). */
static void run_push_stop(gt_ctld *c, uint32_t job, const ctld_run *r, const char *why) {
    if (c->replaying)
        return;
    const gt_topo *topo = gt_sched_topo(c->sched);
    /* A preempted unit gets the scheduler's grace unless its job set its own. */
    int64_t grace = strcmp(why, "preempted") ? -1 : c->cfg->sched.preempt_grace_ms;
    for (uint32_t i = 0; i < r->nslots; i++) {
        gt_proto_stop m = {job,         r->unit, r->gen, (char *)gt_topo_name(topo, r->nodes[i]),
                           (char *)why, grace};
        char *s = gt_proto_stop_encode(&m);
        if (!s)
            oom("stop item");
        ctld_agent_push(c, r->nodes[i], s);
    }
}

/* A job that can no longer start needs its launch no more (memory is bounded by active
 * jobs, not by history). */
static void launch_drop_if_over(gt_ctld *c, uint32_t job) {
    gt_job_info ji;
    if (c->jobs[job].launch && gt_sched_job(c->sched, job, &ji) && ji.state >= GT_JOB_COMPLETED)
        ctld_job_launch_drop(c, job);
}

/* After an op changed job j: its launch goes once it can no longer start, and its state
 * change is an event. */
static void job_news(gt_ctld *c, uint32_t j, int64_t t) {
    launch_drop_if_over(c, j);
    ctld_event_job(c, j, t);
}

static void run_end(gt_ctld *c, uint32_t job, ctld_run *r, int state, int64_t t, const char *why) {
    if (r->state != RUN_ACTIVE)
        return;
    ctld_noderuns_remove(c, job, (uint32_t)(r - c->jobs[job].runs));
    r->state = (uint8_t)state;
    r->end_ms = t;
    free(r->port_note);
    r->port_note = NULL;
    ctld_service_run_ended(c, job, r);
    if (state == RUN_STOPPED || r->exited < r->ranks)
        run_push_stop(c, job, r, why);
    launch_drop_if_over(c, job);
}

void ctld_decisions(gt_ctld *c, const gt_decision *d, size_t n, int64_t t) {
    for (size_t i = 0; i < n; i++) {
        if (d[i].type == GT_DEC_START) {
            run_start(c, &d[i], t);
            ctld_run *r = ctld_run_find(c, d[i].job, d[i].index);
            if (r)
                ctld_event_unit_started(c, t, d[i].job, r->unit, r->gen, r->nodes, r->nslots);
            ctld_event_job(c, d[i].job, t);
            continue;
        }
        ctld_run *r = ctld_run_find(c, d[i].job, d[i].index);
        if (r && r->gen == d[i].gen) {
            run_end(c, d[i].job, r, RUN_STOPPED, t, why_name(d[i].reason));
            ctld_unit_end how = {why_name(d[i].reason), 0, 0, NULL};
            ctld_event_unit_ended(c, t, d[i].job, d[i].index, d[i].gen, "stopped", &how);
        }
        ctld_event_job(c, d[i].job, t);
    }
    if (n)
        c->dirty = 1;
}

/* ---- ops ---- */

/* Replay: a submission accepted once and journaled that this fleet cannot hold any more
 * (its config changed). The job keeps its id, which the journal's later entries name, and
 * fails at once saying why; takes doc. */
static gt_err submit_failed(gt_ctld *c, int64_t t, char *doc, const gt_jobspec *sp,
                            const gt_error *cause) {
    char why[512];
    snprintf(why, sizeof why,
             "accepted at submission, but this fleet cannot hold it any more (the config "
             "changed): %s: %s",
             cause->where, cause->msg);
    char *failure = strdup(why);
    uint32_t id = failure ? gt_sched_submit_failed(c->sched, sp, t) : GT_NONE;
    if (id == GT_NONE || id != c->njobs)
        oom("a job that cannot run any more");
    gt_log(GT_LOG_WARNING, "gantryd", "job %u%s%s failed: %s", id, sp->name[0] ? " " : "", sp->name,
           why);
    c->jobs[c->njobs++] = (ctld_job){
        .doc = doc, .ep_version = 1, .version = 1, .next_version = 1, .failure = failure};
    c->dirty = 1;
    return GT_E_OK;
}

/* A new job of spec, keeping doc (taken on success; freed by the caller on error). */
static gt_err submit(gt_ctld *c, int64_t t, char *doc, const gt_jobspec *spec, gt_error *err) {
    if (!gt_vec_reserve32((void **)&c->jobs, &c->jobs_cap, (size_t)c->njobs + 1, sizeof *c->jobs,
                          1024))
        return gt_fail(err, GT_E_NOMEM, "body", "out of memory");
    gt_jobspec sp = *spec;
    sp.submit_ms = t;
    gt_error mine = {0};
    uint32_t id = gt_sched_submit(c->sched, &sp, t, &mine);
    if (id == GT_NONE && c->replaying && mine.code != GT_E_NOMEM)
        return submit_failed(c, t, doc, &sp, &mine);
    if (id == GT_NONE) {
        if (err)
            *err = mine;
        return mine.code ? mine.code : GT_E_INVALID;
    }
    if (id != c->njobs)
        oom("job ids out of step with the core");
    c->jobs[c->njobs++] = (ctld_job){.doc = doc, .ep_version = 1, .version = 1, .next_version = 1};
    ctld_event_job(c, id, t);
    if (spec->kind == GT_KIND_SERVE) {
        ctld_role_init(c, id);
        ctld_service_track(c, id);
        const gt_proto_launch *l = ctld_job_launch(c, id);
        size_t n;
        if (l && l->scale.metric) /* a service that follows its load starts at its minimum */
            gt_sched_scale(c->sched, id, (uint32_t)spec->replicas_min, NULL, 0, t, &n, NULL);
    }
    c->dirty = 1;
    return GT_E_OK;
}

/* Replay: the journal's document, parsed here. */
static gt_err op_submit(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    gt_jobspec spec;
    gt_error mine = {0};
    gt_err e = gt_jobspec_from_json(body, "body", &spec, &mine);
    char *doc = gt_json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!doc)
        return gt_fail(err, GT_E_NOMEM, "body", "out of memory");
    if (e && c->replaying && e != GT_E_NOMEM) { /* a spec this build reads no more */
        gt_jobspec_init(&spec);
        return submit_failed(c, t, doc, &spec, &mine);
    }
    if (e) {
        free(doc);
        if (err)
            *err = mine;
        return e;
    }
    if ((e = submit(c, t, doc, &spec, err)))
        free(doc);
    return e;
}

/* Replay: a service of roles that this fleet cannot hold any more: every role keeps its
 * id and fails, saying why (submit_failed). */
static gt_err group_failed(gt_ctld *c, int64_t t, json_t *roles, size_t n, const gt_error *why) {
    for (size_t i = 0; i < n; i++) {
        gt_jobspec sp;
        gt_error ignore;
        if (gt_jobspec_from_json(json_array_get(roles, i), "role", &sp, &ignore))
            gt_jobspec_init(&sp);
        char *doc = gt_json_dumps(json_array_get(roles, i), JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!doc)
            oom("a service's roles");
        submit_failed(c, t, doc, &sp, why);
    }
    return GT_E_OK;
}

/* A service of several roles ({"roles": [DOC, ...]}, each DOC one role's job as
 * gt_jobspec_roles wrote it): every role admitted before any is submitted, then all
 * submitted (ids head .. head + n - 1) and paired. */
static gt_err submit_group(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    json_t *roles = json_object_get(body, "roles");
    size_t n = json_array_size(roles);
    gt_jobspec sp[8];
    if (n == 0 || n > sizeof sp / sizeof sp[0])
        return gt_fail(err, GT_E_INVALID, "roles", "expected a list of 1 to 8 role documents");
    char at[64];
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_object_get(json_array_get(roles, i), "role");
        const char *name = json_string_value(json_object_get(m, "name"));
        snprintf(at, sizeof at, "roles[%zu] (%.24s)", i, name ? name : "?");
        gt_err e = gt_jobspec_from_json(json_array_get(roles, i), at, &sp[i], err);
        const char *w = json_string_value(json_object_get(m, "within"));
        if (!e && (json_integer_value(json_object_get(m, "index")) != (json_int_t)i ||
                   json_integer_value(json_object_get(m, "of")) != (json_int_t)n))
            e = gt_fail(err, GT_E_INVALID, at, "role: expected index %zu of %zu", i, n);
        if (!e && w && *w && gt_topo_level_index(gt_sched_topo(c->sched), w) < 0)
            e = gt_fail(err, GT_E_INVALID, "within", "the fleet has no level '%s'", w);
        if (!e && (e = gt_sched_admit(c->sched, &sp[i], err)) && err)
            snprintf(err->where, sizeof err->where, "%s", at); /* the role at fault */
        if (e && c->replaying && e != GT_E_NOMEM && err)
            return group_failed(c, t, roles, n, err);
        if (e)
            return e;
    }
    uint32_t head = c->njobs;
    for (size_t i = 0; i < n; i++) {
        char *doc = gt_json_dumps(json_array_get(roles, i), JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!doc || submit(c, t, doc, &sp[i], err)) /* admitted: only memory can fail */
            oom("a service's roles");
    }
    for (size_t i = 1; i < n; i++)
        if (ctld_role_pair(c, head + (uint32_t)i, err))
            oom("a service's roles"); /* checked by the spec: never */
    return GT_E_OK;
}

/* A workflow ({"jobs": [DOC, ...], "steps": [NAME, ...]}: core/workflow.h's plan, the
 * first job the next id, each depending only on jobs before it): every job admitted
 * before any is submitted (its dependencies on the workflow's earlier jobs aside, which
 * are not jobs yet), then all submitted in order, so that all or none are. Replay submits
 * each as a submission of its own: one this fleet cannot hold any more fails alone,
 * keeping its id. */
static gt_err submit_many(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    json_t *jobs = json_object_get(body, "jobs"), *names = json_object_get(body, "steps");
    size_t n = json_array_size(jobs);
    if (n == 0 || n > GT_WORKFLOW_MAX_STEPS)
        return gt_fail(err, GT_E_INVALID, "jobs", "expected a list of 1 to %d job documents",
                       GT_WORKFLOW_MAX_STEPS);
    for (size_t i = 0; c->replaying && i < n; i++) {
        gt_err e = op_submit(c, t, json_array_get(jobs, i), err);
        if (e)
            return e; /* only memory */
    }
    if (c->replaying)
        return GT_E_OK;
    gt_jobspec *sp = malloc(n * sizeof *sp);
    if (!sp)
        return gt_fail(err, GT_E_NOMEM, "jobs", "out of memory");
    for (size_t i = 0; i < n; i++) {
        char at[80];
        const char *step = json_string_value(json_array_get(names, i));
        snprintf(at, sizeof at, "steps.%.63s", step ? step : "?");
        gt_err e = gt_jobspec_from_json(json_array_get(jobs, i), at, &sp[i], err);
        gt_jobspec alone = sp[i];
        alone.ndeps = 0;
        for (int d = 0; d < sp[i].ndeps; d++)
            if (sp[i].dep_job[d] < c->njobs) {
                alone.dep_job[alone.ndeps] = sp[i].dep_job[d];
                alone.dep_type[alone.ndeps++] = sp[i].dep_type[d];
            } else if (sp[i].dep_job[d] >= c->njobs + i && !e) {
                e = gt_fail(err, GT_E_INVALID, at, "depends_on: job %u is not an earlier step",
                            sp[i].dep_job[d]);
            } else if (sp[i].dep_type[d] == GT_DEP_AFTERCORR && !e) { /* an earlier step */
                const gt_jobspec *a = &sp[sp[i].dep_job[d] - c->njobs];
                uint32_t na = a->kind == GT_KIND_TASKS ? (uint32_t)a->tasks : 1;
                if ((e = gt_sched_corr_fits(a->kind, na, sp[i].dep_job[d], &sp[i], err)) && err)
                    snprintf(err->where, sizeof err->where, "%s", at);
            }
        if (!e && (e = gt_sched_admit(c->sched, &alone, err)) && err)
            snprintf(err->where, sizeof err->where, "%s", at); /* the step at fault */
        if (e) {
            free(sp);
            return e;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char *doc = gt_json_dumps(json_array_get(jobs, i), JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!doc || submit(c, t, doc, &sp[i], err)) /* admitted: only memory can fail */
            oom("a workflow's jobs");
    }
    free(sp);
    return GT_E_OK;
}

static gt_err job_of(gt_ctld *c, json_t *body, uint32_t *id, gt_error *err) {
    json_t *v = json_object_get(body, "job");
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) >= (json_int_t)c->njobs)
        return gt_fail(err, GT_E_NOT_FOUND, "job", "no such job");
    *id = (uint32_t)json_integer_value(v);
    return GT_E_OK;
}

static gt_err op_cancel(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    uint32_t id = 0;
    gt_err e = job_of(c, body, &id, err);
    gt_job_info ji;
    if (e || !gt_sched_job(c->sched, id, &ji))
        return e ? e : gt_fail(err, GT_E_NOT_FOUND, "job", "no such job");
    if (ji.state >= GT_JOB_COMPLETED)
        return gt_fail(err, GT_E_STATE, "job", "job %u already ended", id);
    /* A role of a service goes with all the others (one of them alone serves nobody). */
    uint32_t head = ctld_role_head(c, id), nr = ctld_role_count(c, id);
    for (uint32_t j = head; j < head + nr; j++) {
        if (!gt_sched_job(c->sched, j, &ji) || ji.state >= GT_JOB_COMPLETED)
            continue;
        size_t n;
        const gt_decision *d = gt_sched_job_end(c->sched, j, GT_JOB_CANCELLED, t, &n);
        ctld_decisions(c, d, n, t);
        job_news(c, j, t);
    }
    c->dirty = 1;
    return GT_E_OK;
}

/* Some tasks of an array: every range is checked before any is cancelled. */
static gt_err op_cancel_tasks(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    uint32_t id = 0;
    gt_err e = job_of(c, body, &id, err);
    gt_job_info ji;
    if (e || !gt_sched_job(c->sched, id, &ji))
        return e ? e : gt_fail(err, GT_E_NOT_FOUND, "job", "no such job");
    if (ji.kind != GT_KIND_TASKS)
        return gt_fail(err, GT_E_INVALID, "tasks", "job %u is not a task array (kind tasks)", id);
    if (ji.state >= GT_JOB_COMPLETED)
        return gt_fail(err, GT_E_STATE, "job", "job %u already ended", id);
    json_t *tasks = json_object_get(body, "tasks"), *r;
    size_t i;
    if (!json_is_array(tasks) || json_array_size(tasks) == 0)
        return gt_fail(err, GT_E_INVALID, "tasks", "expected a list of [first, last] ranges");
    json_array_foreach(tasks, i, r) {
        json_int_t lo = json_integer_value(json_array_get(r, 0)),
                   hi = json_integer_value(json_array_get(r, 1));
        if (json_array_size(r) != 2 || !json_is_integer(json_array_get(r, 0)) ||
            !json_is_integer(json_array_get(r, 1)) || lo < 0 || lo > hi ||
            hi >= (json_int_t)ji.units)
            return gt_fail(err, GT_E_RANGE, "tasks", "tasks %lld-%lld: job %u has tasks 0-%u",
                           (long long)lo, (long long)hi, id, ji.units - 1);
    }
    json_array_foreach(tasks, i, r) {
        uint32_t done;
        size_t n;
        const gt_decision *d = gt_sched_cancel_tasks(
            c->sched, id, (uint32_t)json_integer_value(json_array_get(r, 0)),
            (uint32_t)json_integer_value(json_array_get(r, 1)), t, &done, &n, err);
        if (!d)
            break; /* an earlier range ended it (the ranges were checked) */
        ctld_decisions(c, d, n, t);
    }
    job_news(c, id, t);
    c->dirty = 1;
    return GT_E_OK;
}

/* {"job": ID, "key": KEY}: the Idempotency-Key job ID was submitted with (idem.c). */
static gt_err op_idem(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    (void)t;
    uint32_t id = 0;
    gt_err e = job_of(c, body, &id, err);
    const char *key = json_string_value(json_object_get(body, "key"));
    if (e || !key)
        return e ? e : gt_fail(err, GT_E_INVALID, "key", "expected a string");
    /* applied right after its submission (same round, replayed in order): the document
     * is still the one submitted */
    return ctld_idem_put(c, id, key, ctld_idem_doc_hash(c->jobs[id].doc))
               ? GT_E_OK
               : gt_fail(err, GT_E_NOMEM, "key", "out of memory");
}

static gt_err hold_or_release(gt_ctld *c, int64_t t, json_t *body, gt_error *err, int hold) {
    (void)t;
    uint32_t id = 0;
    gt_err e = job_of(c, body, &id, err);
    if (!e)
        e = hold ? gt_sched_hold(c->sched, id, err) : gt_sched_release(c->sched, id, err);
    if (!e)
        c->dirty = 1;
    return e;
}

static gt_err node_of(gt_ctld *c, json_t *body, uint32_t *v, gt_error *err) {
    const gt_topo *topo = gt_sched_topo(c->sched);
    const char *name = json_string_value(json_object_get(body, "node"));
    uint32_t x = name ? gt_topo_find(topo, name) : GT_NONE;
    if (x == GT_NONE || topo->level[x] != topo->nlevels - 1)
        return gt_fail(err, GT_E_NOT_FOUND, "node", "no node named '%.64s'", name ? name : "");
    *v = x;
    return GT_E_OK;
}

/* {"node", "off": MASK}: GPUs of a node not to be used (core gt_sched_node_gpus_off). */
static gt_err op_gpus(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    uint32_t v = 0;
    gt_err e = node_of(c, body, &v, err);
    json_t *off = json_object_get(body, "off");
    if (!e && (!json_is_integer(off) || json_integer_value(off) < 0 ||
               json_integer_value(off) > UINT32_MAX))
        e = gt_fail(err, GT_E_INVALID, "off", "expected a mask of GPU indices");
    if (!e)
        e = gt_sched_node_gpus_off(c->sched, v, (uint32_t)json_integer_value(off), err);
    if (!e) {
        c->dirty = 1;
        ctld_event(c, t, "node_gpus", GT_NONE,
                   json_pack("{s:s, s:I}", "node", gt_topo_name(gt_sched_topo(c->sched), v), "off",
                             json_integer_value(off)));
    }
    return e;
}

static gt_err op_node(gt_ctld *c, int64_t t, json_t *body, gt_node_state st, gt_error *err) {
    uint32_t v = 0;
    gt_err e = node_of(c, body, &v, err);
    if (e)
        return e;
    size_t n;
    const gt_decision *d = gt_sched_node_state(c->sched, v, st, t, &n);
    ctld_decisions(c, d, n, t);
    c->dirty = 1;
    static const char *const names[] = {"up", "draining", "down"};
    const char *why = json_string_value(json_object_get(body, "reason"));
    json_t *ev = json_pack("{s:s, s:s}", "node", gt_topo_name(gt_sched_topo(c->sched), v), "state",
                           names[st <= GT_NODE_DOWN ? st : GT_NODE_DOWN]);
    if (ev && why)
        json_object_set_new(ev, "reason", json_string(why));
    ctld_event(c, t, "node", GT_NONE, ev);
    return GT_E_OK;
}

/* A drained node stays draining when its agent comes back; resume makes it up. */
static gt_err op_up(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    json_t *d = json_object_get(body, "draining");
    return op_node(c, t, body, json_is_true(d) ? GT_NODE_DRAINING : GT_NODE_UP, err);
}

static int32_t int_of(json_t *body, const char *key) {
    json_t *v = json_object_get(body, key);
    return json_is_integer(v) ? (int32_t)json_integer_value(v) : 0;
}

/* One exit (the "exit" op, one of an "exits" op's list). */
static void apply_exit(gt_ctld *c, int64_t t, const ctld_exit *x) {
    uint32_t id = x->job;
    ctld_run *r = ctld_run_find(c, id, x->unit);
    if (!r || r->gen != x->gen || r->state != RUN_ACTIVE)
        return; /* stale: the unit was stopped or restarted meanwhile */
    /* One event may stand for several ranks of the unit on one node ("ranks": n). */
    uint32_t n = x->ranks < 1 ? 1 : (uint32_t)x->ranks;
    r->exited = r->exited + n < r->ranks ? r->exited + n : r->ranks;
    if (x->failed && !r->failed) {
        r->failed = 1;
        r->exit_code = x->code;
        r->signal = x->sig;
        r->fail_rank = x->rank;
        free(r->reason);
        r->reason = x->reason && *x->reason ? strdup(x->reason) : NULL;
    }
    if (!r->failed && r->exited < r->ranks)
        return;
    run_end(c, id, r, RUN_DONE, t, r->failed ? "gang" : "");
    gt_sched_unit_done(c->sched, id, r->handle, r->gen, t, !r->failed);
    launch_drop_if_over(c, id);
    if (!c->replaying) {
        ctld_unit_end how = {NULL, r->exit_code, r->signal, r->reason};
        ctld_event_unit_ended(c, t, id, r->unit, r->gen, r->failed ? "failed" : "done", &how);
        ctld_event_job(c, id, t);
    }
    c->dirty = 1;
}

static gt_err op_exit(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    uint32_t id = 0;
    gt_err e = job_of(c, body, &id, err);
    if (e)
        return e;
    int32_t code = int_of(body, "code"), sig = int_of(body, "sig");
    /* "failed" (agents.c) also counts an exit 0 with a reason; older entries lack it. */
    json_t *fv = json_object_get(body, "failed");
    ctld_exit x = {.job = id,
                   .unit = (uint32_t)int_of(body, "unit"),
                   .gen = (uint32_t)int_of(body, "gen"),
                   .rank = int_of(body, "rank"),
                   .code = code,
                   .sig = sig,
                   .ranks = int_of(body, "ranks"),
                   .failed = json_is_boolean(fv) ? json_is_true(fv) : code || sig,
                   .reason = json_string_value(json_object_get(body, "reason"))};
    apply_exit(c, t, &x);
    return GT_E_OK;
}

/* {"exits": [[JOB, UNIT, GEN, RANK, CODE, SIG, FAILED, RANKS, REASON], ...]}: the exits of
 * one agent report, in its order, as one journal entry (at tens of thousands of task exits
 * a second an entry each cost more than the exits). An exit of a job that is not there
 * (only a damaged report: ids come from the controller) is skipped. */
static gt_err op_exits(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    json_t *list = json_object_get(body, "exits"), *x;
    size_t i;
    if (!json_is_array(list))
        return gt_fail(err, GT_E_INVALID, "exits", "expected a list of exits");
    json_array_foreach(list, i, x) {
        json_int_t v[8];
        int ok = json_is_array(x) && json_array_size(x) == 9;
        for (size_t k = 0; ok && k < 8; k++) {
            json_t *f = json_array_get(x, k);
            ok = json_is_integer(f);
            v[k] = ok ? json_integer_value(f) : 0;
        }
        if (!ok || v[0] < 0 || v[0] >= (json_int_t)c->njobs)
            continue;
        ctld_exit e = {.job = (uint32_t)v[0],
                       .unit = (uint32_t)v[1],
                       .gen = (uint32_t)v[2],
                       .rank = (int32_t)v[3],
                       .code = (int32_t)v[4],
                       .sig = (int32_t)v[5],
                       .failed = v[6] != 0,
                       .ranks = (int32_t)v[7],
                       .reason = json_string_value(json_array_get(x, 8))};
        apply_exit(c, t, &e);
    }
    return GT_E_OK;
}

void ctld_pass(gt_ctld *c, int64_t t) {
    size_t n;
    const gt_decision *d = gt_sched_pass(c->sched, t, &n);
    ctld_decisions(c, d, n, t);
    const uint32_t *settled = gt_sched_dep_settled(c->sched, &n);
    for (size_t i = 0; i < n; i++) {
        ctld_event_job(c, settled[i], t); /* (cancelled: a dependency never met) */
        launch_drop_if_over(c, settled[i]);
    }
}

/* {"job", "replicas", "order": [replica, ...]}: how many replicas a service should run,
 * and which to stop first when fewer (autoscale.c, POST /v1/jobs/{id}/scale). */
static gt_err op_scale(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    uint32_t id = 0;
    gt_err e = job_of(c, body, &id, err);
    json_t *rep = json_object_get(body, "replicas"), *ord = json_object_get(body, "order");
    if (e)
        return e;
    if (!json_is_integer(rep) || json_integer_value(rep) < 0 ||
        json_integer_value(rep) > GT_SPEC_MAX_REPLICAS)
        return gt_fail(err, GT_E_INVALID, "replicas", "expected a count from 0 to %d",
                       GT_SPEC_MAX_REPLICAS);
    size_t no = json_array_size(ord), n = 0;
    uint32_t *order = no ? calloc(no, sizeof *order) : NULL;
    if (no && !order)
        return gt_fail(err, GT_E_NOMEM, "order", "out of memory");
    for (size_t i = 0; i < no; i++)
        order[i] = (uint32_t)json_integer_value(json_array_get(ord, i));
    gt_error mine = {0};
    const gt_decision *d =
        gt_sched_scale(c->sched, id, (uint32_t)json_integer_value(rep), order, no, t, &n, &mine);
    free(order);
    if (mine.code) {
        if (err)
            *err = mine;
        return mine.code;
    }
    ctld_decisions(c, d, n, t);
    c->dirty = 1;
    gt_service_info si;
    if (gt_sched_service(c->sched, id, t, &si))
        ctld_event(c, t, "scaled", id, json_pack("{s:I}", "replicas", (json_int_t)si.desired));
    return GT_E_OK;
}

/* Ops with one more argument, as ops of the table's one shape. */
/* {"max": N}: a scheduling pass of at most N decisions (0: no limit; entries of earlier
 * versions have no "max": they had no limit). */
static gt_err op_pass(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    (void)err;
    json_t *max = json_object_get(body, "max");
    gt_sched_set_pass_limit(c->sched, json_is_integer(max) ? (int)json_integer_value(max) : 0);
    ctld_pass(c, t);
    return GT_E_OK;
}
static gt_err op_hold(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    return hold_or_release(c, t, body, err, 1);
}
static gt_err op_release(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    return hold_or_release(c, t, body, err, 0);
}
/* Why a node was drained (NULL: no reason; a resume clears it). */
static void set_reason(gt_ctld *c, json_t *body, const char *reason) {
    uint32_t v = 0;
    if (node_of(c, body, &v, NULL))
        return;
    free(c->node_reason[v]);
    c->node_reason[v] = reason ? strdup(reason) : NULL;
}
static gt_err op_drain(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    gt_err e = op_node(c, t, body, GT_NODE_DRAINING, err);
    if (!e)
        set_reason(c, body, json_string_value(json_object_get(body, "reason")));
    return e;
}
static gt_err op_resume(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    gt_err e = op_node(c, t, body, GT_NODE_UP, err);
    if (!e)
        set_reason(c, body, NULL);
    return e;
}
static gt_err op_down(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    return op_node(c, t, body, GT_NODE_DOWN, err);
}

/* Every journal op, by the name the journal stores (a stable contract: journals written
 * by earlier versions name these). */
static const struct {
    const char *name;
    gt_err (*fn)(gt_ctld *c, int64_t t, json_t *body, gt_error *err);
} ops[] = {
    {"submit", op_submit},
    {"submit_group", submit_group},
    {"submit_many", submit_many},
    {"exit", op_exit},
    {"exits", op_exits},
    {"pass", op_pass},
    {"cancel", op_cancel},
    {"cancel_tasks", op_cancel_tasks},
    {"idem", op_idem},
    {"hold", op_hold},
    {"release", op_release},
    {"drain", op_drain},
    {"resume", op_resume},
    {"up", op_up},
    {"down", op_down},
    {"ports", ctld_op_ports},
    {"scale", op_scale},
    {"gpus", op_gpus},
    {"join", ctld_op_join},
    {"leaving", ctld_op_leaving},
    {"leave", ctld_op_leave},
    {"ready", ctld_op_ready},
    {"update", ctld_op_update},
    {"replace", ctld_op_replace},
    {"rollout", ctld_op_rollout},
};

/* The news of task arrays that follow another by aftercorr, changed by the last op. */
static void followers_news(gt_ctld *c, int64_t t) {
    size_t n;
    const uint32_t *f = gt_sched_followers_changed(c->sched, &n);
    for (size_t k = 0; k < n; k++)
        job_news(c, f[k], t);
}

gt_err ctld_apply(gt_ctld *c, int64_t t, const char *op, json_t *body, gt_error *err) {
    if (t < c->last_t)
        t = c->last_t;
    c->last_t = t;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(op, ops[i].name)) {
            gt_err e = ops[i].fn(c, t, body, err);
            followers_news(c, t);
            return e;
        }
    return gt_fail(err, GT_E_INVALID, "journal", "unknown op '%.32s'", op);
}

/* Journal an op whose mutation is applied (memory is ahead of the journal until this
 * returns; a failed write stops the state thread). */
static gt_err journal(gt_ctld *c, int64_t t, const char *op, const char *text, gt_error *err) {
    int64_t seq = 0;
    gt_error mine = {0};
    if (!err)
        err = &mine;
    if (!text || gt_journal_append(c->journal, t, op, text, &seq, err)) {
        c->failed = 1; /* the state thread stops: memory is ahead of the journal */
        gt_log(GT_LOG_ERR, "gantryd", "journal: cannot write a %s entry: %s: %s", op,
               text ? err->where : "memory", text ? err->msg : "out of memory");
        return text ? err->code : GT_E_NOMEM;
    }
    atomic_store(&c->journal_seq, seq);
    return GT_E_OK;
}

gt_err ctld_submit(gt_ctld *c, int64_t t, char **doc, const gt_jobspec *spec, gt_error *err) {
    if (t < c->last_t)
        t = c->last_t;
    c->last_t = t;
    gt_err e = submit(c, t, *doc, spec, err);
    if (e)
        return e;
    *doc = NULL; /* the job keeps it */
    return journal(c, t, "submit", c->jobs[c->njobs - 1].doc, err);
}

gt_err ctld_submit_group(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    return ctld_do(c, t, "submit_group", body, err);
}

gt_err ctld_exits(gt_ctld *c, int64_t t, const ctld_exit *x, size_t n, gt_error *err) {
    if (t < c->last_t)
        t = c->last_t;
    c->last_t = t;
    gt_sb b;
    gt_sb_init(&b);
    gt_sb_reserve(&b, 16 + n * 40);
    gt_sb_puts(&b, "{\"exits\":[");
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i].job < c->njobs)
            apply_exit(c, t, &x[i]);
        const int64_t v[8] = {x[i].job,  x[i].unit, x[i].gen,      x[i].rank,
                              x[i].code, x[i].sig,  !!x[i].failed, x[i].ranks};
        gt_sb_puts(&b, i ? ",[" : "[");
        for (int k = 0; k < 8; k++) {
            gt_json_put_int(&b, v[k]);
            gt_sb_putc(&b, ',');
        }
        bad |= gt_json_put_str(&b, x[i].reason ? x[i].reason : "", 1);
        gt_sb_putc(&b, ']');
    }
    gt_sb_puts(&b, "]}");
    followers_news(c, t);
    char *text = bad ? NULL : gt_sb_take(&b);
    if (bad)
        gt_sb_free(&b);
    gt_err e = journal(c, t, "exits", text, err);
    free(text);
    return e;
}

gt_err ctld_do(gt_ctld *c, int64_t t, const char *op, json_t *body, gt_error *err) {
    if (t < c->last_t)
        t = c->last_t;
    gt_err e = ctld_apply(c, t, op, body, err);
    if (e)
        return e;
    char *text = gt_json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
    e = journal(c, t, op, text, err);
    free(text);
    return e;
}
