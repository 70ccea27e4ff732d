/* SPDX-License-Identifier: MIT
 * The fleet tree: building, breadth-first renumbering, and O(depth) aggregate upkeep.
 *
 * Every change to a node goes through node_update(): it computes the node's *effective*
 * contribution before and after (zero when the node is not UP) and pushes the difference
 * up the tree. max_cpus is the only aggregate that is not a sum; when a child's value
 * drops and it was the maximum, the parent is recomputed over its (contiguous) children,
 * and the walk stops as soon as an ancestor's maximum does not change. */
#include "core/topo.h"

#include "util/bits.h"
#include "util/vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_levels[] = {"cluster", "block", "domain", "node"};

/* ---- growable storage for the builder ---- */

#define GROW(t, f, cap) gt_vec_resize((void **)&(t)->f, (cap), sizeof *(t)->f)

/* The per-vertex arrays share one capacity. */
static int reserve_vertices(gt_topo *t, uint32_t need) {
    if (need <= t->cap)
        return 1;
    size_t cap = gt_vec_grow_cap(t->cap, need, 64, UINT32_MAX);
    if (!cap)
        return 0;
    int ok = GROW(t, parent, cap) && GROW(t, level, cap) && GROW(t, name_off, cap) &&
             GROW(t, n_gpus, cap) && GROW(t, n_model, cap) && GROW(t, n_cpus, cap) &&
             GROW(t, n_mem, cap) && GROW(t, n_pool, cap) && GROW(t, n_gpu_mem, cap);
    if (ok)
        t->cap = (uint32_t)cap;
    return ok;
}

static uint32_t add_name(gt_topo *t, const char *name) {
    size_t n = strlen(name) + 1;
    if (t->names_len + n > t->names_cap) {
        size_t cap = t->names_cap;
        if (!gt_vec_reserve_from((void **)&t->names, &cap, t->names_len + n, 1, 4096))
            return GT_NONE;
        t->names_cap = cap;
    }
    memcpy(t->names + t->names_len, name, n);
    uint32_t off = (uint32_t)t->names_len;
    t->names_len += n;
    return off;
}

gt_topo *gt_topo_new(const char *const *levels, int nlevels, const char *root, gt_error *err) {
    if (!levels) {
        levels = default_levels;
        nlevels = 4;
    }
    if (nlevels < 2 || nlevels > GT_MAX_LEVELS) {
        gt_fail(err, GT_E_RANGE, NULL, "levels: need 2 to %d level names, got %d", GT_MAX_LEVELS,
                nlevels);
        return NULL;
    }
    gt_topo *t = calloc(1, sizeof *t);
    if (!t) {
        gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
        return NULL;
    }
    t->nlevels = nlevels;
    for (int i = 0; i < nlevels; i++) {
        size_t len = strlen(levels[i]);
        if (len == 0 || len >= sizeof t->level_names[0]) {
            gt_fail(err, GT_E_INVALID, NULL, "levels: name %d must be 1 to %zu characters", i,
                    sizeof t->level_names[0] - 1);
            gt_topo_free(t);
            return NULL;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(levels[j], levels[i])) {
                gt_fail(err, GT_E_INVALID, NULL, "levels: '%s' appears twice", levels[i]);
                gt_topo_free(t);
                return NULL;
            }
        memcpy(t->level_names[i], levels[i], len + 1);
    }
    if (!reserve_vertices(t, 1) || add_name(t, root ? root : "cluster") == GT_NONE) {
        gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
        gt_topo_free(t);
        return NULL;
    }
    t->nv = 1;
    t->parent[0] = GT_NONE;
    t->level[0] = 0;
    t->name_off[0] = 0;
    t->n_gpus[0] = 0;
    t->n_model[0] = 0;
    t->n_cpus[0] = 0;
    t->n_mem[0] = 0;
    return t;
}

void gt_topo_free(gt_topo *t) {
    if (!t)
        return;
    void *arrays[] = {t->parent,     t->child0,          t->nchild,       t->level,
                      t->name_off,   t->names,           t->n_gpus,       t->n_model,
                      t->n_state,    t->n_cpus,          t->n_cpus_free,  t->n_mem,
                      t->n_mem_free, t->n_gpu_free_mask, t->gpus_total,   t->n_gpu_off_mask,
                      t->n_pool,     t->gpus_free,       t->cpus_total,   t->cpus_free,
                      t->cnt_ge,     t->max_cpus,        t->models,       t->held,
                      t->borrowed,   t->nodes_below,     t->hash,         t->n_gpu_mem,
                      t->n_gpu0,     t->gpu_milli,       t->gpu_mem_used, t->share_max};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        free(arrays[i]);
    free(t);
}

