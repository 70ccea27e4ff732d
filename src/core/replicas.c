/* SPDX-License-Identifier: MIT
 * A service's replicas stay up: a replica that ends, for any reason of its own (a crash,
 * an exit, a failed liveness probe), is started again, never counted done. What each
 * replica remembers lives here, in one pool (s->reps, reached from the job's svc entry):
 *
 *   restarts     how often it started again (any cause, preemption included)
 *   streak       failures in a row: the next start waits backoff * 2^(streak-1), at most
 *                CORE_BACKOFF_MAX_MS; a run that lasted a whole window resets it
 *   window       its failures within restart_window of each other: more than
 *                max_restarts of them make the service degraded until the replica has
 *                gone a whole window without failing
 *   not_before   the back-off: the pass does not start it before this time
 *   last_node    where it ran last: the pass tries that node first (its caches, its port)
 *
 * A requeued replica waits in its job's list of free indices (units.c); core_rep_pick
 * hands out the first whose back-off is over, or a never-started index. Times are the
 * caller's (the pass's `now`): pure, like the rest of the core. */
#include <stdlib.h>
#include <string.h>

#include "core/sched_int.h"
#include "util/vec.h"

#define DEFAULT_BACKOFF_MS 1000
#define DEFAULT_WINDOW_MS (10 * 60 * 1000)
#define DEFAULT_MAX_FAILS 5

static int reps_grow(gt_sched *s, uint32_t more) {
    return gt_vec_reserve32((void **)&s->reps, &s->reps_cap, (size_t)s->nreps + more,
                            sizeof *s->reps, 64);
}

int core_svc_reserve(gt_sched *s) {
    if (s->njobs < s->svc_cap)
        return 1;
    uint32_t cap = s->jobs_cap > s->njobs ? s->jobs_cap : s->njobs + 1;
    svc_t *v = realloc(s->svc, (size_t)cap * sizeof *v);
    if (!v)
        return 0;
    s->svc = v;
    s->svc_cap = cap;
    return 1;
}

int core_svc_init(gt_sched *s, uint32_t j, const gt_jobspec *sp) {
    svc_t *v = &s->svc[j];
    memset(v, 0, sizeof *v);
    v->rep_base = v->anchor = v->hint = GT_NONE;
    if (sp->kind != GT_KIND_SERVE)
        return 1;
    uint32_t n = (uint32_t)sp->replicas_max + (uint32_t)(sp->max_surge ? sp->max_surge : 1);
    if (!reps_grow(s, n))
        return 0;
    v->rep_base = s->nreps;
    memset(&s->reps[s->nreps], 0, (size_t)n * sizeof *s->reps);
    for (uint32_t i = 0; i < n; i++)
        s->reps[s->nreps + i].last_node = GT_NONE;
    s->nreps += n;
    v->backoff_ms = sp->restart_backoff_ms > 0 ? sp->restart_backoff_ms : DEFAULT_BACKOFF_MS;
    v->window_ms = sp->restart_window_ms > 0 ? sp->restart_window_ms : DEFAULT_WINDOW_MS;
    v->max_fails = sp->max_restarts > 0 ? (uint32_t)sp->max_restarts : DEFAULT_MAX_FAILS;
    v->desired = v->max = (uint32_t)sp->replicas_max;
    return 1;
}

rep_t *core_rep(const gt_sched *s, uint32_t j, uint32_t index) {
    const svc_t *v = &s->svc[j];
    if (v->rep_base == GT_NONE || index >= s->jobs[j].nunits)
        return NULL;
    return &s->reps[v->rep_base + index];
}

void core_rep_started(gt_sched *s, uint32_t j, uint32_t index, uint32_t node, gt_time now) {
    rep_t *r = core_rep(s, j, index);
    if (!r)
        return;
    r->started = now;
    r->last_node = node;
}

void core_rep_ended(gt_sched *s, uint32_t j, uint32_t index, int ok, gt_time now) {
    rep_t *r = core_rep(s, j, index);
    const svc_t *v = &s->svc[j];
    if (!r)
        return;
    r->restarts++;
    if (now - r->started >= v->window_ms)
        r->streak = 0; /* it ran well for a whole window: start over */
    if (r->window && now - r->last_fail >= v->window_ms)
        r->window = 0;
    r->streak++;
    r->window++;
    r->last_fail = now;
    (void)ok; /* a replica that exits 0 is restarted like one that failed */
    gt_time wait = v->backoff_ms;
    for (uint32_t i = 1; i < r->streak && wait < CORE_BACKOFF_MAX_MS; i++)
        wait *= 2;
    r->not_before = now + (wait < CORE_BACKOFF_MAX_MS ? wait : CORE_BACKOFF_MAX_MS);
}

