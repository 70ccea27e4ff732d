/* SPDX-License-Identifier: MIT
 * Placement search; the strategy is described in place.h. Fill marks live in the scratch
 * `mark` array and are cleared through the `touched` list after every attempt. */
#include "core/place.h"

#include "core/frag.h"
#include "util/bits.h"

#include <stdlib.h>

gt_err gt_place_scratch_init(gt_place_scratch *s, const gt_topo *t) {
    s->mark = calloc(t->nv, 1);
    s->touched = malloc(sizeof *s->touched * t->nv);
    s->cand = malloc(sizeof *s->cand * t->nv);
    s->ntouched = s->ncand = 0;
    s->cap = t->nv;
    s->frag = NULL;
    if (!s->mark || !s->touched || !s->cand) {
        gt_place_scratch_free(s);
        return GT_E_NOMEM;
    }
    return GT_E_OK;
}

void gt_place_scratch_free(gt_place_scratch *s) {
    if (!s)
        return;
    free(s->mark);
    free(s->touched);
    free(s->cand);
    s->mark = NULL;
    s->touched = s->cand = NULL;
}

static void mark(gt_place_scratch *s, uint32_t v) {
    if (!s->mark[v]) {
        s->mark[v] = 1;
        s->touched[s->ntouched++] = v;
    }
}

static void unmark_all(gt_place_scratch *s) {
    for (uint32_t i = 0; i < s->ntouched; i++)
        s->mark[s->touched[i]] = 0;
    s->ntouched = 0;
}

static int model_ok(const gt_topo *t, uint32_t v, const gt_shape *sh) {
    return sh->gpus_per_node == 0 || ((sh->model < 0 || ((t->models[v] >> sh->model) & 1u)) &&
                                      (!sh->models || (t->models[v] & sh->models)));
}

/* The GPU of node n a share goes to: the one with the least room that still holds it (a
 * GPU that shares already use before a free one); -1 when none does. */
static int share_gpu(const gt_topo *t, uint32_t n, const gt_shape *sh) {
    int best = -1, best_room = GT_MILLI + 1;
    for (int g = 0; g < t->n_gpus[n]; g++) {
        int r = gt_topo_gpu_room(t, n, g);
        if (r >= sh->gpu_milli && r < best_room &&
            (!sh->gpu_mem || gt_topo_gpu_mem_room(t, n, g) >= sh->gpu_mem)) {
            best = g;
            best_room = r;
        }
    }
    return best;
}

static int node_fits(const gt_topo *t, uint32_t n, const gt_shape *sh) {
    if (t->n_state[n] != GT_NODE_UP)
        return 0;
    if (sh->gpus_per_node == 0) {
        if (t->has_cpu_only && t->n_gpus[n] != 0)
            return 0;
    } else if ((sh->model >= 0 && t->n_model[n] != sh->model) ||
               (sh->models && !((sh->models >> t->n_model[n]) & 1u)) || !t->n_gpus[n]) {
        return 0;
    } else if (sh->gpu_milli > 0 ? t->share_max[n] < sh->gpu_milli || share_gpu(t, n, sh) < 0
                                 : gt_popcount32(t->n_gpu_free_mask[n]) < sh->gpus_per_node) {
        return 0;
    }
    return t->n_cpus_free[n] >= sh->cpus_per_node && t->n_mem_free[n] >= sh->mem_per_node;
}

int gt_place_node_fits(const gt_topo *t, uint32_t n, const gt_shape *sh) {
    return gt_topo_is_node(t, n) && node_fits(t, n, sh);
}

/* Upper bound on the nodes under v that fit the shape now. */
static uint32_t bound(const gt_topo *t, uint32_t v, const gt_shape *sh) {
    if (!model_ok(t, v, sh))
        return 0;
    if (sh->gpu_milli > 0)
        return t->share_max[v] >= sh->gpu_milli ? t->nodes_below[v] : 0;
    if (sh->gpus_per_node > 0)
        return gt_topo_cap(t, v, sh->gpus_per_node);
    return t->max_cpus[v] >= sh->cpus_per_node ? t->nodes_below[v] : 0;
}

