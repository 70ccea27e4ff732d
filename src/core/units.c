/* SPDX-License-Identifier: MIT
 * Running units: starting one (take its slots from the fleet), stopping one (give them
 * back), the pools they live in, and the heap of running units by estimated end that
 * reservations read. */
#include <stdlib.h>
#include <string.h>

#include "core/sched_int.h"
#include "util/vec.h"

int core_dec_reserve(gt_sched *s, size_t n) {
    return gt_vec_reserve((void **)&s->dec, &s->dec_cap, s->ndec + n, sizeof *s->dec);
}

int core_dec_push(gt_sched *s, uint8_t type, uint8_t why, uint32_t job, uint32_t unit,
                  uint8_t span_level) {
    if (!core_dec_reserve(s, 1))
        return 0;
    gt_decision *d = &s->dec[s->ndec++];
    d->type = type;
    d->reason = why;
    d->span_level = span_level;
    d->job = job;
    d->unit = unit;
    d->gen = s->units[unit].gen;
    d->index = s->units[unit].index;
    return 1;
}

/* ---- unit indices: a started unit takes a requeued index first, else a new one ---- */

static uint32_t index_take(gt_sched *s, job_t *jb, gt_time now) {
    if (jb->kind == GT_KIND_SERVE) {
        uint32_t i = core_rep_pick(s, jb, now);
        if (i != GT_NONE)
            return i; /* else (the pass checked; never) the first requeued one */
    }
    uint32_t e = jb->free_index;
    if (e == GT_NONE)
        return core_tasks_next_index(s, jb);
    jb->free_index = s->ridx[e].next;
    s->ridx[e].next = s->ridx_free;
    s->ridx_free = e;
    return s->ridx[e].index;
}

/* A job that ended gives its list of requeued indices back to the pool. */
void core_index_drop_all(gt_sched *s, job_t *jb) {
    while (jb->free_index != GT_NONE) {
        uint32_t e = jb->free_index;
        jb->free_index = s->ridx[e].next;
        s->ridx[e].next = s->ridx_free;
        s->ridx_free = e;
    }
}

/* On OOM the index is dropped: the unit restarts under a new one (never a duplicate). */
int core_index_give(gt_sched *s, job_t *jb, uint32_t index) {
    uint32_t e = s->ridx_free;
    if (e != GT_NONE) {
        s->ridx_free = s->ridx[e].next;
    } else {
        if (!gt_vec_reserve32((void **)&s->ridx, &s->ridx_cap, (size_t)s->nridx + 1,
                              sizeof *s->ridx, 64))
            return 0;
        e = s->nridx++;
    }
    s->ridx[e].index = index;
    s->ridx[e].next = jb->free_index;
    jb->free_index = e;
    return 1;
}

int core_pools_reserve(gt_sched *s, uint32_t units, uint32_t slots) {
    if ((size_t)s->nunits + units > s->units_cap) { /* units and the heap share a capacity */
        size_t cap = gt_vec_grow_cap(s->units_cap, (size_t)s->nunits + units, 1024, UINT32_MAX);
        if (!cap || !gt_vec_resize((void **)&s->units, cap, sizeof *s->units) ||
            !gt_vec_resize((void **)&s->heap, cap, sizeof *s->heap))
            return 0;
        s->units_cap = s->heap_cap = (uint32_t)cap;
    }
    return gt_vec_reserve32((void **)&s->slots, &s->slots_cap, (size_t)s->nslots + slots,
                            sizeof *s->slots, 4096);
}

static uint32_t unit_alloc(gt_sched *s) {
    uint32_t u = s->unit_free;
    if (u != GT_NONE) {
        s->unit_free = s->units[u].jnext;
        return u;
    }
    if (!core_pools_reserve(s, 1, 0))
        return GT_NONE;
    u = s->nunits++;
    s->units[u].gen = 0;
    return u;
}

static uint32_t slot_alloc(gt_sched *s) {
    uint32_t i = s->slot_free;
    if (i != GT_NONE) {
        s->slot_free = s->slots[i].unext;
        return i;
    }
    if (!core_pools_reserve(s, 0, 1))
        return GT_NONE;
    return s->nslots++;
}

/* ---- heap of running units by est_end ---- */

static int hless(const gt_sched *s, uint32_t a, uint32_t b) {
    const unit_t *x = &s->units[a], *y = &s->units[b];
    return x->est_end < y->est_end || (x->est_end == y->est_end && a < b);
}

static void hset(gt_sched *s, uint32_t pos, uint32_t u) {
    s->heap[pos] = u;
    s->units[u].heap_pos = pos;
}