void core_rep_requeued(gt_sched *s, uint32_t j, uint32_t index) {
    rep_t *r = core_rep(s, j, index);
    if (r)
        r->restarts++; /* stopped by the scheduler: no back-off, no failure */
}

/* Indices never used yet are handed out below this: replicas.max, and the spare slots
 * only while a rolling update lets the service run beyond its count. */
static uint32_t fresh_limit(const gt_sched *s, uint32_t j) {
    const svc_t *v = &s->svc[j];
    return v->surge ? s->jobs[j].nunits : v->max;
}

uint32_t core_rep_pick(gt_sched *s, job_t *jb, gt_time now) {
    uint32_t j = (uint32_t)(jb - s->jobs), hint = s->svc[j].hint;
    s->svc[j].hint = GT_NONE;
    if (hint != GT_NONE && hint == jb->next_index)
        return jb->next_index++;
    uint32_t *link = &jb->free_index;
    for (uint32_t e = jb->free_index; e != GT_NONE; link = &s->ridx[e].next, e = s->ridx[e].next) {
        const rep_t *r = core_rep(s, j, s->ridx[e].index);
        if ((r && r->not_before > now) || (hint != GT_NONE && s->ridx[e].index != hint))
            continue;
        *link = s->ridx[e].next;
        s->ridx[e].next = s->ridx_free;
        s->ridx_free = e;
        return s->ridx[e].index;
    }
    return jb->next_index < fresh_limit(s, j) ? jb->next_index++ : GT_NONE;
}

uint32_t core_rep_startable(const gt_sched *s, const job_t *jb, gt_time now, gt_time *next_ms) {
    uint32_t j = (uint32_t)(jb - s->jobs), lim = fresh_limit(s, j);
    uint32_t n = lim > jb->next_index ? lim - jb->next_index : 0;
    uint32_t cap = s->svc[j].desired + s->svc[j].surge;
    uint32_t room = cap > jb->running ? cap - jb->running : 0;
    gt_time next = GT_TIME_NEVER;
    for (uint32_t e = jb->free_index; e != GT_NONE; e = s->ridx[e].next) {
        const rep_t *r = core_rep(s, j, s->ridx[e].index);
        if (!r || r->not_before <= now)
            n++;
        else if (r->not_before < next)
            next = r->not_before;
    }
    if (next_ms)
        *next_ms = next;
    return n < room ? n : room;
}

uint32_t core_rep_peek(const gt_sched *s, uint32_t j, const job_t *jb, gt_time now) {
    for (uint32_t e = jb->free_index; e != GT_NONE; e = s->ridx[e].next) {
        const rep_t *r = core_rep(s, j, s->ridx[e].index);
        if (!r || r->not_before <= now)
            return s->ridx[e].index;
    }
    return jb->next_index < fresh_limit(s, j) ? jb->next_index : GT_NONE;
}

uint32_t core_rep_last_node(const gt_sched *s, uint32_t j, const job_t *jb, gt_time now) {
    const rep_t *r = core_rep(s, j, core_rep_peek(s, j, jb, now));
    return r ? r->last_node : GT_NONE;
}

static uint32_t running_unit(const gt_sched *s, const job_t *jb, uint32_t index);

/* The subtree replica i of paired job j must start in, GT_NONE while its anchor is not
 * running. */
static uint32_t set_root(const gt_sched *s, uint32_t j, uint32_t i) {
    const svc_t *v = &s->svc[j];
    uint32_t u = running_unit(s, &s->jobs[v->anchor], i / v->per * v->anchor_per);
    if (u == GT_NONE)
        return GT_NONE;
    uint32_t x = s->slots[s->units[u].slot_head].s.node;
    while (x && s->topo->level[x] > v->level)
        x = s->topo->parent[x];
    return x;
}

static int place_under(gt_sched *s, uint32_t j, uint32_t i, uint32_t *span) {
    uint32_t x = set_root(s, j, i);
    return x != GT_NONE &&
           gt_place(s->topo, &s->jobs[j].shape, s->pol.placement, x, &s->ps, s->slot_buf, span);
}