/* Preference key: fewer free resources = fuller = preferred. */
static int64_t fullness(const gt_topo *t, uint32_t v, const gt_shape *sh) {
    return sh->gpus_per_node > 0 ? t->gpus_free[v] : t->cpus_free[v];
}

static gt_slot make_slot(const gt_topo *t, uint32_t n, const gt_shape *sh) {
    if (sh->gpu_milli > 0) {
        int g = share_gpu(t, n, sh);
        gt_slot s = {n, 1u << g, sh->cpus_per_node, sh->gpu_milli, sh->mem_per_node, sh->gpu_mem};
        return s;
    }
    uint32_t m = t->n_gpu_free_mask[n], take = 0;
    for (int i = 0; i < sh->gpus_per_node; i++) {
        uint32_t low = m & -m; /* lowest free GPU: local ranks follow index order */
        take |= low;
        m &= ~low;
    }
    gt_slot s = {n, take, sh->cpus_per_node, 0, sh->mem_per_node, 0};
    return s;
}

/* ---- single node, best fit ---- */

static uint32_t exact_count(const gt_topo *t, uint32_t v, int q) {
    const uint32_t *c = &t->cnt_ge[(size_t)v * GT_BINS];
    return q >= GT_BINS ? c[GT_BINS - 1] : c[q - 1] - c[q];
}

/* Descend to a node with exactly q free GPUs (>= q in the last bin) that fits, fullest first. */
static uint32_t descend_gpu(const gt_topo *t, uint32_t v, int q, const gt_shape *sh,
                            gt_place_scratch *s) {
    if (gt_topo_is_node(t, v)) {
        int f = gt_popcount32(t->n_gpu_free_mask[v]);
        return (f == q || (q >= GT_BINS && f >= q)) && node_fits(t, v, sh) ? v : GT_NONE;
    }
    for (;;) {
        uint32_t best = GT_NONE;
        for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
            if (!s->mark[c] && exact_count(t, c, q) && model_ok(t, c, sh) &&
                (best == GT_NONE || t->gpus_free[c] < t->gpus_free[best]))
                best = c;
        if (best == GT_NONE)
            return GT_NONE;
        uint32_t n = descend_gpu(t, best, q, sh, s);
        if (n != GT_NONE)
            return n;
        mark(s, best);
    }
}

/* Descend to a node for CPU-only work: the subtree with the fewest free GPUs (where it strands
 * none), then the fewest free cores that still fit. */
static uint32_t descend_cpu(const gt_topo *t, uint32_t v, const gt_shape *sh, gt_place_scratch *s) {
    if (gt_topo_is_node(t, v))
        return node_fits(t, v, sh) ? v : GT_NONE;
    for (;;) {
        uint32_t best = GT_NONE;
        for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
            if (!s->mark[c] && t->max_cpus[c] >= sh->cpus_per_node &&
                (best == GT_NONE || t->gpus_free[c] < t->gpus_free[best] ||
                 (t->gpus_free[c] == t->gpus_free[best] && t->max_cpus[c] < t->max_cpus[best])))
                best = c;
        if (best == GT_NONE)
            return GT_NONE;
        uint32_t n = descend_cpu(t, best, sh, s);
        if (n != GT_NONE)
            return n;
        mark(s, best);
    }
}

/* Descend to a node for a share: the subtree whose best GPU room is the least that holds it
 * (fewest free GPUs on ties). */