static int model_index_or_add(gt_topo *t, const char *model, gt_error *err) {
    for (int i = 0; i < t->nmodels; i++)
        if (!strcmp(t->model_names[i], model))
            return i;
    if (t->nmodels == GT_MAX_MODELS) {
        gt_fail(err, GT_E_LIMIT, NULL, "gpu_model: at most %d GPU models", GT_MAX_MODELS);
        return -1;
    }
    if (!model[0] || strlen(model) >= sizeof t->model_names[0]) {
        gt_fail(err, GT_E_INVALID, NULL, "gpu_model: must be 1 to %zu characters",
                sizeof t->model_names[0] - 1);
        return -1;
    }
    strcpy(t->model_names[t->nmodels], model);
    return t->nmodels++;
}

static gt_err check_node_spec(const gt_node_spec *n, gt_error *err) {
    if (n->gpus < 0 || n->gpus > GT_NODE_MAX_GPUS)
        return gt_fail(err, GT_E_RANGE, NULL, "gpus: must be 0 to %d", GT_NODE_MAX_GPUS);
    if (n->cpus < 1 || n->cpus > (1 << 20))
        return gt_fail(err, GT_E_RANGE, NULL, "cpus: must be 1 to %d", 1 << 20);
    if (n->mem_mb < 0 || n->mem_mb > (1LL << 40))
        return gt_fail(err, GT_E_RANGE, NULL, "memory: must be 0 to 2^40 MiB");
    if (n->gpus > 0 && (!n->gpu_model || !n->gpu_model[0]))
        return gt_fail(err, GT_E_INVALID, NULL, "gpu_model: required when gpus > 0");
    if (n->gpu_mem_mb < 0 || n->gpu_mem_mb > (1LL << 30))
        return gt_fail(err, GT_E_RANGE, NULL, "gpu_memory: must be 0 to 2^30 MiB");
    return GT_E_OK;
}

uint32_t gt_topo_add(gt_topo *t, uint32_t parent, int level, const char *name,
                     const gt_node_spec *node, gt_error *err) {
    if (t->finalized || parent >= t->nv) {
        gt_fail(err, GT_E_STATE, NULL, "no parent vertex %u", parent);
        return GT_NONE;
    }
    if (level <= t->level[parent] || level >= t->nlevels) {
        gt_fail(err, GT_E_INVALID, NULL, "'%s': level must be below its parent's ('%s')", name,
                t->level_names[t->level[parent]]);
        return GT_NONE;
    }
    if (t->level[parent] == t->nlevels - 1) {
        gt_fail(err, GT_E_INVALID, NULL, "'%s': a node cannot have children", name);
        return GT_NONE;
    }
    int is_node = level == t->nlevels - 1;
    if (is_node != (node != NULL)) {
        gt_fail(err, GT_E_INVALID, NULL, "'%s': %s", name,
                is_node ? "a node needs gpus/cpus/memory" : "only nodes have resources");
        return GT_NONE;
    }
    if (!name || !name[0] || strlen(name) > 255) {
        gt_fail(err, GT_E_INVALID, NULL, "vertex name must be 1 to 255 characters");
        return GT_NONE;
    }
    int model = 0;
    if (node) {
        if (check_node_spec(node, err) != GT_E_OK)
            return GT_NONE;
        if (node->gpus > 0 && (model = model_index_or_add(t, node->gpu_model, err)) < 0)
            return GT_NONE;
    }
    uint32_t off;
    if (t->nv == UINT32_MAX - 1 || !reserve_vertices(t, t->nv + 1) ||
        (off = add_name(t, name)) == GT_NONE) {
        gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
        return GT_NONE;
    }
    uint32_t v = t->nv++;
    t->parent[v] = parent;
    t->level[v] = (uint8_t)level;
    t->name_off[v] = off;
    t->n_gpus[v] = (int16_t)(node ? node->gpus : 0);
    t->n_model[v] = (uint8_t)model;
    t->n_cpus[v] = node ? node->cpus : 0;
    t->n_mem[v] = node ? node->mem_mb : 0;
    t->n_pool[v] = (uint8_t)(node && node->pool > 0 && node->pool <= t->npools ? node->pool : 0);
    t->n_gpu_mem[v] = node && node->gpus > 0 ? node->gpu_mem_mb : 0;
    return v;
}

/* ---- finalize: breadth-first renumbering ---- */

