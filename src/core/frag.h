/* SPDX-License-Identifier: MIT
 * Fragmentation: how much of a node's free GPU capacity the work that arrives cannot use.
 *
 * After FGD (Weng et al., "Beware of Fragmentation", USENIX ATC '23). The workload is a set
 * of request classes with weights, learned online from the requests the scheduler sees (each
 * observation adds 1, older ones decay). For one class, a node's *stranded* capacity is the
 * free GPU capacity (in thousandths of a GPU) that class cannot use there:
 *   - all of it, when the class cannot run on the node at all (model, cores, memory, too
 *     few GPUs with room) or asks for no GPU;
 *   - for a share of m thousandths: the room of every GPU with less than m left;
 *   - for whole GPUs: the room of every GPU that shares already use.
 * A node's fragmentation is the weighted mean over classes. A placement is scored by how
 * much it raises the fragmentation of its node: the least is best.
 *
 * Pure: no allocation, no clock. The model is a plain value the caller owns. */
#ifndef GT_CORE_FRAG_H
#define GT_CORE_FRAG_H

#include "core/place.h"

#define GT_FRAG_CLASSES 48

typedef struct {
    int32_t gpus;  /* whole GPUs on one node; 0 and milli 0: CPU-only */
    int32_t milli; /* a share of one GPU (gpus 1), 0: whole */
    int32_t cpus;
    int64_t mem, gpu_mem;
    uint32_t models; /* allowed GPU models, 0: any */
    double w;
} gt_frag_class;

typedef struct gt_frag_model {
    gt_frag_class c[GT_FRAG_CLASSES];
    int n;
    double total; /* sum of the weights */
    double gangs; /* the part of total from units of several nodes (gangs) */
    double keep;  /* each observation multiplies older weights by this (0 < keep <= 1) */
} gt_frag_model;

/* An empty model whose observations have a half-life of `half_life` later observations
 * (0: no decay). */
void gt_frag_init(gt_frag_model *m, double half_life);

/* Count n requests of this shape (the shape of one of its nodes; a job's units x nodes).
 * Similar requests share a class (same GPUs, share within 1/40 of a GPU, cores and memory
 * within a factor of about 1.4, same models); when every class is taken the lightest gives
 * way. */
void gt_frag_observe(gt_frag_model *m, const gt_shape *sh, double n);

/* Gangs (units of several nodes) are at least this part of the recent requests, or fewer
 * than GT_FRAG_GANG_SEEN requests have been seen: gangs need whole nodes, so whole-GPU units
 * take the node with the fewest free GPUs that holds them (as plain best fit) and the score
 * only chooses among such nodes (core/place.c). */
#define GT_FRAG_GANG_SHARE 0.01
#define GT_FRAG_GANG_SEEN 256.0
int gt_frag_gangs_matter(const gt_frag_model *m);

/* A node as fragmentation sees it: the room of each GPU for shares, its cores and memory. */
typedef struct {
    int ngpus, model;
    int16_t room[GT_NODE_MAX_GPUS];
    int64_t mem_room[GT_NODE_MAX_GPUS];
    int32_t cpus;
    int64_t mem;
} gt_frag_node;

void gt_frag_node_of(const gt_topo *t, uint32_t n, gt_frag_node *v);
/* Apply a slot of this shape to the view (the GPUs in `mask`). */
void gt_frag_node_take(gt_frag_node *v, const gt_shape *sh, uint32_t mask);

/* Expected stranded capacity of the node, in thousandths of a GPU (0 with no classes). */
double gt_frag_of(const gt_frag_model *m, const gt_frag_node *v);

#endif