static uint32_t descend_share(const gt_topo *t, uint32_t v, const gt_shape *sh,
                              gt_place_scratch *s) {
    if (gt_topo_is_node(t, v))
        return node_fits(t, v, sh) ? v : GT_NONE;
    for (;;) {
        uint32_t best = GT_NONE;
        for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
            if (!s->mark[c] && bound(t, c, sh) &&
                (best == GT_NONE || t->share_max[c] < t->share_max[best] ||
                 (t->share_max[c] == t->share_max[best] && t->gpus_free[c] < t->gpus_free[best])))
                best = c;
        if (best == GT_NONE)
            return GT_NONE;
        uint32_t n = descend_share(t, best, sh, s);
        if (n != GT_NONE)
            return n;
        mark(s, best);
    }
}

/* ---- single node, scored by fragmentation ---- */

static int children_are_nodes(const gt_topo *t, uint32_t v);

typedef struct {
    double delta;  /* growth of the node's fragmentation */
    int64_t room;  /* its free GPU thousandths after (fewer: fuller, preferred) */
    int64_t cpus;  /* its free cores after */
    uint32_t mask; /* the GPUs the slot takes */
} score_t;

static int64_t room_sum(const gt_frag_node *v) {
    int64_t r = 0;
    for (int g = 0; g < v->ngpus; g++)
        r += v->room[g];
    return r;
}

static score_t score_take(const gt_frag_model *m, const gt_frag_node *v, double before,
                          const gt_shape *sh, uint32_t mask) {
    gt_frag_node a = *v;
    gt_frag_node_take(&a, sh, mask);
    score_t r = {gt_frag_of(m, &a) - before, room_sum(&a), a.cpus, mask};
    return r;
}

/* Each free thousandth of a GPU left on the node after a placement weighs `pack` of a
 * stranded one: among placements that strand about as much, the fuller node wins. The weight
 * grows as the group fills: PACK_WEIGHT when half its GPUs are free, twice that at a quarter,
 * and so on (at most 50 times): while most of the fleet is free, keeping its shapes usable
 * matters most; once little is, packing what remains tightly does (measured on the openb
 * trace with bench/frag_openb.c: 95.49% allocated at 100% against 95.13% with a fixed
 * weight, 4 seeds). Exact ties go to the fuller node, then the one with fewer free cores. */
#define PACK_WEIGHT 0.005

static double pack_weight(const gt_topo *t, uint32_t group) {
    double free = t->gpus_total[group] ? (double)t->gpus_free[group] / t->gpus_total[group] : 0.5;
    return PACK_WEIGHT * 0.5 / (free > 0.01 ? free : 0.01);
}

static int better(const score_t *a, const score_t *b, double pack) {
    double x = a->delta + pack * (double)a->room, y = b->delta + pack * (double)b->room, eps = 1e-9;
    if (x < y - eps)
        return 1;
    if (x > y + eps)
        return 0;
    return a->room < b->room || (a->room == b->room && a->cpus < b->cpus);
}

/* The best way to put the shape on node n (which fits it). */
static score_t score_node(const gt_topo *t, uint32_t n, const gt_shape *sh,
                          const gt_frag_model *m) {
    gt_frag_node v;
    gt_frag_node_of(t, n, &v);
    double before = gt_frag_of(m, &v);
    if (sh->gpu_milli <= 0)
        return score_take(m, &v, before, sh, make_slot(t, n, sh).mask);
    score_t best = {0, 0, 0, 0};
    for (int g = 0; g < v.ngpus; g++) {
        if (v.room[g] < sh->gpu_milli || (sh->gpu_mem && v.mem_room[g] < sh->gpu_mem))
            continue;
        score_t c = score_take(m, &v, before, sh, 1u << g);
        if (!best.mask || better(&c, &best, 0))
            best = c;
    }
    return best;
}

/* Preference among the groups on the way down: the fullest that may hold the shape. */
static int group_before(const gt_topo *t, uint32_t a, uint32_t b, const gt_shape *sh) {
    if (t->gpus_free[a] != t->gpus_free[b])
        return t->gpus_free[a] < t->gpus_free[b];
    if (sh->gpu_milli > 0)
        return t->share_max[a] < t->share_max[b];
    return t->cpus_free[a] < t->cpus_free[b];
}