/* Builder-index order of a breadth-first walk; children keep insertion order. */
static uint32_t *bfs_order(const gt_topo *t) {
    uint32_t n = t->nv;
    uint32_t *cnt = calloc((size_t)n + 1, sizeof *cnt);
    uint32_t *kids = malloc(sizeof *kids * n);
    uint32_t *order = malloc(sizeof *order * n);
    if (!cnt || !kids || !order) {
        free(cnt);
        free(kids);
        free(order);
        return NULL;
    }
    for (uint32_t v = 1; v < n; v++)
        cnt[t->parent[v] + 1]++;
    for (uint32_t v = 0; v < n; v++)
        cnt[v + 1] += cnt[v];
    for (uint32_t v = 1; v < n; v++)
        kids[cnt[t->parent[v]]++] = v; /* cnt[p] now ends p's range */
    uint32_t head = 0, tail = 0;
    order[tail++] = 0;
    while (head < tail) {
        uint32_t v = order[head++];
        uint32_t start = v ? cnt[v - 1] : 0;
        for (uint32_t i = start; i < cnt[v]; i++)
            order[tail++] = kids[i];
    }
    free(cnt);
    free(kids);
    return order;
}

#define PERMUTE(t, f, order, n)                                                                    \
    do {                                                                                           \
        __typeof__((t)->f) tmp_ = malloc(sizeof *(t)->f * (n));                                    \
        if (!tmp_)                                                                                 \
            goto oom;                                                                              \
        for (uint32_t i_ = 0; i_ < (n); i_++)                                                      \
            tmp_[i_] = (t)->f[(order)[i_]];                                                        \
        free((t)->f);                                                                              \
        (t)->f = tmp_;                                                                             \
    } while (0)

static int renumber(gt_topo *t) {
    uint32_t n = t->nv;
    uint32_t *order = bfs_order(t);
    uint32_t *newidx = order ? malloc(sizeof *newidx * n) : NULL;
    if (!newidx)
        goto oom;
    for (uint32_t i = 0; i < n; i++)
        newidx[order[i]] = i;
    PERMUTE(t, parent, order, n);
    PERMUTE(t, level, order, n);
    PERMUTE(t, name_off, order, n);
    PERMUTE(t, n_gpus, order, n);
    PERMUTE(t, n_model, order, n);
    PERMUTE(t, n_cpus, order, n);
    PERMUTE(t, n_mem, order, n);
    PERMUTE(t, n_pool, order, n);
    PERMUTE(t, n_gpu_mem, order, n);
    for (uint32_t i = 1; i < n; i++)
        t->parent[i] = newidx[t->parent[i]];
    free(order);
    free(newidx);
    return 1;
oom:
    free(order);
    free(newidx);
    return 0;
}

static int alloc_runtime(gt_topo *t) {
    size_t n = t->nv;
#define CALLOC(f, k) ((t->f = calloc(n * (k), sizeof *t->f)) != NULL)
    return CALLOC(child0, 1) && CALLOC(nchild, 1) && CALLOC(n_state, 1) && CALLOC(n_cpus_free, 1) &&
           CALLOC(n_mem_free, 1) && CALLOC(n_gpu_free_mask, 1) && CALLOC(n_gpu_off_mask, 1) &&
           CALLOC(gpus_total, 1) && CALLOC(gpus_free, 1) && CALLOC(cpus_total, 1) &&
           CALLOC(cpus_free, 1) && CALLOC(cnt_ge, GT_BINS) && CALLOC(max_cpus, 1) &&
           CALLOC(models, 1) && CALLOC(held, GT_NPRIO) && CALLOC(borrowed, 1) &&
           CALLOC(nodes_below, 1) && CALLOC(share_max, 1) && CALLOC(n_gpu0, 1);
#undef CALLOC
}

static uint32_t full_mask(int gpus) {
    return gpus >= 32 ? UINT32_MAX : ((1u << gpus) - 1u);
}

static int counts_cpus(const gt_topo *t, uint32_t n) {
    return !t->has_cpu_only || t->n_gpus[n] == 0;
}

/* Thousandths a share may still take of GPU g of node n (see gt_topo_gpu_room). */
static int gpu_room(const gt_topo *t, uint32_t n, int g) {
    if (t->n_state[n] != GT_NODE_UP || ((t->n_gpu_off_mask[n] >> g) & 1u))
        return 0;
    if ((t->n_gpu_free_mask[n] >> g) & 1u)
        return GT_MILLI;
    int used = t->gpu_milli[t->n_gpu0[n] + (uint32_t)g];
    return used ? GT_MILLI - used : 0;
}

