/* SPDX-License-Identifier: MIT
 * The start item an agent gets for one node of a run: what to run (command, env, workdir
 * from the job's spec) and the rank layout that torchrun-style and MPI code expects.
 *
 * Ranks. A train unit runs one rank per GPU on each node (one per node without GPUs),
 * numbered node by node in slot order; serve replicas and tasks run one rank per node
 * that holds all of the node's GPUs. MASTER_ADDR is the host of the agent of the unit's
 * first node; MASTER_PORT is derived from (job, unit, gen) in 29400..49399. `restarts` is
 * how often this unit (task, replica, gang) started before (GANTRY_RESTART_COUNT).
 * `hosts` lists every node's host and rank count in node-rank order, for the agent's MPI
 * hostfile (GANTRY_HOSTFILE).
 *
 * What to run (command, env, workdir, limits: the launch) is the same for every start of a
 * job: it is decoded from the job's spec once, at its first start, and kept on the job
 * until the job can no longer start (ctld_job_launch_drop); each item points at it. */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"

const gt_proto_launch *ctld_job_launch(gt_ctld *c, uint32_t job) {
    ctld_job *j = &c->jobs[job];
    if (j->launch)
        return j->launch;
    gt_proto_launch *l = malloc(sizeof *l);
    gt_error err = {0};
    if (!l || gt_proto_launch_decode(j->doc, strlen(j->doc), l, &err)) {
        /* The spec passed the job spec parser, which is stricter than this decoder. */
        if (l)
            ctld_log_at(c, GT_LOG_WARNING, "job %u: its spec does not decode as a launch: %s: %s",
                        job, err.where, err.msg);
        free(l);
        return NULL;
    }
    if (!(j->launch_fields = gt_proto_launch_fields(l))) { /* out of memory */
        gt_proto_launch_free(l);
        free(l);
        return NULL;
    }
    return j->launch = l;
}

void ctld_job_launch_drop(gt_ctld *c, uint32_t job) {
    gt_proto_launch_free(c->jobs[job].launch);
    free(c->jobs[job].launch);
    free(c->jobs[job].launch_fields);
    c->jobs[job].launch = NULL;
    c->jobs[job].launch_fields = NULL;
}

static const char *node_host(gt_ctld *c, uint32_t node) {
    int32_t a = c->node_agent[node];
    return a >= 0 && c->agents[a]->host[0] ? c->agents[a]->host : "127.0.0.1";
}

/* Rank k of a slot's n ranks: one GPU each (train), or all of the slot's GPUs (n == 1). */
static uint64_t rank_gpus(uint32_t mask, int k, int n) {
    if (n == 1)
        return mask;
    for (int b = 0, i = 0; b < 32; b++)
        if (mask >> b & 1 && i++ == k)
            return 1ull << b;
    return 0;
}

char *ctld_start_item(gt_ctld *c, uint32_t job, const ctld_run *r, uint32_t slot) {
    const gt_proto_launch *launch = ctld_job_launch(c, job);
    gt_job_info ji;
    if (!launch || !gt_sched_job(c->sched, job, &ji))
        return NULL;
    uint32_t base = 0;
    for (uint32_t i = 0; i < slot; i++)
        base += r->nranks[i];
    int n = r->nranks[slot];
    uint32_t ns = 0;
    const gt_slot *sl = gt_sched_unit_slots(c->sched, job, r->handle, r->gen, &ns);
    const gt_slot *share = sl && slot < ns && sl[slot].milli > 0 ? &sl[slot] : NULL;
    gt_proto_rank *ranks = malloc((size_t)n * sizeof *ranks);
    gt_proto_host *hosts = malloc(r->nslots * sizeof *hosts);
    char *text = NULL;
    if (ranks && hosts) {
        int cpus = r->cpus[slot] / n;
        for (int k = 0; k < n; k++)
            ranks[k] = (gt_proto_rank){base + (uint32_t)k, (uint32_t)k,
                                       rank_gpus(r->masks[slot], k, n), cpus > 0 ? cpus : 1};
        for (uint32_t i = 0; i < r->nslots; i++)
            hosts[i] = (gt_proto_host){(char *)node_host(c, r->nodes[i]), r->nranks[i]};
        gt_proto_start m = {
            .job = job,
            .unit = r->unit,
            .gen = r->gen,
            .node = (char *)gt_topo_name(gt_sched_topo(c->sched), r->nodes[slot]),
            .world_size = r->ranks,
            .local_world_size = (uint32_t)n,
            .node_rank = slot,
            .nnodes = r->nslots,
            .master_addr = (char *)node_host(c, r->nodes[0]),
            .master_port = 29400 + (job * 131u + r->unit * 7u + r->gen) % 20000u,
            .cpus = r->cpus[slot],
            .restarts = r->starts ? r->starts - 1 : 0, /* this unit's, not the job's */
            .gpu_milli = share ? share->milli : 0,
            .gpu_memory_mb = share ? share->gpu_mem : 0,
            .ranks = ranks,
            .nranks = (uint32_t)n,
            .hosts = hosts,
            .nhosts = r->nslots,
            .launch = *launch, /* borrowed: the encoder only reads it */
            .launch_fields = c->jobs[job].launch_fields,
        };
        text = gt_proto_start_encode(&m);
    }
    free(ranks);
    free(hosts);
    return text;
}
