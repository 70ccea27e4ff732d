/* SPDX-License-Identifier: MIT
 * gt_sched_check: recount everything the scheduler keeps incrementally and compare.
 *  1. The fleet's own invariants (gt_topo_check).
 *  2. Per node: running slots hold disjoint GPUs, exactly the GPUs missing from its free
 *     mask, and the cores and memory missing from its free counts.
 *     A node that is DOWN holds no slot; every slot on a node's list names that node.
 *  3. Per tenant: GPUs and cores held equal the sum over its running units, and never
 *     exceed its limit_gpus.
 *  4. Per job: running == length of its unit list; in a queue iff it has pending units, is
 *     not held and is not finished; pending + running + done + dropped == units; a task
 *     array's tasks backing off or waiting for their aftercorr task are among its pending.
 *     Its unit counts agree with its state (core/unit_lifecycle.c, core/lifecycle.c):
 *     PENDING has units pending and none running, RUNNING some running, a finished job none
 *     pending or running, FAILED every unit done and some failed; failed <= done.
 *  5. The counts of jobs by state and kind in the stats match the jobs.
 *  6. Unit records: a running one sits in the heap where its heap_pos says and holds its
 *     job's shape.nodes slots, each naming it; every other record is on the free list. The
 *     running records number st.running_units (the heap's size), the heap is ordered by
 *     estimated end, and slots in use plus free slots make every slot.
 *  7. Queues: each list links its jobs both ways in (submit, id) order, each marked in_queue
 *     for that list, and the lists hold st.pending_jobs jobs: every job marked in_queue. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/sched_int.h"
#include "util/bits.h"

static gt_err check_nodes(const gt_sched *s, gt_error *err) {
    const gt_topo *t = s->topo;
    for (uint32_t n = 0; n < t->nv; n++) {
        if (!gt_topo_is_node(t, n))
            continue;
        uint32_t held = 0, shared = 0;
        int64_t cpus = 0, mem = 0;
        int32_t milli[GT_NODE_MAX_GPUS] = {0};
        int64_t gmem[GT_NODE_MAX_GPUS] = {0};
        if (t->n_state[n] > GT_NODE_DOWN ||
            (t->n_state[n] == GT_NODE_DOWN && s->node_slots[n] != GT_NONE))
            return gt_fail(err, GT_E_STATE, gt_topo_name(t, n), "state %d with work on it",
                           t->n_state[n]);
        for (uint32_t si = s->node_slots[n]; si != GT_NONE; si = s->slots[si].nnext) {
            const gt_slot *sl = &s->slots[si].s;
            if (sl->node != n)
                return gt_fail(err, GT_E_STATE, gt_topo_name(t, n), "slot of another node");
            if ((held & sl->mask) || (sl->milli > 0 && gt_popcount32(sl->mask) != 1))
                return gt_fail(err, GT_E_STATE, gt_topo_name(t, n), "a GPU is held twice");
            if (sl->milli > 0) { /* a share: several may use one GPU */
                int g = __builtin_ctz(sl->mask);
                milli[g] += sl->milli;
                gmem[g] += sl->gpu_mem;
                shared |= sl->mask;
                cpus += sl->cpus;
                mem += sl->mem;
                continue;
            }
            if (!s->units[s->slots[si].unit].running)
                return gt_fail(err, GT_E_STATE, gt_topo_name(t, n), "slot of a stopped unit");
            held |= sl->mask;
            cpus += sl->cpus;
            mem += sl->mem;
        }
        if (held & shared)
            return gt_fail(err, GT_E_STATE, gt_topo_name(t, n), "a GPU held whole is shared");
        for (int g = 0; g < t->n_gpus[n]; g++)
            if (milli[g] != t->gpu_milli[t->n_gpu0[n] + (uint32_t)g] ||
                gmem[g] != t->gpu_mem_used[t->n_gpu0[n] + (uint32_t)g])
                return gt_fail(err, GT_E_STATE, gt_topo_name(t, n),
                               "GPU %d: the shares' thousandths or memory disagree", g);
        held |= shared;
        uint32_t all = t->n_gpus[n] >= 32 ? UINT32_MAX : (1u << t->n_gpus[n]) - 1u;
        uint32_t off = t->n_gpu_off_mask[n] & ~held; /* off and idle: neither held nor free */
        if ((held | off | t->n_gpu_free_mask[n]) != all || (held & t->n_gpu_free_mask[n]))
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

/* A job's unit counts against its state. */
static gt_err check_job_units(const job_t *jb, uint32_t j, gt_error *err) {
    int finished = jb->state >= GT_JOB_COMPLETED;
    if ((jb->state == GT_JOB_PENDING && (jb->running > 0 || jb->pending == 0)) ||
        (finished && (jb->pending > 0 || jb->running > 0)) ||
        (jb->state == GT_JOB_FAILED && (jb->failed == 0 || jb->done + jb->dropped != jb->nunits)) ||
        jb->failed > jb->done || jb->done > jb->nunits)
        return gt_fail(err, GT_E_STATE, "job",
                       "job %u state %d with units pending %u, running %u, done %u, failed %u", j,
                       jb->state, jb->pending, jb->running, jb->done, jb->failed);
    return GT_E_OK;
}