static int16_t node_share_max(const gt_topo *t, uint32_t n) {
    int m = 0;
    for (int g = 0; g < t->n_gpus[n] && m < GT_MILLI; g++) {
        int r = gpu_room(t, n, g);
        if (r > m)
            m = r;
    }
    return (int16_t)m;
}

/* A node's own aggregates from its current state. */
static void node_self(gt_topo *t, uint32_t n) {
    int up = t->n_state[n] == GT_NODE_UP;
    int g = up ? gt_popcount32(t->n_gpu_free_mask[n]) : 0;
    t->gpus_total[n] = t->n_gpus[n];
    t->gpus_free[n] = g;
    t->cpus_total[n] = t->n_cpus[n];
    t->cpus_free[n] = up ? t->n_cpus_free[n] : 0;
    for (int p = 1; p <= GT_BINS; p++)
        t->cnt_ge[(size_t)n * GT_BINS + p - 1] = g >= p;
    t->max_cpus[n] = up && counts_cpus(t, n) ? t->n_cpus_free[n] : 0;
    t->share_max[n] = node_share_max(t, n);
    t->models[n] = t->n_gpus[n] ? 1u << t->n_model[n] : 0;
    t->nodes_below[n] = 1;
}

/* Fold child c's aggregates into parent p (sums, max, or). */
static void fold_child(gt_topo *t, uint32_t p, uint32_t c) {
    t->gpus_total[p] += t->gpus_total[c];
    t->gpus_free[p] += t->gpus_free[c];
    t->cpus_total[p] += t->cpus_total[c];
    t->cpus_free[p] += t->cpus_free[c];
    for (int b = 0; b < GT_BINS; b++)
        t->cnt_ge[(size_t)p * GT_BINS + b] += t->cnt_ge[(size_t)c * GT_BINS + b];
    if (t->max_cpus[c] > t->max_cpus[p])
        t->max_cpus[p] = t->max_cpus[c];
    if (t->share_max[c] > t->share_max[p])
        t->share_max[p] = t->share_max[c];
    t->models[p] |= t->models[c];
    for (int k = 0; k < GT_NPRIO; k++)
        t->held[(size_t)p * GT_NPRIO + k] += t->held[(size_t)c * GT_NPRIO + k];
    t->borrowed[p] += t->borrowed[c];
    t->nodes_below[p] += t->nodes_below[c];
}

/* Recompute aggregates of every vertex from the nodes up (children come after parents). */
static void aggregate_all(gt_topo *t) {
    for (uint32_t v = t->nv; v-- > 0;) {
        if (gt_topo_is_node(t, v)) {
            node_self(t, v);
            continue;
        }
        t->gpus_total[v] = t->gpus_free[v] = 0;
        t->cpus_total[v] = t->cpus_free[v] = 0;
        memset(&t->cnt_ge[(size_t)v * GT_BINS], 0, sizeof *t->cnt_ge * GT_BINS);
        t->max_cpus[v] = 0;
        t->share_max[v] = 0;
        t->models[v] = 0;
        memset(&t->held[(size_t)v * GT_NPRIO], 0, sizeof *t->held * GT_NPRIO);
        t->borrowed[v] = 0;
        t->nodes_below[v] = 0;
        for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
            fold_child(t, v, c);
    }
}

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static gt_err build_hash(gt_topo *t, gt_error *err) {
    uint32_t cap = 16;
    while (cap < t->nv * 2u)
        cap *= 2;
    t->hash = calloc(cap, sizeof *t->hash);
    if (!t->hash)
        return gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
    t->hash_cap = cap;
    for (uint32_t v = 0; v < t->nv; v++) {
        const char *name = gt_topo_name(t, v);
        uint32_t i = (uint32_t)fnv1a(name) & (cap - 1);
        for (; t->hash[i]; i = (i + 1) & (cap - 1))
            if (!strcmp(gt_topo_name(t, t->hash[i] - 1), name))
                return gt_fail(err, GT_E_EXISTS, NULL, "duplicate vertex name '%s'", name);
        t->hash[i] = v + 1;
    }
    return GT_E_OK;
}

static void link_children(gt_topo *t) {
    for (uint32_t v = 1; v < t->nv; v++) {
        uint32_t p = t->parent[v];
        if (t->nchild[p]++ == 0)
            t->child0[p] = v;
    }
}

