/* SPDX-License-Identifier: MIT
 * gt_sched_check: recount everything the scheduler keeps incrementally and compare.
 *  1. The fleet's own invariants (gt_topo_check).
 *  2. Per node: running slots hold disjoint GPUs, exactly the GPUs missing from its free
 *     mask, and the cores and memory missing from its free counts.
 *  3. Per tenant: GPUs and cores held equal the sum over its running units, and never
 *     exceed its limit_gpus.
 *  4. Per job: running == length of its unit list; in a queue iff it has pending units, is
 *     not held and is not finished; pending + running + done == units unless it was ended early.
 *  5. The counts of jobs by state and kind in the stats match the jobs. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/sched_int.h"

static gt_err check_nodes(const gt_sched *s, gt_error *err) {
    const gt_topo *t = s->topo;
    for (uint32_t n = 0; n < t->nv; n++) {
        if (!gt_topo_is_node(t, n))
            continue;
        uint32_t held = 0;
        int64_t cpus = 0, mem = 0;
        for (uint32_t si = s->node_slots[n]; si != GT_NONE; si = s->slots[si].nnext) {
            const gt_slot *sl = &s->slots[si].s;
            if (held & sl->mask)
                return gt_fail(err, GT_E_STATE, gt_topo_name(t, n), "a GPU is held twice");
            if (!s->units[s->slots[si].unit].running)
                return gt_fail(err, GT_E_STATE, gt_topo_name(t, n), "slot of a stopped unit");
            held |= sl->mask;
            cpus += sl->cpus;
            mem += sl->mem;
        }
        uint32_t all = t->n_gpus[n] >= 32 ? UINT32_MAX : (1u << t->n_gpus[n]) - 1u;
        if ((held | t->n_gpu_free_mask[n]) != all || (held & t->n_gpu_free_mask[n]))
            return gt_fail(err, GT_E_STATE, gt_topo_name(t, n), "held and free GPUs disagree");
        if (cpus + t->n_cpus_free[n] != t->n_cpus[n] || mem + t->n_mem_free[n] != t->n_mem[n])
            return gt_fail(err, GT_E_STATE, gt_topo_name(t, n), "cores or memory leak");
    }
    return GT_E_OK;
}

static gt_err check_tenants(const gt_sched *s, gt_error *err) {
    int64_t *g = calloc(s->ntenants + 1, sizeof *g), *c = calloc(s->ntenants + 1, sizeof *c);
    gt_err e = GT_E_OK;
    if (!g || !c)
        e = gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
    for (uint32_t u = 0; e == GT_E_OK && u < s->nunits; u++) {
        const unit_t *un = &s->units[u];
        if (!un->running)
            continue;
        g[s->jobs[un->job].tenant] += un->gpus;
        c[s->jobs[un->job].tenant] += un->cpus;
    }
    for (uint32_t i = 0; e == GT_E_OK && i < s->ntenants; i++) {
        const tenant_t *t = &s->tenants[i];
        if (g[i] != t->gpus_held || c[i] != t->cpus_held)
            e = gt_fail(err, GT_E_STATE, t->conf.name, "held counts disagree");
        else if (t->conf.limit_gpus > 0 && t->gpus_held > t->conf.limit_gpus)
            e = gt_fail(err, GT_E_STATE, t->conf.name, "holds %lld GPUs over its limit %lld",
                        (long long)t->gpus_held, (long long)t->conf.limit_gpus);
    }
    free(g);
    free(c);
    return e;
}

static gt_err check_job(const gt_sched *s, uint32_t j, gt_error *err) {
    const job_t *jb = &s->jobs[j];
    uint32_t n = 0;
    for (uint32_t u = jb->run_head; u != GT_NONE; u = s->units[u].jnext, n++) {
        if (!s->units[u].running || s->units[u].job != j)
            return gt_fail(err, GT_E_STATE, "job", "job %u lists a unit it does not run", j);
        if (s->units[u].index >= jb->next_index)
            return gt_fail(err, GT_E_STATE, "job", "job %u runs unit index %u never handed out", j,
                           s->units[u].index);
    }
    uint32_t nfree = 0;
    for (uint32_t e = jb->free_index; e != GT_NONE && nfree <= jb->nunits; e = s->ridx[e].next)
        if (s->ridx[e].index >= jb->next_index ||
            (++nfree > jb->pending && jb->state < GT_JOB_COMPLETED))
            return gt_fail(err, GT_E_STATE, "job", "job %u: free unit indices are wrong", j);
    if (n != jb->running)
        return gt_fail(err, GT_E_STATE, "job", "job %u runs %u units, counts %u", j, n,
                       jb->running);
    int want_q = jb->pending > 0 && !jb->held && jb->state < GT_JOB_COMPLETED;
    if (want_q != jb->in_queue)
        return gt_fail(err, GT_E_STATE, "job",
                       "job %u (state %d, pending %u, running %u) queue membership is wrong", j,
                       jb->state, jb->pending, jb->running);
    if (jb->state < GT_JOB_COMPLETED && jb->pending + jb->running + jb->done != jb->nunits)
        return gt_fail(err, GT_E_STATE, "job", "job %u units do not add up", j);
    if (jb->state == GT_JOB_RUNNING && jb->running == 0)
        return gt_fail(err, GT_E_STATE, "job", "job %u RUNNING with no unit", j);
    return GT_E_OK;
}

gt_err gt_sched_check(const gt_sched *s, gt_error *err) {
    gt_err e = gt_topo_check(s->topo, err);
    if (e == GT_E_OK)
        e = check_nodes(s, err);
    if (e == GT_E_OK)
        e = check_tenants(s, err);
    for (uint32_t j = 0; e == GT_E_OK && j < s->njobs; j++)
        e = check_job(s, j, err);
    uint32_t n[GT_JOB__NSTATES][GT_KIND__COUNT] = {{0}};
    for (uint32_t j = 0; e == GT_E_OK && j < s->njobs; j++)
        n[s->jobs[j].state][s->jobs[j].kind]++;
    if (e == GT_E_OK && memcmp(n, s->st.jobs, sizeof n))
        e = gt_fail(err, GT_E_STATE, "jobs", "the counts of jobs by state and kind are wrong");
    return e;
}

#ifdef GT_CHECK_INVARIANTS
void core_check_after(gt_sched *s) {
    uint64_t n = ++s->check_no;
    if (n > 256 && (n & (n - 1)))
        return;
    gt_error err; /* a debugger shows it; the core prints nothing */
    gt_err e = gt_sched_check(s, &err);
    assert(e == GT_E_OK && "scheduler invariant broken");
    (void)e;
}
#endif
