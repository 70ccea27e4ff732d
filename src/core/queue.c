/* SPDX-License-Identifier: MIT
 * Queues and the order of a pass. A job with pending units sits in one list, kept sorted
 * by (submit, id): list 0 under FIFO, list tenant*GT_NPRIO+prio under FAIRSHARE. A pass
 * walks priority classes from high to low; inside a class it merges the tenants' lists,
 * taking the job whose tenant has the highest fair-share factor, then the earliest
 * submission, then the lowest id. */
#include <math.h>
#include <stdlib.h>

#include "core/sched_int.h"

static uint32_t list_of(const gt_sched *s, const job_t *jb) {
    return s->pol.order == GT_ORDER_FIFO ? 0 : jb->tenant * GT_NPRIO + jb->prio;
}

static int before(const gt_sched *s, uint32_t a, uint32_t b) {
    const job_t *x = &s->jobs[a], *y = &s->jobs[b];
    return x->submit < y->submit || (x->submit == y->submit && a < b);
}

void core_q_insert(gt_sched *s, uint32_t j) {
    job_t *jb = &s->jobs[j];
    if (jb->in_queue || jb->held || jb->dep_wait)
        return;
    uint32_t l = list_of(s, jb), at = s->qtail[l];
    /* New work arrives in order (zero steps from the tail); requeued work is old, so it
     * walks from whichever end is nearer in submission time. */
    uint32_t h = s->qhead[l];
    if (h != GT_NONE && at != GT_NONE &&
        jb->submit - s->jobs[h].submit < s->jobs[at].submit - jb->submit) {
        at = GT_NONE;
        for (uint32_t x = h; x != GT_NONE && before(s, x, j); x = s->jobs[x].qnext)
            at = x;
    } else {
        while (at != GT_NONE && before(s, j, at))
            at = s->jobs[at].qprev;
    }
    jb->qlist = l;
    jb->qprev = at;
    jb->qnext = at == GT_NONE ? s->qhead[l] : s->jobs[at].qnext;
    if (jb->qnext != GT_NONE)
        s->jobs[jb->qnext].qprev = j;
    else
        s->qtail[l] = j;
    if (at != GT_NONE)
        s->jobs[at].qnext = j;
    else
        s->qhead[l] = j;
    jb->in_queue = 1;
    s->st.pending_jobs++;
    core_shape_ref(s, jb->shape_id, +1);
}

void core_q_remove(gt_sched *s, uint32_t j) {
    job_t *jb = &s->jobs[j];
    if (!jb->in_queue)
        return;
    uint32_t l = jb->qlist;
    if (jb->qprev != GT_NONE)
        s->jobs[jb->qprev].qnext = jb->qnext;
    else
        s->qhead[l] = jb->qnext;
    if (jb->qnext != GT_NONE)
        s->jobs[jb->qnext].qprev = jb->qprev;
    else
        s->qtail[l] = jb->qprev;
    jb->qprev = jb->qnext = GT_NONE;
    jb->in_queue = 0;
    s->st.pending_jobs--;
    core_shape_ref(s, jb->shape_id, -1);
}

/* Bring every tenant's decayed usage to `now` and recompute the fair-share factors. */
void core_fs_update(gt_sched *s, gt_time now) {
    double h = (double)s->cfg->sched.fairshare_halflife_ms;
    double lambda = h > 0 ? 0.69314718055994531 / h : 0;
    double usum = 0, ssum = 0;
    for (uint32_t i = 0; i < s->ntenants; i++) {
        tenant_t *t = &s->tenants[i];
        double dt = (double)(now - t->usage_at);
        if (dt > 0) {
            double d = lambda > 0 ? exp(-lambda * dt) : 1.0;
            double acc = lambda > 0 ? (1.0 - d) / lambda : dt;
            t->usage = t->usage * d + (double)t->gpus_held * acc;
            t->usage_at = now;
        }
        usum += t->usage;
        ssum += t->conf.share;
    }
    for (uint32_t i = 0; i < s->ntenants; i++) {
        tenant_t *t = &s->tenants[i];
        double u = usum > 0 ? t->usage / usum : 0, sh = ssum > 0 ? t->conf.share / ssum : 1;
        t->fs = exp2(-u / sh);
    }
}

/* The factors are fixed for the pass: sort the tenants once (high factor first, then
 * index), so the merge only compares tenants whose factors are exactly equal. */
static void sort_tenants(const gt_sched *s, uint32_t *order) {
    for (uint32_t i = 0; i < s->ntenants; i++) {
        uint32_t t = i, k = i;
        for (; k > 0 && s->tenants[order[k - 1]].fs < s->tenants[t].fs; k--)
            order[k] = order[k - 1];
        order[k] = t;
    }
}

static void group_end(const gt_sched *s, q_cursor *c) {
    double f = s->tenants[c->order[c->g0]].fs;
    for (c->g1 = c->g0 + 1; c->g1 < s->ntenants && s->tenants[c->order[c->g1]].fs == f; c->g1++)
        ;
}

static void load_prio(gt_sched *s, q_cursor *c) {
    for (uint32_t t = 0; t < s->ntenants; t++)
        c->cur[t] = s->qhead[t * GT_NPRIO + c->prio];
    c->g0 = 0;
    if (s->ntenants)
        group_end(s, c);
}

void core_q_cursor_init(gt_sched *s, q_cursor *c) {
    c->prio = GT_NPRIO - 1;
    c->fifo = s->qhead[0];
    c->cur = NULL;
    if (s->pol.order == GT_ORDER_FAIRSHARE) {
        c->cur = s->tmp2.v;     /* sized like the tenants by sched.c */
        c->order = s->qorder.v; /* likewise */
        sort_tenants(s, c->order);
        load_prio(s, c);
    }
}

/* Within the current group, the tenant whose next job was submitted first. */
static uint32_t best_in_group(const gt_sched *s, const q_cursor *c) {
    uint32_t best = GT_NONE;
    for (uint32_t i = c->g0; i < c->g1; i++) {
        uint32_t t = c->order[i], j = c->cur[t];
        if (j == GT_NONE || s->tenants[t].capped_pass == s->pass_no)
            continue; /* nothing left, or at its limit for this pass */
        if (best == GT_NONE || before(s, j, c->cur[best]))
            best = t;
    }
    return best;
}

uint32_t core_q_cursor_next(gt_sched *s, q_cursor *c) {
    if (s->pol.order == GT_ORDER_FIFO) {
        uint32_t j = c->fifo;
        if (j != GT_NONE)
            c->fifo = s->jobs[j].qnext;
        return j;
    }
    for (;;) {
        uint32_t t = c->g0 < s->ntenants ? best_in_group(s, c) : GT_NONE;
        if (t != GT_NONE) {
            uint32_t j = c->cur[t];
            c->cur[t] = s->jobs[j].qnext;
            return j;
        }
        if (c->g1 < s->ntenants) {
            c->g0 = c->g1; /* next group of tenants */
            group_end(s, c);
            continue;
        }
        if (c->prio == 0)
            return GT_NONE;
        c->prio--;
        load_prio(s, c);
    }
}