static int init_nodes(gt_topo *t) {
    for (uint32_t v = 0; v < t->nv; v++) {
        if (!gt_topo_is_node(t, v))
            continue;
        t->n_gpu0[v] = t->ngpus_all;
        t->ngpus_all += (uint32_t)t->n_gpus[v];
        t->nnodes++;
        t->n_state[v] = GT_NODE_UP;
        t->n_cpus_free[v] = t->n_cpus[v];
        t->n_mem_free[v] = t->n_mem[v];
        t->n_gpu_free_mask[v] = full_mask(t->n_gpus[v]);
        if (t->n_gpus[v] == 0)
            t->has_cpu_only = 1;
        if ((uint32_t)t->n_gpus[v] > t->max_node_gpus)
            t->max_node_gpus = (uint32_t)t->n_gpus[v];
        if (t->n_gpus[v] > t->model_max_gpus[t->n_model[v]])
            t->model_max_gpus[t->n_model[v]] = t->n_gpus[v];
        if (t->n_cpus[v] > t->max_node_cpus)
            t->max_node_cpus = t->n_cpus[v];
        if (t->n_gpus[v] == 0 && t->n_cpus[v] > t->max_cpu_node_cpus)
            t->max_cpu_node_cpus = t->n_cpus[v];
        if (t->n_mem[v] > t->max_node_mem)
            t->max_node_mem = t->n_mem[v];
        if (t->n_gpu_mem[v] > t->max_gpu_mem)
            t->max_gpu_mem = t->n_gpu_mem[v];
    }
    size_t g = t->ngpus_all ? t->ngpus_all : 1;
    t->gpu_milli = calloc(g, sizeof *t->gpu_milli);
    t->gpu_mem_used = calloc(g, sizeof *t->gpu_mem_used);
    return t->gpu_milli && t->gpu_mem_used;
}

gt_err gt_topo_finalize(gt_topo *t, gt_error *err) {
    if (t->finalized)
        return gt_fail(err, GT_E_STATE, NULL, "fleet already finalized");
    if (!renumber(t) || !alloc_runtime(t))
        return gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
    link_children(t);
    if (!init_nodes(t))
        return gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
    if (t->nnodes == 0)
        return gt_fail(err, GT_E_INVALID, NULL, "fleet: no nodes");
    for (uint32_t v = 0; v < t->nv; v++)
        if (!gt_topo_is_node(t, v) && t->nchild[v] == 0)
            return gt_fail(err, GT_E_INVALID, NULL, "'%s': a %s with no nodes below it",
                           gt_topo_name(t, v), t->level_names[t->level[v]]);
    aggregate_all(t);
    for (uint32_t v = 0; v < t->nv; v++)
        if (t->nodes_below[v] > t->level_max_nodes[t->level[v]])
            t->level_max_nodes[t->level[v]] = t->nodes_below[v];
    gt_err e = build_hash(t, err);
    if (e == GT_E_OK)
        t->finalized = 1;
    return e;
}

/* ---- lookups ---- */

const char *gt_topo_name(const gt_topo *t, uint32_t v) {
    return t->names + t->name_off[v];
}

uint32_t gt_topo_find(const gt_topo *t, const char *name) {
    if (!t->hash)
        return GT_NONE;
    uint32_t i = (uint32_t)fnv1a(name) & (t->hash_cap - 1);
    for (; t->hash[i]; i = (i + 1) & (t->hash_cap - 1))
        if (!strcmp(gt_topo_name(t, t->hash[i] - 1), name))
            return t->hash[i] - 1;
    return GT_NONE;
}

int gt_topo_level_index(const gt_topo *t, const char *name) {
    for (int i = 0; i < t->nlevels; i++)
        if (!strcmp(t->level_names[i], name))
            return i;
    return -1;
}

int gt_topo_pool_index(const gt_topo *t, const char *name) {
    for (int i = 0; name && i < t->npools; i++)
        if (!strcmp(t->pool_names[i], name))
            return i;
    return -1;
}

int gt_topo_pool_add(gt_topo *t, const char *name) {
    int i = gt_topo_pool_index(t, name);
    if (i >= 0)
        return i + 1;
    if (t->npools >= GT_MAX_POOLS || t->finalized)
        return 0;
    snprintf(t->pool_names[t->npools], sizeof t->pool_names[0], "%s", name);
    return ++t->npools;
}

int gt_topo_model_index(const gt_topo *t, const char *name) {
    for (int i = 0; i < t->nmodels; i++)
        if (!strcmp(t->model_names[i], name))
            return i;
    return -1;
}

static uint32_t cap_walk(const gt_topo *t, uint32_t v, int p) {
    if (gt_topo_is_node(t, v))
        return t->n_state[v] == GT_NODE_UP && gt_popcount32(t->n_gpu_free_mask[v]) >= p;
    uint32_t sum = 0;
    for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
        if (t->cnt_ge[(size_t)c * GT_BINS + GT_BINS - 1])
            sum += cap_walk(t, c, p);
    return sum;
}

