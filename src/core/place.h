/* SPDX-License-Identifier: MIT
 * Placement: find nodes for one gang ("unit") of `nodes` nodes, each with `gpus_per_node`
 * GPUs (of `model`), `cpus_per_node` cores and `mem_per_node` MiB, all-or-nothing.
 *
 * Best fit (topology-aware): the gang goes inside the smallest subtree that can hold it
 * (its *span*: node, then domain, then block, ...) and, among the subtrees of that level that
 * can, into the fullest one (fewest free GPUs), so that empty domains and blocks stay whole
 * for the next big gang. Inside the chosen subtree, a child that can hold the rest of the
 * gang is preferred (again the fullest such), otherwise the child with the most room is
 * filled first; on a node's level the nodes with the fewest free GPUs that still fit are
 * taken. A single-node request descends straight to the fullest node that fits exactly
 * (smallest free count >= request) using the cnt_ge bins, in O(depth x fan-out).
 *
 * First fit (the baseline): nodes in index order, ignoring topology except a hard
 * `max_level` constraint.
 *
 * A gang of several nodes that names no GPU model is still placed on nodes of one model
 * (the one that gives the smallest span), in both modes.
 *
 * A share (gpu_milli 1..999: part of one GPU, on one node) goes to a GPU that shares already
 * use when one has room, else to a free GPU. CPU-only work goes first where it strands no
 * GPU: to CPU-only nodes, else to the subtree and node with the fewest free GPUs.
 *
 * With a fragmentation model in the scratch (best fit only), a request for one node is
 * scored: the search descends as above to the lowest group that can hold it (for whole GPUs,
 * the fullest group with a node of exactly q free GPUs, q the least there is) and takes, of
 * that group's nodes, the one whose expected stranded GPU capacity (core/frag.h) plus a
 * packing weight on what stays free grows least. While gangs are part of the workload (or
 * little of it has been seen) whole GPUs keep to the nodes with exactly q free, so that
 * nodes stay whole for gangs, and the score only chooses among them.
 * Cost: O(depth x fan-out + fan-out x classes x GPUs per node).
 *
 * Pure: reads the fleet, writes only `out` and the caller's scratch. No allocation. */
#ifndef GT_CORE_PLACE_H
#define GT_CORE_PLACE_H

#include "core/topo.h"

typedef struct {
    int32_t nodes;         /* k >= 1 */
    int32_t gpus_per_node; /* 0: a CPU-only request */
    int32_t cpus_per_node;
    int64_t mem_per_node;
    int model;         /* -1: any GPU model */
    int max_level;     /* the span must be at this level or deeper (0: anywhere) */
    uint32_t models;   /* a set of allowed GPU models (bit i: model i); 0: any */
    int32_t gpu_milli; /* 1..999: a share of one GPU (nodes 1, gpus_per_node 1); 0: whole */
    int64_t gpu_mem;   /* a share's memory on its GPU in MiB (0: none asked) */
} gt_shape;

typedef struct {
    uint32_t node;
    uint32_t mask; /* GPUs on that node (a share: its one GPU) */
    int32_t cpus;
    int32_t milli; /* a share: thousandths of the GPU in mask; 0: the GPUs whole */
    int64_t mem;
    int64_t gpu_mem; /* a share: MiB of its GPU's memory */
} gt_slot;

typedef enum { GT_PLACE_BESTFIT = 0, GT_PLACE_FIRSTFIT } gt_place_mode;

struct gt_frag_model;

/* Scratch the search needs, sized for one fleet; reuse it across calls. */
typedef struct {
    const struct gt_frag_model *frag; /* NULL: no scoring (the caller sets it) */
    uint8_t *mark;                    /* nv flags, all zero between calls */
    uint32_t *touched;                /* vertices whose mark is set */
    uint32_t ntouched, cap;
    uint32_t *cand; /* candidate vertices */
    uint32_t ncand;
} gt_place_scratch;

gt_err gt_place_scratch_init(gt_place_scratch *s, const gt_topo *t);
void gt_place_scratch_free(gt_place_scratch *s);

/* Find a placement under vertex `under` (0: the whole fleet). On success returns 1, fills
 * out[0 .. shape->nodes-1] (in node order of the search) and *span (the lowest vertex that
 * encloses every slot). Returns 0 when the shape does not fit now. Does not change the fleet:
 * the caller takes the slots with gt_topo_take. */
int gt_place(const gt_topo *t, const gt_shape *shape, gt_place_mode mode, uint32_t under,
             gt_place_scratch *s, gt_slot *out, uint32_t *span);

/* Could the shape ever fit on this fleet if it were empty and every node up? */
int gt_place_possible(const gt_topo *t, const gt_shape *shape);

/* Does node n take the shape now (state, model, GPUs or a share, cores, memory)? */
int gt_place_node_fits(const gt_topo *t, uint32_t n, const gt_shape *shape);

/* Take / give back a slot's resources (a share or whole GPUs) with gt_topo_take(_share). */
void gt_place_take(gt_topo *t, const gt_slot *sl, int prio, int borrowed);
void gt_place_give(gt_topo *t, const gt_slot *sl, int prio, int borrowed);

#endif