static gt_err check_job(const gt_sched *s, uint32_t j, gt_error *err) {
    const job_t *jb = &s->jobs[j];
    const svc_t *v = &s->svc[j];
    if ((jb->kind == GT_KIND_SERVE) != (v->rep_base != GT_NONE) ||
        (v->rep_base != GT_NONE && (v->rep_base > s->nreps || jb->nunits > s->nreps - v->rep_base)))
        return gt_fail(err, GT_E_STATE, "job", "job %u: its replicas' records are wrong", j);
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
    int want_q = jb->pending > 0 && !jb->held && !jb->dep_wait && jb->state < GT_JOB_COMPLETED;
    if (want_q != jb->in_queue)
        return gt_fail(err, GT_E_STATE, "job",
                       "job %u (state %d, pending %u, running %u) queue membership is wrong", j,
                       jb->state, jb->pending, jb->running);
    if (jb->pending + jb->running + jb->done + jb->dropped != jb->nunits ||
        jb->backing + jb->unready > jb->pending)
        return gt_fail(err, GT_E_STATE, "job", "job %u units do not add up", j);
    if (jb->tbase != CORE_NO_TASKS &&
        (jb->kind != GT_KIND_TASKS || jb->tbase + jb->nunits > s->ntstate))
        return gt_fail(err, GT_E_STATE, "job", "job %u: its tasks' records are wrong", j);
    if (jb->state == GT_JOB_RUNNING && jb->running == 0)
        return gt_fail(err, GT_E_STATE, "job", "job %u RUNNING with no unit", j);
    return check_job_units(jb, j, err);
}

/* Every unit record: running (in the heap, holding its slots) or on the free list. */
static gt_err check_units(const gt_sched *s, gt_error *err) {
    uint32_t running = 0, nfree = 0, slots_used = 0, nfree_slots = 0;
    for (uint32_t u = 0; u < s->nunits; u++) {
        const unit_t *un = &s->units[u];
        if (!un->running)
            continue;
        running++;
        uint32_t k = 0;
        for (uint32_t si = un->slot_head; si != GT_NONE && k <= s->nslots; si = s->slots[si].unext)
            if (s->slots[si].unit != u || ++k > s->nslots)
                return gt_fail(err, GT_E_STATE, "unit", "unit %u: its slot list is wrong", u);
        slots_used += k;
        if (un->job >= s->njobs || k != (uint32_t)s->jobs[un->job].shape.nodes ||
            un->heap_pos >= s->heap_n || s->heap[un->heap_pos] != u)
            return gt_fail(err, GT_E_STATE, "unit", "running unit %u: job, slots or heap wrong", u);
    }
    for (uint32_t u = s->unit_free; u != GT_NONE && nfree <= s->nunits; u = s->units[u].jnext)
        if (s->units[u].running || ++nfree > s->nunits)
            return gt_fail(err, GT_E_STATE, "unit", "the free list holds running unit %u", u);
    for (uint32_t i = s->slot_free; i != GT_NONE && nfree_slots <= s->nslots; i = s->slots[i].unext)
        nfree_slots++;
    if (running != s->st.running_units || running != s->heap_n || running + nfree != s->nunits ||
        slots_used + nfree_slots != s->nslots)
        return gt_fail(err, GT_E_STATE, "unit",
                       "%u running units (stats %u, heap %u), %u free of %u; slots %u + %u of %u",
                       running, s->st.running_units, s->heap_n, nfree, s->nunits, slots_used,
                       nfree_slots, s->nslots);
    for (uint32_t i = 1; i < s->heap_n; i++)
        if (s->units[s->heap[(i - 1) / 2]].est_end > s->units[s->heap[i]].est_end)
            return gt_fail(err, GT_E_STATE, "unit", "the heap is out of order at %u", i);
    return GT_E_OK;
}

/* One queue list: linked both ways, in (submit, id) order, its jobs marked for it. */
static gt_err check_list(const gt_sched *s, uint32_t l, uint32_t *count, gt_error *err) {
    uint32_t prev = GT_NONE;
    for (uint32_t j = s->qhead[l]; j != GT_NONE; prev = j, j = s->jobs[j].qnext) {
        if (j >= s->njobs || ++*count > s->njobs)
            return gt_fail(err, GT_E_STATE, "queue", "list %u: a loop or no job %u", l, j);
        const job_t *jb = &s->jobs[j], *pj = prev != GT_NONE ? &s->jobs[prev] : NULL;
        if (!jb->in_queue || jb->qlist != l || jb->qprev != prev ||
            (pj && (pj->submit > jb->submit || (pj->submit == jb->submit && prev > j))))
            return gt_fail(err, GT_E_STATE, "queue", "list %u is wrong at job %u", l, j);
    }
    if (s->qtail[l] != prev)
        return gt_fail(err, GT_E_STATE, "queue", "list %u: its tail is wrong", l);
    return GT_E_OK;
}

static gt_err check_queues(const gt_sched *s, gt_error *err) {
    uint32_t listed = 0, marked = 0;
    for (uint32_t l = 0; l < s->nlists; l++) {
        gt_err e = check_list(s, l, &listed, err);
        if (e != GT_E_OK)
            return e;
    }
    for (uint32_t j = 0; j < s->njobs; j++)
        marked += s->jobs[j].in_queue;
    if (listed != marked || listed != s->st.pending_jobs)
        return gt_fail(err, GT_E_STATE, "queue", "%u jobs listed, %u marked, stats say %u", listed,
                       marked, s->st.pending_jobs);
    return GT_E_OK;
}

gt_err gt_sched_check(const gt_sched *s, gt_error *err) {
    gt_err e = gt_topo_check(s->topo, err);
    if (e == GT_E_OK)
        e = check_nodes(s, err);
    if (e == GT_E_OK)
        e = check_tenants(s, err);
    if (e == GT_E_OK)
        e = check_units(s, err);
    if (e == GT_E_OK)
        e = check_queues(s, err);
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
