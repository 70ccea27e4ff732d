/* SPDX-License-Identifier: MIT
 * The fleet: a tree of any depth (cluster -> block -> domain -> node by default) whose
 * leaves are nodes with GPUs, CPU cores and memory. Every vertex keeps aggregate free
 * counts over the *schedulable* nodes below it (state UP), so a placement never scans the
 * fleet:
 *
 *   gpus_free[v]    free GPUs
 *   cpus_free[v]    free CPU cores
 *   cnt_ge[v][p-1]  nodes with at least p free GPUs, p = 1..GT_BINS
 *   max_cpus[v]     most free cores on one node (over CPU-only nodes when the fleet has any)
 *   models[v]       bit mask of GPU models present (any state)
 *   share_max[v]    most thousandths of one GPU free for a share (a wholly free GPU: 1000)
 *   held[v][c]      GPUs held by running work of priority class c (all states)
 *   borrowed[v]     GPUs held by work that borrows beyond its tenant's quota
 *
 * Building: gt_topo_new, then gt_topo_add for every vertex (a parent before its children),
 * then gt_topo_finalize, which renumbers vertices breadth-first so that the children of a
 * vertex are contiguous (child0[v] .. child0[v]+nchild[v]-1) and the root is vertex 0.
 * Vertex indices handed out by gt_topo_add are *builder* indices: after finalize use
 * gt_topo_find or walk the tree.
 *
 * Invariants (checked by gt_topo_check after every mutation in test builds):
 *  1. For every vertex, each aggregate equals the sum (max for max_cpus, or for models)
 *     of its children's.
 *  2. For every node, 0 <= free <= total for GPUs, cores and memory, and the number of set
 *     bits in gpu_free_mask equals its free GPU count.
 *  3. Nodes that are not UP contribute nothing to gpus_free, cpus_free, cnt_ge, max_cpus,
 *     share_max.
 *  4. A GPU is whole-free (in gpu_free_mask), held whole, or shared: shares hold
 *     gpu_milli[g] thousandths (1..1000) and gpu_mem_used[g] MiB of it; a free or wholly
 *     held GPU has none. An off GPU is never free and offers no share.
 *
 * Ownership: gt_topo owns every array; names returned are valid until gt_topo_free. */
#ifndef GT_CORE_TOPO_H
#define GT_CORE_TOPO_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define GT_MAX_LEVELS 8
#define GT_MAX_MODELS 32
#define GT_NODE_MAX_GPUS 32 /* per node: the free-GPU mask is 32 bits */
#define GT_BINS 16          /* cnt_ge tracks p = 1..16 */
#define GT_NPRIO 4          /* priority classes: low, normal, high, critical */
#define GT_NONE UINT32_MAX

typedef enum { GT_NODE_UP = 0, GT_NODE_DRAINING, GT_NODE_DOWN } gt_node_state;

/* What a leaf node offers. */
typedef struct {
    int gpus;              /* 0 .. GT_NODE_MAX_GPUS */
    const char *gpu_model; /* NULL or "" when gpus == 0 */
    int cpus;              /* cores, >= 1 */
    int64_t mem_mb;        /* memory in MiB, >= 0 */
    int pool;              /* 0: a fixed node; else a slot of pool index pool - 1, which an
                              agent claims when it registers with that pool (gantryd) */
    int64_t gpu_mem_mb;    /* memory of each GPU in MiB; 0: not known (shares asking for GPU
                              memory do not go there) */
} gt_node_spec;

#define GT_MILLI 1000 /* a whole GPU, in the thousandths that shares ask for */

#define GT_MAX_POOLS 32

typedef struct gt_topo {
    /* Levels, top (0, the root's) to bottom (nlevels-1, nodes). */
    int nlevels;
    char level_names[GT_MAX_LEVELS][24];
    int nmodels;
    char model_names[GT_MAX_MODELS][32];
    int npools;
    char pool_names[GT_MAX_POOLS][24];
    int finalized;
    int has_cpu_only; /* some node has no GPUs: CPU-only work goes there */

    uint32_t nv, cap;
    /* Tree shape. */
    uint32_t *parent, *child0, *nchild;
    uint8_t *level;
    uint32_t *name_off; /* into names */
    char *names;
    uint64_t names_len, names_cap;
    /* Node attributes (meaningful where level == nlevels-1). */
    int16_t *n_gpus;
    uint8_t *n_model;
    uint8_t *n_state;
    int32_t *n_cpus, *n_cpus_free;
    int64_t *n_mem, *n_mem_free;
    uint32_t *n_gpu_free_mask;
    uint32_t *n_gpu_off_mask; /* GPUs not to be used (missing, unhealthy): never free */
    uint8_t *n_pool;          /* gt_node_spec.pool: 0, or its pool's index + 1 */
    int64_t *n_gpu_mem;       /* gt_node_spec.gpu_mem_mb */
    uint32_t *n_gpu0;         /* its first GPU's index in the per-GPU arrays */
    /* Per GPU (ngpus_all, node by node): what shares hold of it. */
    uint16_t *gpu_milli;
    int64_t *gpu_mem_used;
    uint32_t ngpus_all;
    /* Aggregates. */
    int32_t *gpus_total, *gpus_free;
    int64_t *cpus_total, *cpus_free;
    uint32_t *cnt_ge; /* nv * GT_BINS */
    int32_t *max_cpus;
    int16_t *share_max;
    uint32_t *models;
    int32_t *held; /* nv * GT_NPRIO */
    int32_t *borrowed;
    uint32_t *nodes_below; /* nodes under v, any state */
    uint32_t nnodes;
    uint32_t max_node_gpus;
    int32_t model_max_gpus[GT_MAX_MODELS];    /* largest node of each model */
    int32_t max_node_cpus, max_cpu_node_cpus; /* any node; CPU-only nodes */
    int64_t max_node_mem;
    int64_t max_gpu_mem; /* most memory of one GPU (0: no node says) */
    /* Largest number of nodes under one vertex of each level. */
    uint32_t level_max_nodes[GT_MAX_LEVELS];
    /* Name lookup (open addressing, built by finalize). */
    uint32_t *hash;
    uint32_t hash_cap;
} gt_topo;

