/* SPDX-License-Identifier: MIT
 * The scheduling pass. Walk the queue in order; start every unit that fits. The first job
 * that does not fit may preempt (policy permitting); if it still waits it becomes the
 * reservation holder and, with backfill, later jobs start only if they do not delay it;
 * without backfill nothing passes it.
 *
 * A pass ends early when every shape still queued has failed to fit in this pass (the
 * fleet only loses room while a pass runs, so they would fail again), or after
 * backfill_depth jobs, like Slurm's bf_max_job_test. */
#include <assert.h>

#include "core/sched_int.h"

enum { TS_DONE, TS_NOFIT, TS_HELD };

/* A blocked job preempts only if its reservation says room will not come free sooner. */
#define PREEMPT_HORIZON_MS (30 * 60 * 1000)

/* O(1) necessary condition for a fit anywhere in the fleet. */
static int might_fit(const gt_topo *t, const gt_shape *sh) {
    if (sh->gpus_per_node == 0)
        return t->max_cpus[0] >= sh->cpus_per_node;
    return gt_topo_cap(t, 0, sh->gpus_per_node) >= (uint32_t)sh->nodes &&
           (sh->model < 0 || ((t->models[0] >> sh->model) & 1u));
}

/* At its limit: the tenant's other jobs are skipped for the rest of this pass (they would
 * otherwise use up the pass's budget of examined jobs while others could start). */
static int tenant_capped(gt_sched *s, const job_t *jb, int64_t gpus) {
    tenant_t *t = &s->tenants[jb->tenant];
    if (t->conf.limit_gpus <= 0 || t->gpus_held + gpus <= t->conf.limit_gpus)
        return 0;
    t->capped_pass = s->pass_no;
    return 1;
}

/* A service's first replicas_min replicas start together or not at all: place each one
 * with its GPUs taken provisionally, then give them back and start them for real. */
static int start_min_gang(gt_sched *s, uint32_t j, gt_time now, resv_t *r) {
    job_t *jb = &s->jobs[j];
    uint32_t k = (uint32_t)jb->shape.nodes, got = 0;
    uint32_t m = jb->min_units < jb->pending ? jb->min_units : jb->pending;
    if (core_rep_startable(s, jb, now, NULL) < m) { /* the gang waits for its slowest */
        s->svc[j].backoff_pass = s->pass_no;
        return TS_HELD;
    }
    uint32_t spans[GT_MAX_MIN_REPLICAS];
    if (m > GT_MAX_MIN_REPLICAS || tenant_capped(s, jb, core_unit_gpus_of(jb) * m))
        return TS_HELD;
    for (; got < m; got++) {
        gt_slot *out = s->slot_buf + (size_t)got * k;
        if (!gt_place(s->topo, &jb->shape, s->pol.placement, 0, &s->ps, out, &spans[got]))
            break;
        for (uint32_t i = 0; i < k; i++)
            gt_place_take(s->topo, &out[i], 0, 0);
    }
    for (uint32_t u = 0; u < got * k; u++) {
        const gt_slot *sl = &s->slot_buf[u];
        gt_place_give(s->topo, sl, 0, 0);
    }
    if (got < m) {
        if (got == 0)
            core_shape_mark_failed(s, jb->shape_id);
        return TS_NOFIT;
    }
    int64_t use = 0, u1;
    for (uint32_t i = 0; i < m && r; i++, use += u1)
        if (!core_resv_allows(s, r, j, now, &u1))
            return TS_HELD;
    for (uint32_t i = 0; i < m; i++)
        if (!core_unit_start(s, j, s->slot_buf + (size_t)i * k, spans[i], now))
            return TS_HELD;
    if (r)
        r->extra -= use;
    return core_try_start(s, j, now, r); /* surplus replicas, as room allows */
}

/* A service whose pending replicas all back off waits without blocking anyone; so does a
 * task array whose pending tasks all back off or wait for their aftercorr task. */
static int backing_off(gt_sched *s, uint32_t j, gt_time now) {
    const job_t *jb = &s->jobs[j];
    if (jb->tbase != CORE_NO_TASKS)
        return core_tasks_startable(jb) == 0;
    if (jb->kind != GT_KIND_SERVE || core_rep_startable(s, jb, now, NULL) > 0)
        return 0;
    if (jb->running < s->svc[j].desired) /* else: it runs what it should */
        s->svc[j].backoff_pass = s->pass_no;
    return 1;
}

/* A replica starting again tries the node it ran on first (its files, its port); a
 * paired one goes under its set's subtree and nowhere else (core_rep_place_paired). */
static int place_again(gt_sched *s, uint32_t j, gt_time now, uint32_t *span) {
    const job_t *jb = &s->jobs[j];
    if (jb->kind == GT_KIND_SERVE && s->svc[j].anchor != GT_NONE)
        return core_rep_place_paired(s, j, now, span);
    if (jb->spare_under != GT_NONE &&
        gt_place(s->topo, &jb->shape, s->pol.placement, jb->spare_under, &s->ps, s->slot_buf, span))
        return 1; /* the gang's old subtree: its spare node takes the lost one's place */
    uint32_t last = jb->kind == GT_KIND_SERVE && jb->shape.nodes == 1
                        ? core_rep_last_node(s, j, jb, now)
                        : GT_NONE;
    if (last != GT_NONE &&
        gt_place(s->topo, &jb->shape, s->pol.placement, last, &s->ps, s->slot_buf, span))
        return 1;
    return gt_place(s->topo, &jb->shape, s->pol.placement, 0, &s->ps, s->slot_buf, span);
}