int core_rep_place_paired(gt_sched *s, uint32_t j, gt_time now, uint32_t *span) {
    job_t *jb = &s->jobs[j];
    svc_t *v = &s->svc[j];
    for (uint32_t e = jb->free_index; e != GT_NONE; e = s->ridx[e].next) {
        const rep_t *r = core_rep(s, j, s->ridx[e].index);
        if ((!r || r->not_before <= now) && place_under(s, j, s->ridx[e].index, span)) {
            v->hint = s->ridx[e].index;
            return 1;
        }
    }
    /* Never-started indices up to the count it may run now: one whose set has no room
     * waits in the free list, so that the next set's may start. */
    uint32_t cap = v->desired + v->surge, lim = fresh_limit(s, j);
    while (jb->next_index < lim && jb->next_index < cap) {
        if (place_under(s, j, jb->next_index, span)) {
            v->hint = jb->next_index;
            return 1;
        }
        core_index_give(s, jb, jb->next_index++);
    }
    return 0;
}

gt_err gt_sched_pair(gt_sched *s, uint32_t job, uint32_t anchor, const char *level, uint32_t per,
                     uint32_t anchor_per, gt_error *err) {
    if (job >= s->njobs || anchor >= job || s->svc[job].rep_base == GT_NONE ||
        s->svc[anchor].rep_base == GT_NONE)
        return gt_fail(err, GT_E_INVALID, "job",
                       "pairing needs two services, the anchor (%u) submitted before job %u",
                       anchor, job);
    if (s->svc[anchor].anchor != GT_NONE)
        return gt_fail(err, GT_E_INVALID, "job", "job %u is paired itself: it cannot anchor",
                       anchor);
    int lv = gt_topo_level_index(s->topo, level);
    if (lv < 0)
        return gt_fail(err, GT_E_INVALID, "within", "the fleet has no level '%s'", level);
    if (per == 0 || anchor_per == 0 || per > GT_SPEC_MAX_REPLICAS ||
        anchor_per > GT_SPEC_MAX_REPLICAS)
        return gt_fail(err, GT_E_RANGE, "ratio", "expected 1..%d replicas of each role in a set",
                       GT_SPEC_MAX_REPLICAS);
    svc_t *v = &s->svc[job];
    v->anchor = anchor;
    v->per = per;
    v->anchor_per = anchor_per;
    v->level = lv;
    return GT_E_OK;
}

int gt_sched_service(const gt_sched *s, uint32_t job, gt_time now, gt_service_info *o) {
    memset(o, 0, sizeof *o);
    if (job >= s->njobs || s->svc[job].rep_base == GT_NONE)
        return 0;
    const job_t *jb = &s->jobs[job];
    const svc_t *v = &s->svc[job];
    o->worst = GT_NONE;
    o->window_ms = v->window_ms;
    o->max_restarts = v->max_fails;
    for (uint32_t i = 0; i < jb->nunits; i++) {
        const rep_t *r = &s->reps[v->rep_base + i];
        o->restarts += r->restarts;
        int failing = r->window > v->max_fails && now - r->last_fail < v->window_ms;
        if (failing && (o->worst == GT_NONE || r->window > o->worst_failures)) {
            o->worst = i;
            o->worst_failures = r->window;
        }
    }
    o->degraded = o->worst != GT_NONE;
    o->desired = v->desired;
    o->min = jb->min_units;
    o->max = v->max;
    gt_time next;
    if (jb->state < GT_JOB_COMPLETED && jb->pending && jb->running < v->desired &&
        core_rep_startable(s, jb, now, &next) == 0 && next != GT_TIME_NEVER)
        o->backoff_until = next;
    return 1;
}

int gt_sched_replica(const gt_sched *s, uint32_t job, uint32_t index, gt_replica_info *o) {
    memset(o, 0, sizeof *o);
    const rep_t *r = job < s->njobs ? core_rep(s, job, index) : NULL;
    if (!r)
        return 0;
    o->restarts = r->restarts;
    o->failures = r->window;
    o->last_failure = r->last_fail;
    o->not_before = r->not_before;
    return 1;
}

/* ---- scaling ---- */

/* The running unit of replica `index` of job j, GT_NONE. */
static uint32_t running_unit(const gt_sched *s, const job_t *jb, uint32_t index) {
    for (uint32_t u = jb->run_head; u != GT_NONE; u = s->units[u].jnext)
        if (s->units[u].index == index)
            return u;
    return GT_NONE;
}