/* q > 0 (whole GPUs): descend only into groups with a node that has exactly q free GPUs (at
 * least q in the last bin), as plain best fit does; the nodes of the group reached are all
 * scored, or only those with q free GPUs when gangs are a part of the workload. */
static uint32_t scored(const gt_topo *t, uint32_t v, const gt_shape *sh, gt_place_scratch *s, int q,
                       uint32_t *mask) {
    if (gt_topo_is_node(t, v)) {
        if (!node_fits(t, v, sh))
            return GT_NONE;
        *mask = score_node(t, v, sh, s->frag).mask;
        return v;
    }
    if (children_are_nodes(t, v)) {
        uint32_t best = GT_NONE;
        score_t bs = {0, 0, 0, 0};
        double pack = pack_weight(t, v);
        /* with gangs about, only the nodes with exactly q free GPUs (gt_frag_gangs_matter) */
        int exact = q > 0 && q < GT_BINS && gt_frag_gangs_matter(s->frag);
        for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++) {
            if (!node_fits(t, c, sh) || (exact && gt_popcount32(t->n_gpu_free_mask[c]) != q))
                continue;
            score_t sc = score_node(t, c, sh, s->frag);
            if (best == GT_NONE || better(&sc, &bs, pack)) {
                best = c;
                bs = sc;
            }
        }
        *mask = bs.mask;
        return best;
    }
    for (;;) {
        uint32_t best = GT_NONE;
        for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
            if (!s->mark[c] &&
                (q > 0 ? exact_count(t, c, q) && model_ok(t, c, sh) : bound(t, c, sh)) &&
                (best == GT_NONE || group_before(t, c, best, sh)))
                best = c;
        if (best == GT_NONE)
            return GT_NONE;
        uint32_t n = scored(t, best, sh, s, q, mask);
        if (n != GT_NONE)
            return n;
        mark(s, best);
    }
}

static int single_node(const gt_topo *t, uint32_t under, const gt_shape *sh, gt_place_scratch *s,
                       gt_slot *out) {
    uint32_t n = GT_NONE;
    if (s->frag) {
        uint32_t mask = 0;
        if (sh->gpus_per_node > 0 && sh->gpu_milli <= 0) {
            int top = (int)t->max_node_gpus < GT_BINS ? (int)t->max_node_gpus : GT_BINS;
            for (int q = sh->gpus_per_node; q <= top && n == GT_NONE; q++) {
                if (exact_count(t, under, q))
                    n = scored(t, under, sh, s, q, &mask);
                unmark_all(s);
            }
        } else {
            n = scored(t, under, sh, s, 0, &mask);
            unmark_all(s);
        }
        if (n == GT_NONE)
            return 0;
        *out = make_slot(t, n, sh);
        out->mask = mask;
        return 1;
    }
    if (sh->gpu_milli > 0) {
        n = descend_share(t, under, sh, s);
    } else if (sh->gpus_per_node == 0) {
        n = descend_cpu(t, under, sh, s);
    } else {
        int top = (int)t->max_node_gpus < GT_BINS ? (int)t->max_node_gpus : GT_BINS;
        for (int q = sh->gpus_per_node; q <= top && n == GT_NONE; q++) {
            if (exact_count(t, under, q))
                n = descend_gpu(t, under, q, sh, s);
            unmark_all(s);
        }
    }
    unmark_all(s);
    if (n == GT_NONE)
        return 0;
    *out = make_slot(t, n, sh);
    return 1;
}

/* ---- gangs: fill a subtree ---- */

static int children_are_nodes(const gt_topo *t, uint32_t v) {
    for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
        if (!gt_topo_is_node(t, c))
            return 0;
    return 1;
}