uint32_t gt_topo_cap_walk(const gt_topo *t, uint32_t v, int p) {
    return cap_walk(t, v, p);
}

uint32_t gt_topo_lca(const gt_topo *t, uint32_t a, uint32_t b) {
    while (a != b) {
        if (t->level[a] >= t->level[b])
            a = t->parent[a];
        else
            b = t->parent[b];
    }
    return a;
}

/* ---- accounting ---- */

typedef struct {
    int gpus;     /* effective free GPUs */
    int64_t cpus; /* effective free cores */
    int32_t maxc; /* effective max_cpus contribution */
} node_eff;

static node_eff effective(const gt_topo *t, uint32_t n) {
    node_eff e = {0, 0, 0};
    if (t->n_state[n] != GT_NODE_UP)
        return e;
    e.gpus = gt_popcount32(t->n_gpu_free_mask[n]);
    e.cpus = t->n_cpus_free[n];
    e.maxc = counts_cpus(t, n) ? t->n_cpus_free[n] : 0;
    return e;
}

static void bins_shift(gt_topo *t, uint32_t v, int g0, int g1) {
    uint32_t *c = &t->cnt_ge[(size_t)v * GT_BINS];
    if (g0 > GT_BINS)
        g0 = GT_BINS;
    if (g1 > GT_BINS)
        g1 = GT_BINS;
    for (int p = g0 + 1; p <= g1; p++)
        c[p - 1]++;
    for (int p = g1 + 1; p <= g0; p++)
        c[p - 1]--;
}

static int32_t children_max(const gt_topo *t, uint32_t v) {
    int32_t m = 0;
    for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
        if (t->max_cpus[c] > m)
            m = t->max_cpus[c];
    return m;
}

/* Push a node's change of effective contribution (a -> b) up to the root. */
static void propagate(gt_topo *t, uint32_t n, node_eff a, node_eff b) {
    int32_t old_child = t->max_cpus[n], new_child = b.maxc;
    int max_live = old_child != new_child;
    t->max_cpus[n] = new_child;
    for (uint32_t v = n; v != GT_NONE; v = t->parent[v]) {
        t->gpus_free[v] += b.gpus - a.gpus;
        t->cpus_free[v] += b.cpus - a.cpus;
        bins_shift(t, v, a.gpus, b.gpus);
        if (!max_live || v == n)
            continue;
        int32_t before = t->max_cpus[v];
        if (new_child > before)
            t->max_cpus[v] = new_child;
        else if (old_child == before && new_child < old_child)
            t->max_cpus[v] = children_max(t, v);
        old_child = before;
        new_child = t->max_cpus[v];
        max_live = old_child != new_child;
    }
}

static int16_t children_share_max(const gt_topo *t, uint32_t v) {
    int16_t m = 0;
    for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
        if (t->share_max[c] > m)
            m = t->share_max[c];
    return m;
}

/* share_max is a maximum, kept as max_cpus is: recomputed over a parent's children only when
 * the child that was the maximum drops, and only while an ancestor's value changes. */
static void share_update(gt_topo *t, uint32_t n) {
    int16_t old_child = t->share_max[n], new_child = node_share_max(t, n);
    t->share_max[n] = new_child;
    for (uint32_t v = t->parent[n]; v != GT_NONE && old_child != new_child; v = t->parent[v]) {
        int16_t before = t->share_max[v];
        if (new_child > before)
            t->share_max[v] = new_child;
        else if (old_child == before && new_child < old_child)
            t->share_max[v] = children_share_max(t, v);
        old_child = before;
        new_child = t->share_max[v];
    }
}

static void attribute(gt_topo *t, uint32_t n, int gpus, int prio, int borrowed) {
    for (uint32_t v = n; v != GT_NONE; v = t->parent[v]) {
        t->held[(size_t)v * GT_NPRIO + prio] += gpus;
        if (borrowed)
            t->borrowed[v] += gpus;
    }
}

void gt_topo_take(gt_topo *t, uint32_t n, uint32_t mask, int32_t cpus, int64_t mem, int prio,
                  int borrowed) {
    node_eff a = effective(t, n);
    t->n_gpu_free_mask[n] &= ~mask;
    t->n_cpus_free[n] -= cpus;
    t->n_mem_free[n] -= mem;
    propagate(t, n, a, effective(t, n));
    share_update(t, n);
    if (mask)
        attribute(t, n, gt_popcount32(mask), prio, borrowed);
}