static uint32_t highest_running(const gt_sched *s, const job_t *jb) {
    uint32_t best = GT_NONE;
    for (uint32_t u = jb->run_head; u != GT_NONE; u = s->units[u].jnext)
        if (best == GT_NONE || s->units[u].index > s->units[best].index)
            best = u;
    return best;
}

/* Stop unit u of job j for a scale-down or a replacement: pending again, no back-off, no
 * restart counted. */
static void scale_down(gt_sched *s, uint32_t j, uint32_t u, uint8_t why) {
    job_t *jb = &s->jobs[j];
    core_dec_push(s, GT_DEC_STOP, why, j, u, 0);
    uint32_t index = s->units[u].index;
    core_unit_release(s, u, CORE_UNIT_REQUEUE);
    core_index_give(s, jb, index);
    s->st.stops++;
}

const gt_decision *gt_sched_scale(gt_sched *s, uint32_t job, uint32_t replicas,
                                  const uint32_t *order, size_t norder, gt_time now, size_t *n,
                                  gt_error *err) {
    s->ndec = 0;
    *n = 0;
    if (job >= s->njobs || s->svc[job].rep_base == GT_NONE) {
        gt_fail(err, GT_E_INVALID, "job", "job %u is not a service (kind serve)", job);
        return s->dec;
    }
    job_t *jb = &s->jobs[job];
    if (jb->state >= GT_JOB_COMPLETED) {
        gt_fail(err, GT_E_STATE, "job", "job %u has ended", job);
        return s->dec;
    }
    svc_t *v = &s->svc[job];
    uint32_t want = replicas < jb->min_units ? jb->min_units : replicas;
    v->desired = want < v->max ? want : v->max;
    uint32_t cap = v->desired + v->surge;
    for (size_t i = 0; i < norder && jb->running > cap; i++) {
        uint32_t u = running_unit(s, jb, order[i]);
        if (u != GT_NONE)
            scale_down(s, job, u, GT_WHY_SCALED);
    }
    while (jb->running > cap)
        scale_down(s, job, highest_running(s, jb), GT_WHY_SCALED);
    core_job_requeue_or_finish(s, job, now);
    CORE_CHECK(s);
    *n = s->ndec;
    return s->dec;
}

/* A job that is an active service, else an error (and NULL). */
static job_t *active_service(gt_sched *s, uint32_t job, gt_error *err) {
    if (job >= s->njobs || s->svc[job].rep_base == GT_NONE) {
        gt_fail(err, GT_E_INVALID, "job", "job %u is not a service (kind serve)", job);
        return NULL;
    }
    if (s->jobs[job].state >= GT_JOB_COMPLETED) {
        gt_fail(err, GT_E_STATE, "job", "job %u has ended", job);
        return NULL;
    }
    return &s->jobs[job];
}

const gt_decision *gt_sched_surge(gt_sched *s, uint32_t job, uint32_t extra, gt_time now, size_t *n,
                                  gt_error *err) {
    s->ndec = 0;
    *n = 0;
    job_t *jb = active_service(s, job, err);
    if (!jb)
        return s->dec;
    svc_t *v = &s->svc[job];
    uint32_t slots = jb->nunits - v->max;
    v->surge = extra < slots ? extra : slots;
    while (jb->running > v->desired + v->surge)
        scale_down(s, job, highest_running(s, jb), GT_WHY_SCALED);
    core_job_requeue_or_finish(s, job, now);
    CORE_CHECK(s);
    *n = s->ndec;
    return s->dec;
}

const gt_decision *gt_sched_replace(gt_sched *s, uint32_t job, uint32_t index, gt_time now,
                                    size_t *n, gt_error *err) {
    s->ndec = 0;
    *n = 0;
    job_t *jb = active_service(s, job, err);
    if (!jb)
        return s->dec;
    uint32_t u = running_unit(s, jb, index);
    if (u == GT_NONE) {
        gt_fail(err, GT_E_STATE, "unit", "replica %u of job %u is not running", index, job);
        return s->dec;
    }
    scale_down(s, job, u, GT_WHY_REPLACED);
    core_job_requeue_or_finish(s, job, now);
    CORE_CHECK(s);
    *n = s->ndec;
    return s->dec;
}
