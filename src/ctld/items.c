/* SPDX-License-Identifier: MIT
 * The start item an agent gets for one node of a run: what to run (command, env, workdir
 * from the job's spec) and the rank layout that torchrun-style and MPI code expects.
 *
 * Ranks. A train unit runs one rank per GPU on each node (one per node without GPUs),
 * numbered node by node in slot order; serve replicas and tasks run one rank per node
 * that holds all of the node's GPUs. MASTER_ADDR is the host of the agent of the unit's
 * first node; MASTER_PORT is derived from (job, unit, gen) in 29400..49399. `restarts` is
 * how often the job was requeued (GANTRY_RESTART_COUNT). `hosts` lists every node's host and
 * rank count in node-rank order, for the agent's MPI hostfile (GANTRY_HOSTFILE). */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"

static json_t *gpu_list(uint32_t mask, int rank, int nranks) {
    json_t *a = json_array();
    int k = 0;
    for (int b = 0; b < 32; b++) {
        if (!(mask >> b & 1))
            continue;
        if (nranks == 1 || k == rank)
            json_array_append_new(a, json_integer(b));
        k++;
    }
    return a;
}

static json_t *ranks_json(const ctld_run *r, uint32_t slot) {
    uint32_t base = 0;
    for (uint32_t i = 0; i < slot; i++)
        base += r->nranks[i];
    int n = r->nranks[slot];
    json_t *a = json_array();
    for (int k = 0; k < n; k++) {
        int cpus = r->cpus[slot] / n;
        json_array_append_new(a, json_pack("{s:I, s:i, s:o, s:i}", "rank", (json_int_t)(base + k),
                                           "local_rank", k, "gpus", gpu_list(r->masks[slot], k, n),
                                           "cpus", cpus > 0 ? cpus : 1));
    }
    return a;
}

static const char *node_host(gt_ctld *c, uint32_t node) {
    int32_t a = c->node_agent[node];
    return a >= 0 && c->agents[a]->host[0] ? c->agents[a]->host : "127.0.0.1";
}

/* Every node of the run in node-rank order: its host and its rank count (MPI hostfile). */
static json_t *hosts_json(gt_ctld *c, const ctld_run *r) {
    json_t *a = json_array();
    for (uint32_t i = 0; i < r->nslots; i++)
        json_array_append_new(a, json_pack("{s:s, s:i}", "host", node_host(c, r->nodes[i]), "slots",
                                           (int)r->nranks[i]));
    return a;
}

static void copy_field(json_t *dst, json_t *spec, const char *key) {
    json_t *v = json_object_get(spec, key);
    if (v)
        json_object_set(dst, key, v);
}

char *ctld_start_item(gt_ctld *c, uint32_t job, const ctld_run *r, uint32_t slot) {
    json_t *spec = json_loads(c->jobs[job].doc, 0, NULL);
    if (!spec)
        return NULL;
    const gt_topo *topo = gt_sched_topo(c->sched);
    int port = 29400 + (int)((job * 131u + r->unit * 7u + r->gen) % 20000u);
    json_t *o = json_pack(
        "{s:s, s:I, s:I, s:I, s:s, s:o, s:I, s:i, s:i, s:i, s:s, s:i}", "op", "start", "job",
        (json_int_t)job, "unit", (json_int_t)r->unit, "gen", (json_int_t)r->gen, "node",
        gt_topo_name(topo, r->nodes[slot]), "ranks", ranks_json(r, slot), "world_size",
        (json_int_t)r->ranks, "local_world_size", (int)r->nranks[slot], "node_rank", (int)slot,
        "nnodes", (int)r->nslots, "master_addr", node_host(c, r->nodes[0]), "master_port", port);
    gt_job_info ji;
    if (o) {
        json_object_set_new(o, "hosts", hosts_json(c, r));
        json_object_set_new(o, "cpus", json_integer(r->cpus[slot]));
    }
    if (o && gt_sched_job(c->sched, job, &ji))
        json_object_set_new(o, "restarts", json_integer((json_int_t)ji.restarts));
    if (o) {
        static const char *const keys[] = {"name",         "tenant",    "kind",     "command",
                                           "env",          "workdir",   "grace_s",  "duration_s",
                                           "time_limit_s", "memory_mb", "pids_max", "user"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            copy_field(o, spec, keys[i]);
    }
    json_decref(spec);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}
