/* SPDX-License-Identifier: MIT
 * The active runs of each node, so that an agent's registration finds what must run on its
 * nodes without walking every job (10,000 agents registering against a million jobs after
 * a controller restart would otherwise cost 10^10 steps). Derived state: built from the
 * jobs on first use (after a start or a snapshot load nothing has to rebuild it), then kept
 * up to date by apply.c as runs start and end. State thread only. */
#include <stdlib.h>

#include "ctld/ctld_int.h"
#include "util/vec.h"

static void oom(void) {
    gt_log(GT_LOG_ERR, "gantryd", "out of memory (runs by node)");
    abort();
}

static void add_one(gt_ctld *c, uint32_t node, uint32_t job, uint32_t run) {
    ctld_runvec *v = &c->node_runs[node];
    if (!gt_vec_reserve32((void **)&v->v, &v->cap, (size_t)v->n + 1, sizeof *v->v, 2))
        oom();
    v->v[v->n++] = (ctld_runref){job, run};
}

static void build(gt_ctld *c) {
    const gt_topo *t = gt_sched_topo(c->sched);
    c->node_runs = calloc(t->nv, sizeof *c->node_runs);
    if (!c->node_runs)
        oom();
    for (uint32_t j = 0; j < c->njobs; j++)
        for (uint32_t r = 0; r < c->jobs[j].nruns; r++) {
            const ctld_run *run = &c->jobs[j].runs[r];
            for (uint32_t s = 0; run->state == RUN_ACTIVE && s < run->nslots; s++)
                add_one(c, run->nodes[s], j, r);
        }
}

void ctld_noderuns_add(gt_ctld *c, uint32_t job, uint32_t run) {
    if (!c->node_runs)
        return; /* built with it on first use */
    const ctld_run *r = &c->jobs[job].runs[run];
    for (uint32_t s = 0; s < r->nslots; s++)
        add_one(c, r->nodes[s], job, run);
}

void ctld_noderuns_remove(gt_ctld *c, uint32_t job, uint32_t run) {
    if (!c->node_runs)
        return;
    const ctld_run *r = &c->jobs[job].runs[run];
    for (uint32_t s = 0; s < r->nslots; s++) {
        ctld_runvec *v = &c->node_runs[r->nodes[s]];
        for (uint32_t i = 0; i < v->n; i++)
            if (v->v[i].job == job && v->v[i].run == run) {
                v->v[i] = v->v[--v->n];
                break;
            }
    }
}

const ctld_runvec *ctld_noderuns_of(gt_ctld *c, uint32_t node) {
    if (!c->node_runs)
        build(c);
    return &c->node_runs[node];
}

void ctld_noderuns_free(gt_ctld *c) {
    if (!c->node_runs)
        return;
    const gt_topo *t = gt_sched_topo(c->sched);
    for (uint32_t v = 0; v < t->nv; v++)
        free(c->node_runs[v].v);
    free(c->node_runs);
    c->node_runs = NULL;
}