/* All of v's children are nodes: take the fullest that fit (fewest free GPUs first) in one
 * sweep per free count. */
static int32_t fill_nodes(const gt_topo *t, uint32_t v, int32_t want, const gt_shape *sh,
                          gt_slot *out, int32_t *n) {
    int32_t got = 0;
    uint32_t end = t->child0[v] + t->nchild[v];
    for (int q = sh->gpus_per_node; q <= (int)t->max_node_gpus && got < want; q++)
        for (uint32_t c = t->child0[v]; c < end && got < want; c++)
            if (gt_popcount32(t->n_gpu_free_mask[c]) == q && node_fits(t, c, sh)) {
                out[(*n)++] = make_slot(t, c, sh);
                got++;
            }
    return got;
}

/* Take up to `want` fitting nodes under v into out[*n..]; returns how many were taken.
 * A child that holds the whole remainder is preferred (fullest such); otherwise the child
 * with the most room (fullest on ties) is filled first. */
static int32_t fill(const gt_topo *t, uint32_t v, int32_t want, const gt_shape *sh,
                    gt_place_scratch *s, gt_slot *out, int32_t *n) {
    if (gt_topo_is_node(t, v)) {
        if (!node_fits(t, v, sh))
            return 0;
        out[(*n)++] = make_slot(t, v, sh);
        return 1;
    }
    if (sh->gpus_per_node > 0 && children_are_nodes(t, v))
        return fill_nodes(t, v, want, sh, out, n);
    int32_t got = 0;
    while (got < want) {
        int32_t rest = want - got;
        uint32_t whole = GT_NONE, most = GT_NONE, most_b = 0;
        for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++) {
            if (s->mark[c])
                continue;
            uint32_t b = bound(t, c, sh);
            if (b == 0)
                continue;
            int64_t f = fullness(t, c, sh);
            if (b >= (uint32_t)rest && (whole == GT_NONE || f < fullness(t, whole, sh)))
                whole = c;
            if (b > most_b || (b == most_b && f < fullness(t, most, sh))) {
                most = c;
                most_b = b;
            }
        }
        uint32_t c = whole != GT_NONE ? whole : most;
        if (c == GT_NONE)
            break;
        mark(s, c);
        got += fill(t, c,
                    whole != GT_NONE ? rest
                                     : (int32_t)(most_b < (uint32_t)rest ? most_b : (uint32_t)rest),
                    sh, s, out, n);
    }
    return got;
}

/* Vertices of exactly level L under v whose bound admits the gang, into s->cand. */
static void collect(const gt_topo *t, uint32_t v, int L, const gt_shape *sh, gt_place_scratch *s) {
    if (t->level[v] > L || bound(t, v, sh) < (uint32_t)sh->nodes)
        return;
    if (t->level[v] == L) {
        s->cand[s->ncand++] = v;
        return;
    }
    for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
        collect(t, c, L, sh, s);
}

/* Remove and return the fullest candidate (lowest index on ties). */
static uint32_t pop_fullest(const gt_topo *t, const gt_shape *sh, gt_place_scratch *s) {
    uint32_t bi = 0;
    for (uint32_t i = 1; i < s->ncand; i++) {
        int64_t a = fullness(t, s->cand[i], sh), b = fullness(t, s->cand[bi], sh);
        if (a < b || (a == b && s->cand[i] < s->cand[bi]))
            bi = i;
    }
    uint32_t v = s->cand[bi];
    s->cand[bi] = s->cand[--s->ncand];
    return v;
}

static int try_fill(const gt_topo *t, uint32_t v, const gt_shape *sh, gt_place_scratch *s,
                    gt_slot *out) {
    int32_t n = 0;
    int ok = fill(t, v, sh->nodes, sh, s, out, &n) == sh->nodes;
    unmark_all(s);
    return ok;
}

/* The fullest vertex of exactly level L under v that admits the gang (GT_NONE if none):
 * one walk, nothing stored. */
