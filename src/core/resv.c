/* SPDX-License-Identifier: MIT
 * EASY-backfill reservation for the first job of a pass that does not fit. Its *shadow
 * time* is when enough of the resource it needs (GPUs of its model, or CPU cores) will be
 * free if running work ends by its estimates; `extra` is what will be free then beyond its
 * need. The count ignores topology (it is an estimate, as in Slurm's and Maui's EASY).
 *
 * The running units sit in a binary heap by estimated end; we read them in order without
 * disturbing it by walking a second, small heap of heap positions ("frontier"): pop the
 * smallest, push its two children. Cost: O(m log m) for the m units that must end, at most
 * RESV_MAX_WALK units; past that the shadow is taken as the last end seen (a lower bound,
 * so backfill stays on the safe side) with nothing extra. It is computed only when a
 * later job fits and asks, which most passes on a full fleet never do. */

#define RESV_MAX_WALK 4096
#include <stdlib.h>

#include "core/sched_int.h"
#include "util/vec.h"

static int64_t unit_amount(const gt_sched *s, const unit_t *u, const resv_t *r) {
    const job_t *jb = &s->jobs[u->job];
    if (!r->gpu)
        return jb->shape.gpus_per_node == 0 ? u->cpus : 0;
    if (r->model >= 0 && jb->shape.model >= 0 && jb->shape.model != r->model)
        return 0;
    return u->gpus;
}

static int fless(const gt_sched *s, uint32_t pa, uint32_t pb) {
    const unit_t *a = &s->units[s->heap[pa]], *b = &s->units[s->heap[pb]];
    return a->est_end < b->est_end || (a->est_end == b->est_end && pa < pb);
}

static void fpush(gt_sched *s, u32vec *f, uint32_t pos) {
    uint32_t i = (uint32_t)f->n++;
    while (i > 0 && fless(s, pos, f->v[(i - 1) / 2])) {
        f->v[i] = f->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    f->v[i] = pos;
}

static uint32_t fpop(gt_sched *s, u32vec *f) {
    uint32_t top = f->v[0], last = f->v[--f->n], i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, m = l;
        if (l >= f->n)
            break;
        if (l + 1 < f->n && fless(s, f->v[l + 1], f->v[l]))
            m = l + 1;
        if (!fless(s, f->v[m], last))
            break;
        f->v[i] = f->v[m];
        i = m;
    }
    if (f->n)
        f->v[i] = last;
    return top;
}

static int64_t need_of(const job_t *jb, int gpu) {
    int64_t per = gpu ? core_unit_gpus_of(jb) : (int64_t)jb->shape.nodes * jb->shape.cpus_per_node;
    uint32_t units = jb->kind == GT_KIND_SERVE && jb->running == 0 ? jb->min_units : 1;
    return per * units;
}

void core_resv_hold(resv_t *r, uint32_t j) {
    r->active = 1;
    r->computed = 0;
    r->head = j;
}

static void resv_compute(gt_sched *s, uint32_t j, gt_time now, resv_t *r) {
    const job_t *jb = &s->jobs[j];
    r->gpu = jb->shape.gpus_per_node > 0;
    r->model = jb->shape.model;
    r->computed = 1;
    r->active = 0;
    int64_t need = need_of(jb, r->gpu);
    int64_t avail = r->gpu ? s->topo->gpus_free[0] : s->topo->cpus_free[0];
    u32vec *f = &s->tmp;
    if (!gt_vec_reserve((void **)&f->v, &f->cap, (size_t)s->heap_n + 2, sizeof *f->v))
        return; /* no reservation: backfill runs unrestricted this pass */
    f->n = 0;
    if (s->heap_n)
        fpush(s, f, 0);
    for (uint32_t walked = 0; avail < need && f->n; walked++) {
        if (walked == RESV_MAX_WALK) {
            r->extra = 0; /* the shadow is at least this far: conservative, bounded */
            r->active = 1;
            return;
        }
        uint32_t pos = fpop(s, f);
        const unit_t *u = &s->units[s->heap[pos]];
        if (u->est_end == GT_TIME_NEVER)
            break; /* nothing with an estimate remains: no finite shadow */
        avail += unit_amount(s, u, r);
        r->shadow = u->est_end > now ? u->est_end : now;
        if (2 * pos + 1 < s->heap_n)
            fpush(s, f, 2 * pos + 1);
        if (2 * pos + 2 < s->heap_n)
            fpush(s, f, 2 * pos + 2);
    }
    if (avail < need)
        return; /* cannot be met by known ends: do not hold others back for it */
    if (need <= (r->gpu ? s->topo->gpus_free[0] : s->topo->cpus_free[0]))
        r->shadow = now; /* enough free, just fragmented: reserve what is free now */
    r->extra = avail - need;
    r->active = 1;
}

void core_resv_ensure(gt_sched *s, resv_t *r, gt_time now) {
    if (r->active && !r->computed)
        resv_compute(s, r->head, now, r);
}

int core_resv_allows(gt_sched *s, resv_t *r, uint32_t j, gt_time now, int64_t *use_extra) {
    *use_extra = 0;
    core_resv_ensure(s, r, now);
    if (!r->active)
        return 1;
    const job_t *jb = &s->jobs[j];
    int gpu = jb->shape.gpus_per_node > 0;
    if (gpu != r->gpu)
        return 1; /* GPU work and CPU-only work do not compete for the reserved resource */
    if (gpu && r->model >= 0 && jb->shape.model >= 0 && jb->shape.model != r->model)
        return 1;
    if (jb->estimate > 0 && now + jb->estimate <= r->shadow)
        return 1;
    int64_t use = gpu ? core_unit_gpus_of(jb) : (int64_t)jb->shape.nodes * jb->shape.cpus_per_node;
    if (use > r->extra)
        return 0;
    *use_extra = use;
    return 1;
}