/* New empty fleet with the given level names (top to bottom, 2..GT_MAX_LEVELS; the last
 * is the node level). NULL names gives cluster, block, domain, node. Returns NULL on OOM or
 * bad levels (err filled). Adds the root vertex (builder index 0, level 0) named `root`. */
gt_topo *gt_topo_new(const char *const *levels, int nlevels, const char *root, gt_error *err);
void gt_topo_free(gt_topo *t);

/* Add a vertex under builder index `parent` at `level` (> parent's level). A node
 * (level == nlevels-1) needs `node`; a group passes NULL. Returns the builder index or
 * GT_NONE with err filled (bad level, bad node spec, too many models, OOM). */
uint32_t gt_topo_add(gt_topo *t, uint32_t parent, int level, const char *name,
                     const gt_node_spec *node, gt_error *err);

/* Renumber breadth-first, compute aggregates and the name index. Fails (err) on duplicate
 * names, a group with no nodes below it, or an empty fleet. */
gt_err gt_topo_finalize(gt_topo *t, gt_error *err);

/* Lookups (after finalize). GT_NONE / -1 when absent. */
uint32_t gt_topo_find(const gt_topo *t, const char *name);
int gt_topo_level_index(const gt_topo *t, const char *name);
int gt_topo_model_index(const gt_topo *t, const char *name);
/* A node pool by name: its index, or -1. gt_topo_pool_add also adds it (before
 * finalizing): the index + 1 for gt_node_spec.pool, or 0 when there are GT_MAX_POOLS. */
int gt_topo_pool_index(const gt_topo *t, const char *name);
int gt_topo_pool_add(gt_topo *t, const char *name);
const char *gt_topo_name(const gt_topo *t, uint32_t v);

static inline int gt_topo_is_node(const gt_topo *t, uint32_t v) {
    return t->level[v] == t->nlevels - 1;
}
/* Nodes under v with at least p free GPUs, counted by walking (for p > GT_BINS). */
uint32_t gt_topo_cap_walk(const gt_topo *t, uint32_t v, int p);

/* Nodes under v with at least p free GPUs (p <= 0: all nodes). O(1) for p <= GT_BINS. */
static inline uint32_t gt_topo_cap(const gt_topo *t, uint32_t v, int p) {
    if (p <= 0)
        return t->nodes_below[v];
    if (p <= GT_BINS)
        return t->cnt_ge[(size_t)v * GT_BINS + p - 1];
    return gt_topo_cap_walk(t, v, p);
}

/* Resource accounting on node n. take: the GPUs in `mask` must be free, and cores/memory
 * available; give returns them. Both update every ancestor's aggregates in O(depth).
 * `prio` and `borrowed` attribute the GPUs for preemption counters. */
void gt_topo_take(gt_topo *t, uint32_t n, uint32_t mask, int32_t cpus, int64_t mem, int prio,
                  int borrowed);
void gt_topo_give(gt_topo *t, uint32_t n, uint32_t mask, int32_t cpus, int64_t mem, int prio,
                  int borrowed);
/* A share of GPU `gpu` (an index on node n) for one unit: `milli` thousandths (1..1000)
 * and `gpu_mem` MiB of its memory, plus cores and memory of the node. take: the GPU must be
 * free or shared with room left; it leaves the free mask while shares hold it. give: the
 * GPU is free again once its last share is given back (unless it is off). O(depth x
 * fan-out) for share_max. */
void gt_topo_take_share(gt_topo *t, uint32_t n, int gpu, int milli, int64_t gpu_mem, int32_t cpus,
                        int64_t mem);
void gt_topo_give_share(gt_topo *t, uint32_t n, int gpu, int milli, int64_t gpu_mem, int32_t cpus,
                        int64_t mem);
/* Thousandths of GPU `gpu` of node n that a share may still take (1000 when it is free, 0
 * when held whole, off, or the node is not UP), and its memory left (0 when unknown). */
int gt_topo_gpu_room(const gt_topo *t, uint32_t n, int gpu);
int64_t gt_topo_gpu_mem_room(const gt_topo *t, uint32_t n, int gpu);
/* GPUs `off` of node n are not to be used from now on (a node whose agent found fewer
 * GPUs, or a GPU whose health check failed); `held` says which GPUs running work holds.
 * The free GPUs become those neither held nor off; a held GPU that is off does not come
 * free when its work gives it back. Aggregates follow. */
void gt_topo_gpus_off(gt_topo *t, uint32_t n, uint32_t off, uint32_t held);
/* Change a node's state; aggregates follow (a node that is not UP offers nothing). The
 * scheduler comes here through its node lifecycle table (core/node_lifecycle.c); tests of
 * the fleet alone call it directly. */
void gt_topo_set_state(gt_topo *t, uint32_t n, gt_node_state s);

/* Lowest common ancestor of two vertices. */
uint32_t gt_topo_lca(const gt_topo *t, uint32_t a, uint32_t b);

/* Recompute every aggregate from the nodes and compare; GT_E_OK or GT_E_STATE with the
 * first difference described in err. O(fleet): for tests and debug builds. */
gt_err gt_topo_check(const gt_topo *t, gt_error *err);

#endif