static void best_at(const gt_topo *t, uint32_t v, int L, const gt_shape *sh, uint32_t *best) {
    if (t->level[v] > L || bound(t, v, sh) < (uint32_t)sh->nodes)
        return;
    if (t->level[v] == L) {
        if (*best == GT_NONE || fullness(t, v, sh) < fullness(t, *best, sh))
            *best = v;
        return;
    }
    for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
        best_at(t, c, L, sh, best);
}

/* Deepest level first; at each, the fullest candidate (almost always enough), then the
 * rest in order of fullness when its upper bound was not met exactly. */
static int bestfit_gang(const gt_topo *t, uint32_t under, const gt_shape *sh, gt_place_scratch *s,
                        gt_slot *out) {
    int lo = sh->max_level > t->level[under] ? sh->max_level : t->level[under];
    for (int L = t->nlevels - 1; L >= lo; L--) {
        if (t->level_max_nodes[L] < (uint32_t)sh->nodes)
            continue;
        uint32_t best = GT_NONE;
        best_at(t, under, L, sh, &best);
        if (best == GT_NONE)
            continue;
        if (try_fill(t, best, sh, s, out))
            return 1;
        s->ncand = 0;
        collect(t, under, L, sh, s);
        while (s->ncand > 0) {
            uint32_t v = pop_fullest(t, sh, s);
            if (v != best && try_fill(t, v, sh, s, out))
                return 1;
        }
    }
    return 0;
}

/* ---- first fit ---- */

static int32_t ff_take(const gt_topo *t, uint32_t v, int32_t want, const gt_shape *sh, gt_slot *out,
                       int32_t *n) {
    if (gt_topo_is_node(t, v)) {
        if (!node_fits(t, v, sh))
            return 0;
        out[(*n)++] = make_slot(t, v, sh);
        return 1;
    }
    int32_t got = 0;
    for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v] && got < want; c++)
        if (bound(t, c, sh) > 0)
            got += ff_take(t, c, want - got, sh, out, n);
    return got;
}

static int ff_within(const gt_topo *t, uint32_t v, const gt_shape *sh, gt_slot *out) {
    if (bound(t, v, sh) < (uint32_t)sh->nodes || t->level[v] > sh->max_level)
        return 0;
    if (t->level[v] == sh->max_level) {
        int32_t n = 0;
        return ff_take(t, v, sh->nodes, sh, out, &n) == sh->nodes;
    }
    for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
        if (ff_within(t, c, sh, out))
            return 1;
    return 0;
}

static int firstfit(const gt_topo *t, uint32_t under, const gt_shape *sh, gt_slot *out) {
    if (sh->max_level > t->level[under])
        return ff_within(t, under, sh, out);
    int32_t n = 0;
    return ff_take(t, under, sh->nodes, sh, out, &n) == sh->nodes;
}

/* ---- entry points ---- */

static uint32_t span_of(const gt_topo *t, const gt_slot *out, int32_t k) {
    uint32_t v = out[0].node;
    for (int32_t i = 1; i < k; i++)
        v = gt_topo_lca(t, v, out[i].node);
    return v;
}

static int place_any(const gt_topo *t, const gt_shape *sh, gt_place_mode mode, uint32_t under,
                     gt_place_scratch *s, gt_slot *out, uint32_t *span) {
    if (sh->nodes < 1 || bound(t, under, sh) < (uint32_t)sh->nodes)
        return 0;
    int ok;
    if (mode == GT_PLACE_FIRSTFIT) {
        ok = firstfit(t, under, sh, out);
    } else if (sh->nodes == 1 && sh->gpus_per_node <= GT_BINS) {
        ok = single_node(t, under, sh, s, out);
    } else {
        ok = bestfit_gang(t, under, sh, s, out);
    }
    if (ok && span)
        *span = span_of(t, out, sh->nodes);
    return ok;
}