void gt_topo_give(gt_topo *t, uint32_t n, uint32_t mask, int32_t cpus, int64_t mem, int prio,
                  int borrowed) {
    node_eff a = effective(t, n);
    t->n_gpu_free_mask[n] |= mask & ~t->n_gpu_off_mask[n];
    t->n_cpus_free[n] += cpus;
    t->n_mem_free[n] += mem;
    propagate(t, n, a, effective(t, n));
    share_update(t, n);
    if (mask)
        attribute(t, n, -gt_popcount32(mask), prio, borrowed ? 1 : 0);
}

int gt_topo_gpu_room(const gt_topo *t, uint32_t n, int gpu) {
    return gpu >= 0 && gpu < t->n_gpus[n] ? gpu_room(t, n, gpu) : 0;
}

int64_t gt_topo_gpu_mem_room(const gt_topo *t, uint32_t n, int gpu) {
    if (gpu < 0 || gpu >= t->n_gpus[n] || !t->n_gpu_mem[n])
        return 0;
    return t->n_gpu_mem[n] - t->gpu_mem_used[t->n_gpu0[n] + (uint32_t)gpu];
}

void gt_topo_take_share(gt_topo *t, uint32_t n, int gpu, int milli, int64_t gpu_mem, int32_t cpus,
                        int64_t mem) {
    node_eff a = effective(t, n);
    uint32_t g = t->n_gpu0[n] + (uint32_t)gpu;
    t->n_gpu_free_mask[n] &= ~(1u << gpu);
    t->gpu_milli[g] = (uint16_t)(t->gpu_milli[g] + milli);
    t->gpu_mem_used[g] += gpu_mem;
    t->n_cpus_free[n] -= cpus;
    t->n_mem_free[n] -= mem;
    propagate(t, n, a, effective(t, n));
    share_update(t, n);
}

void gt_topo_give_share(gt_topo *t, uint32_t n, int gpu, int milli, int64_t gpu_mem, int32_t cpus,
                        int64_t mem) {
    node_eff a = effective(t, n);
    uint32_t g = t->n_gpu0[n] + (uint32_t)gpu;
    t->gpu_milli[g] = (uint16_t)(t->gpu_milli[g] - milli);
    t->gpu_mem_used[g] -= gpu_mem;
    if (!t->gpu_milli[g] && !((t->n_gpu_off_mask[n] >> gpu) & 1u))
        t->n_gpu_free_mask[n] |= 1u << gpu;
    t->n_cpus_free[n] += cpus;
    t->n_mem_free[n] += mem;
    propagate(t, n, a, effective(t, n));
    share_update(t, n);
}

void gt_topo_gpus_off(gt_topo *t, uint32_t n, uint32_t off, uint32_t held) {
    node_eff a = effective(t, n);
    uint32_t all = full_mask(t->n_gpus[n]);
    t->n_gpu_off_mask[n] = off & all;
    t->n_gpu_free_mask[n] = all & ~held & ~t->n_gpu_off_mask[n];
    propagate(t, n, a, effective(t, n));
    share_update(t, n);
}

void gt_topo_set_state(gt_topo *t, uint32_t n, gt_node_state s) {
    node_eff a = effective(t, n);
    t->n_state[n] = (uint8_t)s;
    propagate(t, n, a, effective(t, n));
    share_update(t, n);
}

/* ---- invariants ---- */

static gt_err check_node(const gt_topo *t, uint32_t n, gt_error *err) {
    const char *nm = gt_topo_name(t, n);
    if (t->n_gpu_free_mask[n] & ~full_mask(t->n_gpus[n]))
        return gt_fail(err, GT_E_STATE, nm, "free mask has GPUs the node lacks");
    if (t->n_gpu_free_mask[n] & t->n_gpu_off_mask[n])
        return gt_fail(err, GT_E_STATE, nm, "a GPU that is off is free");
    if (t->n_cpus_free[n] < 0 || t->n_cpus_free[n] > t->n_cpus[n])
        return gt_fail(err, GT_E_STATE, nm, "free cores %d outside 0..%d", t->n_cpus_free[n],
                       t->n_cpus[n]);
    if (t->n_mem_free[n] < 0 || t->n_mem_free[n] > t->n_mem[n])
        return gt_fail(err, GT_E_STATE, nm, "free memory outside 0..total");
    for (int g = 0; g < t->n_gpus[n]; g++) {
        uint32_t i = t->n_gpu0[n] + (uint32_t)g;
        int whole_free = (t->n_gpu_free_mask[n] >> g) & 1u;
        if (t->gpu_milli[i] > GT_MILLI || (whole_free && t->gpu_milli[i]))
            return gt_fail(err, GT_E_STATE, nm, "GPU %d: shares hold %d thousandths", g,
                           t->gpu_milli[i]);
        if (t->gpu_mem_used[i] < 0 || (t->gpu_mem_used[i] && !t->gpu_milli[i]) ||
            (t->n_gpu_mem[n] && t->gpu_mem_used[i] > t->n_gpu_mem[n]))
            return gt_fail(err, GT_E_STATE, nm, "GPU %d: shares hold %lld MiB", g,
                           (long long)t->gpu_mem_used[i]);
    }
    if (t->share_max[n] != node_share_max(t, n))
        return gt_fail(err, GT_E_STATE, nm, "share_max differs from recount");
    return GT_E_OK;
}