void core_heap_fix(gt_sched *s, uint32_t pos) {
    uint32_t u = s->heap[pos];
    while (pos > 0 && hless(s, u, s->heap[(pos - 1) / 2])) {
        hset(s, pos, s->heap[(pos - 1) / 2]);
        pos = (pos - 1) / 2;
    }
    for (;;) {
        uint32_t l = 2 * pos + 1, m = pos;
        uint32_t best = u;
        if (l < s->heap_n && hless(s, s->heap[l], best))
            m = l, best = s->heap[l];
        if (l + 1 < s->heap_n && hless(s, s->heap[l + 1], best))
            m = l + 1, best = s->heap[l + 1];
        if (m == pos)
            break;
        hset(s, pos, best);
        pos = m;
    }
    hset(s, pos, u);
}

static void heap_push(gt_sched *s, uint32_t u) {
    hset(s, s->heap_n++, u);
    core_heap_fix(s, s->heap_n - 1);
}

static void heap_remove(gt_sched *s, uint32_t u) {
    uint32_t pos = s->units[u].heap_pos, last = s->heap[--s->heap_n];
    if (pos == s->heap_n)
        return;
    hset(s, pos, last);
    core_heap_fix(s, pos);
}

/* ---- start / stop ---- */

int64_t core_unit_gpus_of(const job_t *jb) {
    return (int64_t)jb->shape.nodes * jb->shape.gpus_per_node;
}

static int unit_is_borrowing(const gt_sched *s, uint32_t tenant, int32_t gpus) {
    const tenant_t *t = &s->tenants[tenant];
    return gpus > 0 && t->gpus_held + gpus > t->conf.quota_gpus;
}

static void slot_link_node(gt_sched *s, uint32_t i) {
    slot_t *sl = &s->slots[i];
    uint32_t n = sl->s.node;
    sl->nprev = GT_NONE;
    sl->nnext = s->node_slots[n];
    if (sl->nnext != GT_NONE)
        s->slots[sl->nnext].nprev = i;
    s->node_slots[n] = i;
}

static void slot_unlink_node(gt_sched *s, uint32_t i) {
    slot_t *sl = &s->slots[i];
    if (sl->nprev != GT_NONE)
        s->slots[sl->nprev].nnext = sl->nnext;
    else
        s->node_slots[sl->s.node] = sl->nnext;
    if (sl->nnext != GT_NONE)
        s->slots[sl->nnext].nprev = sl->nprev;
}

/* Take `slots` (job j's shape.nodes of them) for a new running unit. Returns 0 on OOM
 * (nothing changed). */
int core_unit_start(gt_sched *s, uint32_t j, const gt_slot *slots, uint32_t span, gt_time now) {
    job_t *jb = &s->jobs[j];
    int32_t k = jb->shape.nodes;
    /* Everything that can fail comes first: a started unit always gets its decision. */
    if (!core_dec_reserve(s, 1) || !core_pools_reserve(s, 1, (uint32_t)k))
        return 0;
    uint32_t u = unit_alloc(s);
    unit_t *un = &s->units[u];
    un->job = j;
    un->index = index_take(s, jb, now);
    core_rep_started(s, j, un->index, slots[0].node, now);
    un->prio = jb->prio;
    un->gpus = (int32_t)core_unit_gpus_of(jb);
    un->cpus = (int64_t)k * jb->shape.cpus_per_node;
    un->borrowed = (uint8_t)(unit_is_borrowing(s, jb->tenant, un->gpus) ||
                             (jb->kind == GT_KIND_SERVE && jb->running >= jb->min_units));
    un->span_level = s->topo->level[span];
    jb->spare_under = GT_NONE; /* (started: wherever it went) */
    un->start = now;
    un->est_end = jb->estimate > 0 ? now + jb->estimate : GT_TIME_NEVER;
    un->slot_head = GT_NONE;
    for (int32_t i = k - 1; i >= 0; i--) {
        uint32_t si = slot_alloc(s);
        slot_t *sl = &s->slots[si];
        sl->s = slots[i];
        sl->unit = u;
        sl->unext = un->slot_head;
        un->slot_head = si;
        slot_link_node(s, si);
        gt_place_take(s->topo, &sl->s, un->prio, un->borrowed);
    }
    un->jprev = GT_NONE;
    un->jnext = jb->run_head;
    if (un->jnext != GT_NONE)
        s->units[un->jnext].jprev = u;
    jb->run_head = u;
    heap_push(s, u);
    core_unit_event(s, jb, un, CORE_UNIT_START);
    if (jb->pending == 0)
        core_q_remove(s, j);
    if (jb->first_start < 0)
        jb->first_start = now;
    core_job_event(s, jb, CORE_JOB_START);
    s->tenants[jb->tenant].gpus_held += un->gpus;
    s->tenants[jb->tenant].cpus_held += un->cpus;
    s->st.starts++;
    return core_dec_push(s, GT_DEC_START, GT_WHY_NONE, j, u, un->span_level);
}