/* A gang of several nodes that names no GPU model still runs on one model: ranks of
 * different speeds hold the whole gang back. Try each model present and keep the smallest
 * span (the lowest model index on ties), then place again with it (the search is pure). */
static int place_one_model(const gt_topo *t, const gt_shape *sh, gt_place_mode mode, uint32_t under,
                           gt_place_scratch *s, gt_slot *out, uint32_t *span) {
    gt_shape m = *sh;
    int best = -1, best_level = -1, last = -1;
    uint32_t best_span = GT_NONE;
    for (int i = 0; i < t->nmodels; i++) {
        uint32_t sp;
        m.model = i;
        if (!((t->models[under] >> i) & 1u) || !place_any(t, &m, mode, under, s, out, &sp))
            continue;
        last = i;
        if (t->level[sp] > best_level) {
            best = i;
            best_level = t->level[sp];
            best_span = sp;
        }
    }
    if (best < 0)
        return 0;
    if (best != last) { /* `out` holds the last model's placement: redo the best one */
        m.model = best;
        return place_any(t, &m, mode, under, s, out, span);
    }
    if (span)
        *span = best_span;
    return 1;
}

int gt_place(const gt_topo *t, const gt_shape *sh, gt_place_mode mode, uint32_t under,
             gt_place_scratch *s, gt_slot *out, uint32_t *span) {
    uint32_t mask = t->models[under];
    if (sh->model < 0 && sh->gpus_per_node > 0 && sh->nodes > 1 && (mask & (mask - 1)))
        return place_one_model(t, sh, mode, under, s, out, span);
    return place_any(t, sh, mode, under, s, out, span);
}

int gt_place_possible(const gt_topo *t, const gt_shape *sh) {
    if (sh->nodes < 1 || sh->max_level < 0 || sh->max_level >= t->nlevels)
        return 0;
    if ((uint32_t)sh->nodes > t->level_max_nodes[sh->max_level])
        return 0;
    if (sh->gpus_per_node > 0) {
        int32_t g = sh->model >= 0 ? t->model_max_gpus[sh->model] : (int32_t)t->max_node_gpus;
        if (sh->models) {
            g = 0;
            for (int i = 0; i < t->nmodels; i++)
                if (((sh->models >> i) & 1u) && t->model_max_gpus[i] > g &&
                    (sh->model < 0 || sh->model == i))
                    g = t->model_max_gpus[i];
        }
        if (sh->gpus_per_node > g)
            return 0;
    }
    if (sh->gpu_milli < 0 || sh->gpu_milli >= GT_MILLI ||
        (sh->gpu_milli > 0 && (sh->nodes != 1 || sh->gpus_per_node != 1)) ||
        (sh->gpu_mem > 0 && (sh->gpu_milli <= 0 || sh->gpu_mem > t->max_gpu_mem)))
        return 0;
    int32_t c = sh->gpus_per_node == 0 && t->has_cpu_only ? t->max_cpu_node_cpus : t->max_node_cpus;
    return sh->cpus_per_node <= c && sh->mem_per_node <= t->max_node_mem;
}

void gt_place_take(gt_topo *t, const gt_slot *sl, int prio, int borrowed) {
    if (sl->milli > 0)
        gt_topo_take_share(t, sl->node, __builtin_ctz(sl->mask), sl->milli, sl->gpu_mem, sl->cpus,
                           sl->mem);
    else
        gt_topo_take(t, sl->node, sl->mask, sl->cpus, sl->mem, prio, borrowed);
}

void gt_place_give(gt_topo *t, const gt_slot *sl, int prio, int borrowed) {
    if (sl->milli > 0)
        gt_topo_give_share(t, sl->node, __builtin_ctz(sl->mask), sl->milli, sl->gpu_mem, sl->cpus,
                           sl->mem);
    else
        gt_topo_give(t, sl->node, sl->mask, sl->cpus, sl->mem, prio, borrowed);
}