/* The pass made its most decisions (sched.max_starts_per_pass): it stops, and says so. */
static int pass_full(gt_sched *s) {
    int cap = s->pass_limit >= 0 ? s->pass_limit : s->cfg->sched.max_starts_per_pass;
    if (cap > 0 && s->ndec >= (size_t)cap)
        s->pass_truncated = 1;
    return s->pass_truncated;
}

void gt_sched_set_pass_limit(gt_sched *s, int max) {
    s->pass_limit = max < 0 ? -1 : max;
}

int gt_sched_pass_truncated(const gt_sched *s) {
    return s->pass_truncated;
}

int core_try_start(gt_sched *s, uint32_t j, gt_time now, resv_t *r) {
    job_t *jb = &s->jobs[j];
    if (backing_off(s, j, now))
        return TS_HELD;
    if (core_shape_failed(s, jb->shape_id))
        return TS_NOFIT;
    int paired = jb->kind == GT_KIND_SERVE && s->svc[j].anchor != GT_NONE;
    if (jb->kind == GT_KIND_SERVE && jb->running == 0 && jb->min_units > 1 && !paired)
        return start_min_gang(s, j, now, r);
    while (jb->pending > 0 && !backing_off(s, j, now)) {
        uint32_t span;
        if (pass_full(s))
            return TS_HELD;
        int64_t use = 0;
        if (jb->max_running && jb->running >= jb->max_running)
            return TS_HELD; /* a throttled array: the rest waits without blocking anyone */
        if (tenant_capped(s, jb, core_unit_gpus_of(jb)))
            return TS_HELD;
        if (!might_fit(s->topo, &jb->shape)) {
            core_shape_mark_failed(s, jb->shape_id);
            return TS_NOFIT;
        }
        /* The reservation gate is cheap; the search is not: ask the gate first. */
        if (r && !core_resv_allows(s, r, j, now, &use))
            return TS_HELD;
        if (!place_again(s, j, now, &span)) {
            if (paired) { /* no set has room (or its anchor): a local miss, no head */
                s->svc[j].paired_pass = s->pass_no;
                return TS_HELD;
            }
            core_shape_mark_failed(s, jb->shape_id);
            return TS_NOFIT;
        }
        if (!core_unit_start(s, j, s->slot_buf, span, now))
            return TS_HELD;
        if (r)
            r->extra -= use;
        jb = &s->jobs[j];
    }
    return TS_DONE;
}

enum { HEAD_END, HEAD_HOLDS, HEAD_NONE };

/* The first blocked job: try preemption, else reserve. HEAD_END ends the pass; HEAD_HOLDS:
 * it is the head (holding the reservation, or none once it started by preempting: one
 * preemption a pass); HEAD_NONE: a service that could not preempt is no head at all (a
 * waiting service never holds back its tenant's other jobs, which may reclaim their quota
 * by preempting in turn), so the next blocked job may be. */
static int head_blocked(gt_sched *s, uint32_t j, gt_time now, resv_t *r) {
    const job_t *jb = &s->jobs[j];
    if (jb->kind == GT_KIND_SERVE && s->svc[j].anchor != GT_NONE)
        return HEAD_NONE; /* a paired role goes where its set is: room elsewhere is no use */
    core_resv_hold(r, j);
    if (s->pol.preempt &&
        (jb->running == 0 || jb->kind == GT_KIND_TASKS || jb->kind == GT_KIND_SERVE)) {
        /* Room that running work will free within the horizon is worth waiting for. */
        core_resv_ensure(s, r, now);
        int soon = r->active && r->shadow > now && r->shadow <= now + PREEMPT_HORIZON_MS;
        if (!soon && core_preempt_for(s, j, now) && core_try_start(s, j, now, NULL) == TS_DONE) {
            r->active = 0;
            return HEAD_HOLDS;
        }
        if (s->jobs[j].kind == GT_KIND_SERVE) {
            r->active = 0;
            return HEAD_NONE;
        }
    }
    return s->pol.backfill ? HEAD_HOLDS : HEAD_END;
}

const gt_decision *gt_sched_pass(gt_sched *s, gt_time now, size_t *n) {
    s->ndec = 0;
    s->pass_no++;
    s->failed_shapes = s->failed_gpu_shapes = 0;
    s->st.passes++;
    s->pass_truncated = 0;
    core_tasks_due(s, now);
    core_deps_update(s, now);
    if (s->pol.order == GT_ORDER_FAIRSHARE)
        core_fs_update(s, now);
    resv_t r = {0};
    int have_head = 0, passed_on = 0;
    q_cursor c;
    core_q_cursor_init(s, &c);
    uint32_t examined = 0, depth = (uint32_t)s->cfg->sched.backfill_depth;
    for (uint32_t j = core_q_cursor_next(s, &c); j != GT_NONE; j = core_q_cursor_next(s, &c)) {
        if (s->tenants[s->jobs[j].tenant].capped_pass == s->pass_no)
            continue;
        /* Every queued shape failed: nothing more fits, unless a blocked service passed on
         * being the head, so that a job behind it may still preempt. */
        if ((s->failed_shapes >= s->live_shapes && (have_head || !passed_on)) ||
            examined++ >= depth || pass_full(s))
            break;
        s->st.jobs_examined++;
        int res = core_try_start(s, j, now, have_head ? &r : NULL);
        if (res == TS_DONE || res == TS_HELD || have_head)
            continue;
        int h = head_blocked(s, j, now, &r);
        if (h == HEAD_END)
            break;
        have_head = h == HEAD_HOLDS;
        passed_on |= h == HEAD_NONE;
    }
    CORE_CHECK(s);
    s->st.last_pass_gpu_blocked =
        s->live_gpu_shapes > 0 && s->failed_gpu_shapes >= s->live_gpu_shapes;
    *n = s->ndec;
    return s->dec;
}