/* Give a unit's slots back and return it to the pool (gen advances: stale events miss). */
void core_unit_release(gt_sched *s, uint32_t u, core_unit_ev ev) {
    unit_t *un = &s->units[u];
    job_t *jb = &s->jobs[un->job];
    for (uint32_t si = un->slot_head, next; si != GT_NONE; si = next) {
        slot_t *sl = &s->slots[si];
        next = sl->unext;
        gt_place_give(s->topo, &sl->s, un->prio, un->borrowed);
        slot_unlink_node(s, si);
        sl->unext = s->slot_free;
        s->slot_free = si;
    }
    if (un->jprev != GT_NONE)
        s->units[un->jprev].jnext = un->jnext;
    else
        jb->run_head = un->jnext;
    if (un->jnext != GT_NONE)
        s->units[un->jnext].jprev = un->jprev;
    heap_remove(s, u);
    s->tenants[jb->tenant].gpus_held -= un->gpus;
    s->tenants[jb->tenant].cpus_held -= un->cpus;
    core_unit_event(s, jb, un, ev);
    un->gen++;
    un->jnext = s->unit_free;
    s->unit_free = u;
}

/* Stop a running unit for the scheduler's own reason; with requeue it becomes pending
 * again. A gang job (train, or serve below its minimum) loses its other units too. */
/* The lowest vertex that holds every slot of unit u. */
static uint32_t unit_span(const gt_sched *s, uint32_t u) {
    uint32_t v = GT_NONE;
    for (uint32_t si = s->units[u].slot_head; si != GT_NONE; si = s->slots[si].unext)
        v = v == GT_NONE ? s->slots[si].s.node : gt_topo_lca(s->topo, v, s->slots[si].s.node);
    return v;
}

void core_unit_stop(gt_sched *s, uint32_t u, uint8_t why, int requeue, gt_time now) {
    uint32_t j = s->units[u].job;
    job_t *jb = &s->jobs[j];
    /* Hot spares: a gang of several nodes that lost one goes back to the same subtree
     * (its NVLink domain) when a spare node there has room. */
    if (requeue && why == GT_WHY_NODE_DOWN && jb->kind == GT_KIND_TRAIN && jb->shape.nodes > 1)
        jb->spare_under = unit_span(s, u);
    core_dec_push(s, GT_DEC_STOP, why, j, u, 0);
    core_unit_release(s, u, requeue ? CORE_UNIT_REQUEUE : CORE_UNIT_DROP);
    s->st.stops++;
    if (why == GT_WHY_PREEMPTED) {
        jb->preemptions++;
        s->st.preemptions++;
    }
    if (!requeue)
        return;
    core_rep_requeued(s, j, s->units[u].index);
    core_index_return(s, j, s->units[u].index, now);
    jb->restarts++;
    s->st.requeues++;
    if (jb->kind == GT_KIND_SERVE && jb->running > 0 && jb->running < jb->min_units)
        while (jb->run_head != GT_NONE)
            core_unit_stop(s, jb->run_head, GT_WHY_GANG, 1, now);
    core_job_requeue_or_finish(s, j, now);
}

/* After units changed: queue the job if it has pending units, settle its state. */
void core_job_requeue_or_finish(gt_sched *s, uint32_t j, gt_time now) {
    job_t *jb = &s->jobs[j];
    if (jb->state >= GT_JOB_COMPLETED)
        return;
    if (jb->pending > 0)
        core_q_insert(s, j);
    else
        core_q_remove(s, j);
    if (jb->running > 0)
        core_job_event(s, jb, CORE_JOB_RUN);
    else if (jb->pending > 0)
        core_job_event(s, jb, CORE_JOB_WAIT);
    else {
        /* cancelled tasks aside: failed when one failed; none done: cancelled as a whole */
        core_job_event(s, jb,
                       jb->failed                         ? CORE_JOB_FAIL
                       : jb->done == 0 && jb->dropped > 0 ? CORE_JOB_CANCEL
                                                          : CORE_JOB_DONE);
        jb->end = now;
        core_index_drop_all(s, jb);
        core_tasks_job_ended(s, j, now);
    }
}