static gt_err compare_vertex(const gt_topo *t, const gt_topo *r, uint32_t v, gt_error *err) {
    const char *nm = gt_topo_name(t, v);
#define SAME(f, k)                                                                                 \
    if (memcmp(&t->f[(size_t)v * (k)], &r->f[(size_t)v * (k)], sizeof *t->f * (k)))                \
        return gt_fail(err, GT_E_STATE, nm, "aggregate %s differs from recount", #f);
    SAME(gpus_total, 1)
    SAME(gpus_free, 1)
    SAME(cpus_total, 1)
    SAME(cpus_free, 1)
    SAME(cnt_ge, GT_BINS)
    SAME(max_cpus, 1)
    SAME(share_max, 1)
    SAME(models, 1)
    SAME(nodes_below, 1)
#undef SAME
    return GT_E_OK;
}

/* held[] and borrowed[] are sums over children (nodes are the truth for them). */
static gt_err check_held(const gt_topo *t, gt_error *err) {
    for (uint32_t v = 0; v < t->nv; v++) {
        if (gt_topo_is_node(t, v))
            continue;
        int64_t h[GT_NPRIO] = {0}, b = 0;
        for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++) {
            for (int k = 0; k < GT_NPRIO; k++)
                h[k] += t->held[(size_t)c * GT_NPRIO + k];
            b += t->borrowed[c];
        }
        for (int k = 0; k < GT_NPRIO; k++)
            if (h[k] != t->held[(size_t)v * GT_NPRIO + k])
                return gt_fail(err, GT_E_STATE, gt_topo_name(t, v), "held[%d] differs", k);
        if (b != t->borrowed[v])
            return gt_fail(err, GT_E_STATE, gt_topo_name(t, v), "borrowed differs");
    }
    return GT_E_OK;
}

gt_err gt_topo_check(const gt_topo *t, gt_error *err) {
    /* Recount into a shallow copy that shares the node arrays but owns fresh aggregates. */
    gt_topo r = *t;
    size_t n = t->nv;
    r.gpus_total = malloc(n * sizeof *r.gpus_total);
    r.gpus_free = malloc(n * sizeof *r.gpus_free);
    r.cpus_total = malloc(n * sizeof *r.cpus_total);
    r.cpus_free = malloc(n * sizeof *r.cpus_free);
    r.cnt_ge = malloc(n * GT_BINS * sizeof *r.cnt_ge);
    r.max_cpus = malloc(n * sizeof *r.max_cpus);
    r.share_max = malloc(n * sizeof *r.share_max);
    r.models = malloc(n * sizeof *r.models);
    r.held = calloc(n * GT_NPRIO, sizeof *r.held);
    r.borrowed = calloc(n, sizeof *r.borrowed);
    r.nodes_below = malloc(n * sizeof *r.nodes_below);
    gt_err e = GT_E_OK;
    if (!r.gpus_total || !r.gpus_free || !r.cpus_total || !r.cpus_free || !r.cnt_ge ||
        !r.max_cpus || !r.share_max || !r.models || !r.held || !r.borrowed || !r.nodes_below)
        e = gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
    if (e == GT_E_OK) {
        aggregate_all(&r);
        for (uint32_t v = 0; v < t->nv && e == GT_E_OK; v++)
            e = gt_topo_is_node(t, v) ? check_node(t, v, err) : compare_vertex(t, &r, v, err);
    }
    if (e == GT_E_OK)
        e = check_held(t, err);
    free(r.gpus_total);
    free(r.gpus_free);
    free(r.cpus_total);
    free(r.cpus_free);
    free(r.cnt_ge);
    free(r.max_cpus);
    free(r.share_max);
    free(r.models);
    free(r.held);
    free(r.borrowed);
    free(r.nodes_below);
    return e;
}
