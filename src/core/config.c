/* SPDX-License-Identifier: MIT
 * The cluster config: YAML text -> gt_config (a finalized fleet, tenants, slowdowns and
 * scheduler settings). Uses libyaml's document API: the whole document is loaded as a
 * graph of nodes (each with its line and column), then walked with small field tables.
 * This file holds the grammar (levels, tenants, scheduler, the fleet); the strict reading of
 * scalars and key tables is in config_yaml.c (config_int.h).
 *
 * Schema (every key is optional unless marked "required"; unknown keys are errors):
 *
 *   levels: [cluster, block, domain, node]  # 2..8 names, top to bottom; the last one is
 *                                           # the node level. Default: this list.
 *   root: mycluster                         # name of the root vertex; default "cluster"
 *   slowdown: {domain: 1.0, block: 1.10, cluster: 1.25}
 *       # Runtime factor of a gang whose span is that level; 1.0 <= f <= 100. Defaults:
 *       # node 1.0, domain 1.0, block 1.10, cluster 1.25, any other level 1.0.
 *   tenants:                                # at most GT_MAX_TENANTS, names unique
 *     - name: research                      # required, 1..47 characters
 *       quota_gpus: 2048                    # guaranteed GPUs, >= 0; default 0 (none)
 *       limit_gpus: 0                       # hard cap, >= 0; 0 (default) means no cap;
 *                                           # when set it must be >= quota_gpus
 *       share: 2                            # fair-share weight, > 0; default 1
 *   scheduler:
 *     backfill_depth: 1000                  # queued jobs examined per pass, 1..1,000,000
 *     fairshare_halflife_s: 604800          # usage half-life, >= 1 s; default 7 days
 *     preempt_grace_s: 30                   # SIGTERM -> SIGKILL grace, >= 0; default 30
 *     preempt_exempt_s: 900                 # work younger than this is not preempted
 *     max_starts_per_pass: 2000             # a pass stops after this many decisions and the
 *                                           # next goes on (0: no limit), 0..10,000,000
 *   server: {listen: ...}                   # gantryd's: read only when the caller declares
 *                                           # its keys (gt_config_parse_sections;
 *                                           # ctld/server_config.c), else accepted unread
 *   fleet:                                  # required, a non-empty list of items
 *     - name: b0                            # a literal group: name, level, children
 *       level: block
 *       children:                           # required, non-empty; items like fleet's
 *         - {name: n0, gpus: 8, gpu_model: H100, cpus: 96, memory_gb: 1024}
 *     - generate:                           # a generated subtree
 *         prefix: gpu                       # required; names are gpu-b003-d07-n12
 *         shape: {block: 219, domain: 32, node: 18}  # required: children per level, in
 *                                           # level order, ending with the node level;
 *                                           # levels may be skipped
 *         limit: {domain: 7000}             # stop making vertices of a level after this
 *                                           # many in total; groups left empty are not made
 *         node: {gpus: 4, gpu_model: GB200, cpus: 72, memory_gb: 480}  # required
 *
 * A literal item whose level is omitted (or is the node level) is a node: cpus (1..2^20)
 * is required, gpus (0..32) defaults to 0, gpu_model is required when gpus > 0 and not
 * allowed otherwise, memory_gb defaults to 0 and is stored in MiB. A group's level must be
 * deeper than its parent's; items at the top of `fleet` go under the root. Generated
 * names are PREFIX, then "-" + first letter of the level + the index zero-padded to the
 * width of the largest index (at least 2 digits) for each level of the shape. Names are
 * 1..63 characters without spaces or control characters and unique fleet-wide.
 *
 * Errors are reported as gt_fail(err, code, "NAME:LINE:COL", message naming the key):
 * GT_E_PARSE (YAML syntax), GT_E_INVALID (wrong type, missing key, bad value),
 * GT_E_RANGE (number outside its range, overflow), GT_E_UNKNOWN_FIELD, GT_E_EXISTS
 * (duplicate names), GT_E_LIMIT (more than CFG_MAX_VERTICES vertices or too many tenants).
 *
 * Invariants that keep any input safe:
 *  1. Every fleet item (a YAML mapping) is consumed at most once, so aliases cannot make
 *     the walk repeat or loop; recursion only descends to strictly deeper levels, so its
 *     depth is at most GT_MAX_LEVELS.
 *  2. The vertex count is checked before a generate block expands (an estimate from its
 *     shape and limits) and again at every vertex added, so no input allocates more than
 *     CFG_MAX_VERTICES vertices. */
#include "core/config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/config_int.h"

/* ---- levels, root, slowdown ---- */

static int level_index(const cfg_ctx *c, const char *name) {
    for (int i = 0; i < c->nlevels; i++)
        if (!strcmp(c->levels[i], name))
            return i;
    return -1;
}

static gt_err unknown_level(cfg_ctx *c, const yaml_node_t *n, const char *key, const char *s) {
    char list[GT_MAX_LEVELS * (CFG_LEVEL_MAX + 2)] = "";
    for (int i = 0; i < c->nlevels; i++) {
        strcat(list, i ? ", " : "");
        strcat(list, c->levels[i]);
    }
    return core_cfg_fail_at(c, n, GT_E_INVALID, "%s: unknown level '%.40s' (levels are: %s)", key,
                            s, list);
}

/* A level name given in a scalar node; *out its index. */
static gt_err level_of(cfg_ctx *c, const yaml_node_t *n, const char *key, int *out) {
    gt_err e = core_cfg_expect_type(c, n, YAML_SCALAR_NODE, key);
    if (e)
        return e;
    if ((*out = level_index(c, core_cfg_scalar_text(n))) < 0)
        return unknown_level(c, n, key, core_cfg_scalar_text(n));
    return GT_E_OK;
}

static gt_err level_name(cfg_ctx *c, const yaml_node_t *n, char *out) {
    gt_err e = core_cfg_scalar_name(c, n, "levels", CFG_LEVEL_MAX, out);
    if (e)
        return e;
    const char *s = out;
    int ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');
    for (; *s && ok; s++)
        ok = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *s) != 0;
    if (!ok)
        return core_cfg_fail_at(
            c, n, GT_E_INVALID,
            "levels: '%s' must start with a letter and hold only letters, digits, "
            "'_' and '-'",
            out);
    return GT_E_OK;
}

static gt_err parse_levels(cfg_ctx *c, const yaml_node_t *seq) {
    static const char *const defaults[] = {"cluster", "block", "domain", "node"};
    if (!seq) {
        c->nlevels = 4;
        for (int i = 0; i < 4; i++)
            strcpy(c->levels[i], defaults[i]);
        return GT_E_OK;
    }
    gt_err e = core_cfg_expect_type(c, seq, YAML_SEQUENCE_NODE, "levels");
    if (e)
        return e;
    size_t n = core_cfg_seq_len(seq);
    if (n < 2 || n > GT_MAX_LEVELS)
        return core_cfg_fail_at(c, seq, GT_E_RANGE, "levels: expected 2 to %d level names, got %zu",
                                GT_MAX_LEVELS, n);
    c->nlevels = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = core_cfg_node_at(c, seq->data.sequence.items.start[i]);
        if (!item)
            return core_cfg_fail_at(c, seq, GT_E_PARSE, "levels: broken list");
        if ((e = level_name(c, item, c->levels[i])))
            return e;
        if (level_index(c, c->levels[i]) >= 0)
            return core_cfg_fail_at(c, item, GT_E_INVALID, "levels: '%s' appears twice",
                                    c->levels[i]);
        c->nlevels++;
    }
    return GT_E_OK;
}

static double default_slowdown(const char *level) {
    if (!strcmp(level, "block"))
        return 1.10;
    if (!strcmp(level, "cluster"))
        return 1.25;
    return 1.0;
}

static gt_err parse_slowdown(cfg_ctx *c, const yaml_node_t *map) {
    for (int i = 0; i < GT_MAX_LEVELS; i++)
        c->cfg->slowdown[i] = i < c->nlevels ? default_slowdown(c->levels[i]) : 1.0;
    if (!map)
        return GT_E_OK;
    gt_err e = core_cfg_expect_type(c, map, YAML_MAPPING_NODE, "slowdown");
    unsigned seen = 0;
    for (yaml_node_pair_t *p = e ? NULL : map->data.mapping.pairs.start;
         p && p < map->data.mapping.pairs.top && !e; p++) {
        yaml_node_t *k = core_cfg_node_at(c, p->key), *v = core_cfg_node_at(c, p->value);
        int level;
        if (!k || !v)
            return core_cfg_fail_at(c, map, GT_E_PARSE, "slowdown: broken mapping");
        if ((e = level_of(c, k, "slowdown", &level)))
            return e;
        if (seen & (1u << level))
            return core_cfg_fail_at(c, k, GT_E_INVALID, "slowdown: level '%s' given twice",
                                    c->levels[level]);
        seen |= 1u << level;
        e = core_cfg_scalar_real(c, v, "slowdown", 1.0, 100.0, &c->cfg->slowdown[level]);
    }
    return e;
}

/* ---- tenants and scheduler ---- */

enum { T_NAME, T_QUOTA, T_LIMIT, T_SHARE, T__N };
static const field tenant_fields[T__N] = {
    {"name", F_NAME, 1, 0, sizeof(((gt_tenant_conf *)0)->name), offsetof(gt_tenant_conf, name)},
    {"quota_gpus", F_INT, 0, 0, CFG_MAX_GPUS_CONF, offsetof(gt_tenant_conf, quota_gpus)},
    {"limit_gpus", F_INT, 0, 0, CFG_MAX_GPUS_CONF, offsetof(gt_tenant_conf, limit_gpus)},
    {"share", F_REAL, 0, 1e-6, 1e6, offsetof(gt_tenant_conf, share)},
};

static gt_err parse_tenant(cfg_ctx *c, const yaml_node_t *map, int i) {
    gt_tenant_conf *t = &c->cfg->tenants[i];
    yaml_node_t *v[T__N];
    char what[32];
    snprintf(what, sizeof what, "tenants[%d]", i);
    memset(t, 0, sizeof *t);
    t->share = 1.0;
    gt_err e = core_cfg_map_fields(c, map, what, tenant_fields, T__N, t, v);
    if (e)
        return e;
    if (t->limit_gpus > 0 && t->limit_gpus < t->quota_gpus)
        return core_cfg_fail_at(c, v[T_LIMIT], GT_E_INVALID,
                                "limit_gpus: %lld is below quota_gpus %lld for tenant '%s'",
                                (long long)t->limit_gpus, (long long)t->quota_gpus, t->name);
    for (int j = 0; j < i; j++)
        if (!strcmp(c->cfg->tenants[j].name, t->name))
            return core_cfg_fail_at(c, v[T_NAME], GT_E_EXISTS, "tenants: name '%s' appears twice",
                                    t->name);
    return GT_E_OK;
}

static gt_err parse_tenants(cfg_ctx *c, const yaml_node_t *seq) {
    if (!seq)
        return GT_E_OK;
    gt_err e = core_cfg_expect_type(c, seq, YAML_SEQUENCE_NODE, "tenants");
    if (e)
        return e;
    size_t n = core_cfg_seq_len(seq);
    if (n > GT_MAX_TENANTS)
        return core_cfg_fail_at(c, seq, GT_E_LIMIT, "tenants: at most %d tenants, got %zu",
                                GT_MAX_TENANTS, n);
    c->cfg->tenants = calloc(n ? n : 1, sizeof *c->cfg->tenants);
    if (!c->cfg->tenants)
        return core_cfg_fail_at(c, seq, GT_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !e; i++) {
        yaml_node_t *item = core_cfg_node_at(c, seq->data.sequence.items.start[i]);
        e = item ? parse_tenant(c, item, (int)i)
                 : core_cfg_fail_at(c, seq, GT_E_PARSE, "broken list");
        c->cfg->ntenants += !e;
    }
    return e;
}

typedef struct {
    int64_t depth, halflife_s, grace_s, exempt_s, max_starts;
} sched_raw;

enum { S_DEPTH, S_HALFLIFE, S_GRACE, S_EXEMPT, S_STARTS, S__N };
static const field sched_fields[S__N] = {
    {"backfill_depth", F_INT, 0, 1, 1000000, offsetof(sched_raw, depth)},
    {"fairshare_halflife_s", F_INT, 0, 1, GT_SPEC_MAX_TIME_S, offsetof(sched_raw, halflife_s)},
    {"preempt_grace_s", F_INT, 0, 0, GT_SPEC_MAX_TIME_S, offsetof(sched_raw, grace_s)},
    {"preempt_exempt_s", F_INT, 0, 0, GT_SPEC_MAX_TIME_S, offsetof(sched_raw, exempt_s)},
    {"max_starts_per_pass", F_INT, 0, 0, 10000000, offsetof(sched_raw, max_starts)},
};

void gt_sched_conf_defaults(gt_sched_conf *s) {
    s->backfill_depth = 1000;
    s->fairshare_halflife_ms = 7LL * 24 * 3600 * 1000;
    s->preempt_grace_ms = 30 * 1000;
    s->preempt_exempt_ms = 15 * 60 * 1000;
    s->max_starts_per_pass = 2000;
}

static gt_err parse_sched(cfg_ctx *c, const yaml_node_t *map) {
    gt_sched_conf *s = &c->cfg->sched;
    gt_sched_conf_defaults(s);
    if (!map)
        return GT_E_OK;
    sched_raw r = {s->backfill_depth, s->fairshare_halflife_ms / 1000, s->preempt_grace_ms / 1000,
                   s->preempt_exempt_ms / 1000, s->max_starts_per_pass};
    yaml_node_t *v[S__N];
    gt_err e = core_cfg_map_fields(c, map, "scheduler", sched_fields, S__N, &r, v);
    if (e)
        return e;
    s->backfill_depth = (int)r.depth;
    s->fairshare_halflife_ms = r.halflife_s * 1000;
    s->preempt_grace_ms = r.grace_s * 1000;
    s->preempt_exempt_ms = r.exempt_s * 1000;
    s->max_starts_per_pass = (int)r.max_starts;
    return GT_E_OK;
}

/* ---- fleet: vertices and names ---- */

static uint32_t hash_str(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int names_grow(name_set *s) {
    uint32_t cap = s->cap ? s->cap * 2 : 256;
    name_ent *tab = calloc(cap, sizeof *tab);
    if (!tab)
        return 0;
    for (uint32_t i = 0; i < s->cap; i++) {
        if (!s->tab[i].name)
            continue;
        uint32_t j = hash_str(s->tab[i].name) & (cap - 1);
        while (tab[j].name)
            j = (j + 1) & (cap - 1);
        tab[j] = s->tab[i];
    }
    free(s->tab);
    s->tab = tab;
    s->cap = cap;
    return 1;
}

/* Add a name; returns 1 if added, 0 if already present (*dup: the first), -1 on OOM. */
static int names_add(name_set *s, const char *name, const yaml_node_t *at, const name_ent **dup) {
    if ((s->n + 1) * 2 > s->cap && !names_grow(s))
        return -1;
    uint32_t j = hash_str(name) & (s->cap - 1);
    for (; s->tab[j].name; j = (j + 1) & (s->cap - 1))
        if (!strcmp(s->tab[j].name, name)) {
            *dup = &s->tab[j];
            return 0;
        }
    s->tab[j] = (name_ent){name, at};
    s->n++;
    return 1;
}

static gt_err claim_name(cfg_ctx *c, const yaml_node_t *n) {
    const name_ent *dup = NULL;
    int r = names_add(&c->names, core_cfg_scalar_text(n), n, &dup);
    if (r < 0)
        return core_cfg_fail_at(c, n, GT_E_NOMEM, "out of memory");
    if (r == 0 && !dup->at)
        return core_cfg_fail_at(c, n, GT_E_EXISTS, "name '%s' is already the root's name",
                                core_cfg_scalar_text(n));
    if (r == 0)
        return core_cfg_fail_at(c, n, GT_E_EXISTS,
                                "duplicate vertex name '%s' (first used at line %zu)",
                                core_cfg_scalar_text(n), (size_t)dup->at->start_mark.line + 1);
    return GT_E_OK;
}

/* Add one vertex to the builder; errors are located at node `at`. */
static gt_err add_vertex(cfg_ctx *c, const yaml_node_t *at, uint32_t parent, int level,
                         const char *name, const gt_node_spec *spec, uint32_t *id) {
    if (c->nvert >= CFG_MAX_VERTICES)
        return core_cfg_fail_at(c, at, GT_E_LIMIT, "fleet: more than %d vertices",
                                CFG_MAX_VERTICES);
    gt_error te = {0};
    *id = gt_topo_add(c->cfg->topo, parent, level, name, spec, &te);
    if (*id == GT_NONE)
        return core_cfg_forward(c, at, &te);
    c->nvert++;
    return GT_E_OK;
}

/* ---- fleet: node specs ---- */

typedef struct {
    int64_t gpus, cpus, mem_gb, gpu_mem_gb;
    char model[32];
} node_raw;

enum { N_GPUS, N_MODEL, N_CPUS, N_MEM, N_GPU_MEM, N__N };
static const field node_fields[N__N] = {
    {"gpus", F_INT, 0, 0, GT_NODE_MAX_GPUS, offsetof(node_raw, gpus)},
    {"gpu_model", F_NAME, 0, 0, sizeof(((node_raw *)0)->model), offsetof(node_raw, model)},
    {"cpus", F_INT, 1, 1, 1 << 20, offsetof(node_raw, cpus)},
    {"memory_gb", F_INT, 0, 0, 1LL << 30, offsetof(node_raw, mem_gb)},
    {"gpu_memory_gb", F_INT, 0, 0, 1 << 20, offsetof(node_raw, gpu_mem_gb)},
};

/* Check a node's fields (v: the value nodes in node_fields order) and fill spec, whose
 * gpu_model points into r. */
static gt_err node_spec(cfg_ctx *c, const yaml_node_t *map, const char *what, yaml_node_t *const *v,
                        const node_raw *r, gt_node_spec *spec) {
    if (!v[N_CPUS])
        return core_cfg_fail_at(c, map, GT_E_INVALID, "%s: missing required key 'cpus'", what);
    if (r->gpus > 0 && !v[N_MODEL])
        return core_cfg_fail_at(c, map, GT_E_INVALID, "%s: gpu_model is required when gpus > 0",
                                what);
    if (r->gpus == 0 && v[N_MODEL])
        return core_cfg_fail_at(c, v[N_MODEL], GT_E_INVALID,
                                "gpu_model: given for a node without GPUs (set gpus)");
    if (r->gpus == 0 && v[N_GPU_MEM])
        return core_cfg_fail_at(c, v[N_GPU_MEM], GT_E_INVALID,
                                "gpu_memory_gb: given for a node without GPUs (set gpus)");
    spec->gpus = (int)r->gpus;
    spec->gpu_model = r->gpus > 0 ? r->model : NULL;
    spec->cpus = (int)r->cpus;
    spec->mem_mb = r->mem_gb * 1024;
    spec->pool = 0;
    spec->gpu_mem_mb = r->gpus > 0 ? r->gpu_mem_gb * 1024 : 0;
    return GT_E_OK;
}

/* ---- fleet: generate blocks ---- */

typedef struct {
    int n; /* levels in the shape */
    int level[GT_MAX_LEVELS];
    int64_t count[GT_MAX_LEVELS], limit[GT_MAX_LEVELS], made[GT_MAX_LEVELS];
    int width[GT_MAX_LEVELS];
    char prefix[CFG_PREFIX_MAX];
    char pool[24];
    node_raw raw;
    gt_node_spec node;
    const yaml_node_t *at;
} gen_plan;

static int digits(int64_t x) {
    int d = 1;
    while (x >= 10) {
        x /= 10;
        d++;
    }
    return d;
}

static gt_err shape_entry(cfg_ctx *c, gen_plan *g, const yaml_node_pair_t *p, int prev) {
    yaml_node_t *k = core_cfg_node_at(c, p->key), *v = core_cfg_node_at(c, p->value);
    int level;
    if (!k || !v)
        return core_cfg_fail_at(c, g->at, GT_E_PARSE, "shape: broken mapping");
    gt_err e = level_of(c, k, "shape", &level);
    if (e)
        return e;
    if (level <= prev)
        return core_cfg_fail_at(
            c, k, GT_E_INVALID,
            "shape: level '%s' must be deeper than '%s' (list levels top to bottom, "
            "below the parent's level)",
            c->levels[level], c->levels[prev]);
    int i = g->n++;
    g->level[i] = level;
    e = core_cfg_scalar_int(c, v, "shape", 1, CFG_MAX_VERTICES, &g->count[i]);
    g->width[i] = digits(g->count[i] - 1) < 2 ? 2 : digits(g->count[i] - 1);
    return e;
}

static gt_err parse_shape(cfg_ctx *c, gen_plan *g, const yaml_node_t *map, int plevel) {
    gt_err e = core_cfg_expect_type(c, map, YAML_MAPPING_NODE, "shape");
    if (e)
        return e;
    int prev = plevel;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top && !e;
         p++) {
        e = shape_entry(c, g, p, prev);
        prev = g->n ? g->level[g->n - 1] : prev;
    }
    if (!e && prev != c->nlevels - 1)
        e = core_cfg_fail_at(c, map, GT_E_INVALID, "shape: must end with the node level '%s'",
                             c->levels[c->nlevels - 1]);
    return e;
}

static gt_err limit_entry(cfg_ctx *c, gen_plan *g, const yaml_node_pair_t *p) {
    yaml_node_t *k = core_cfg_node_at(c, p->key), *v = core_cfg_node_at(c, p->value);
    int level, i = 0;
    if (!k || !v)
        return core_cfg_fail_at(c, g->at, GT_E_PARSE, "limit: broken mapping");
    gt_err e = level_of(c, k, "limit", &level);
    if (e)
        return e;
    while (i < g->n && g->level[i] != level)
        i++;
    if (i == g->n)
        return core_cfg_fail_at(c, k, GT_E_INVALID, "limit: level '%s' is not in the shape",
                                c->levels[level]);
    if (g->limit[i])
        return core_cfg_fail_at(c, k, GT_E_INVALID, "limit: level '%s' given twice",
                                c->levels[level]);
    return core_cfg_scalar_int(c, v, "limit", 1, INT64_MAX / 2, &g->limit[i]);
}

static gt_err parse_limit(cfg_ctx *c, gen_plan *g, const yaml_node_t *map) {
    if (!map)
        return GT_E_OK;
    gt_err e = core_cfg_expect_type(c, map, YAML_MAPPING_NODE, "limit");
    for (yaml_node_pair_t *p = e ? NULL : map->data.mapping.pairs.start;
         p && p < map->data.mapping.pairs.top && !e; p++)
        e = limit_entry(c, g, p);
    return e;
}

/* Upper bound on the vertices a plan makes (saturating above CFG_MAX_VERTICES): each level
 * makes at most count times the level above, at most its limit, and at most as many as
 * the level below (a group that would stay empty is not made). */
static int64_t plan_vertices(const gen_plan *g) {
    int64_t made[GT_MAX_LEVELS], total = 0, above = 1;
    for (int i = 0; i < g->n; i++) {
        made[i] = above * g->count[i]; /* both <= CFG_MAX_VERTICES + 1: no overflow */
        if (g->limit[i] && g->limit[i] < made[i])
            made[i] = g->limit[i];
        if (made[i] > CFG_MAX_VERTICES)
            made[i] = CFG_MAX_VERTICES + 1;
        above = made[i];
    }
    for (int i = g->n - 1; i > 0; i--)
        if (made[i - 1] > made[i])
            made[i - 1] = made[i];
    for (int i = 0; i < g->n; i++)
        total += made[i];
    return total;
}

/* Can a vertex at shape depth d still be made with at least one node below it? */
static int plan_room(const gen_plan *g, int d) {
    for (int k = d; k < g->n; k++)
        if (g->limit[k] && g->made[k] >= g->limit[k])
            return 0;
    return 1;
}

/* Make the vertices of shape depth d under `parent`; name holds the parent's name prefix
 * (len bytes). Recursion depth is the shape's length, at most GT_MAX_LEVELS. */
static gt_err plan_run(cfg_ctx *c, gen_plan *g, int d, uint32_t parent, char *name, int len) {
    int last = d == g->n - 1;
    char letter = c->levels[g->level[d]][0];
    for (int64_t i = 0; i < g->count[d] && plan_room(g, d); i++) {
        int n = snprintf(name + len, 16, "-%c%0*lld", letter, g->width[d], (long long)i);
        uint32_t id;
        gt_err e = add_vertex(c, g->at, parent, g->level[d], name, last ? &g->node : NULL, &id);
        if (e)
            return e;
        g->made[d]++;
        if (!last && (e = plan_run(c, g, d + 1, id, name, len + n)))
            return e;
    }
    return GT_E_OK;
}

enum { G_PREFIX, G_SHAPE, G_LIMIT, G_NODE, G_POOL, G__N };
static const field gen_fields[G__N] = {
    {"prefix", F_NAME, 1, 0, CFG_PREFIX_MAX, offsetof(gen_plan, prefix)},
    {"shape", F_ANY, 1, 0, 0, 0},
    {"limit", F_ANY, 0, 0, 0, 0},
    {"node", F_ANY, 1, 0, 0, 0},
    {"pool", F_NAME, 0, 0, 24, offsetof(gen_plan, pool)},
};

static gt_err parse_plan(cfg_ctx *c, gen_plan *g, const yaml_node_t *map, int plevel) {
    yaml_node_t *v[G__N], *nv[N__N];
    gt_err e = core_cfg_map_fields(c, map, "generate", gen_fields, G__N, g, v);
    if (!e)
        e = parse_shape(c, g, v[G_SHAPE], plevel);
    if (!e)
        e = parse_limit(c, g, v[G_LIMIT]);
    if (!e)
        e = core_cfg_map_fields(c, v[G_NODE], "generate.node", node_fields, N__N, &g->raw, nv);
    if (!e)
        e = node_spec(c, v[G_NODE], "generate.node", nv, &g->raw, &g->node);
    if (!e && g->pool[0] && !(g->node.pool = gt_topo_pool_add(c->cfg->topo, g->pool)))
        e = core_cfg_fail_at(c, v[G_POOL], GT_E_LIMIT, "pool: at most %d pools", GT_MAX_POOLS);
    return e;
}

static gt_err generate_block(cfg_ctx *c, const yaml_node_t *map, uint32_t parent, int plevel) {
    gen_plan *g = calloc(1, sizeof *g);
    if (!g)
        return core_cfg_fail_at(c, map, GT_E_NOMEM, "out of memory");
    g->at = map;
    gt_err e = parse_plan(c, g, map, plevel);
    if (!e && c->nvert + (uint64_t)plan_vertices(g) > CFG_MAX_VERTICES)
        e = core_cfg_fail_at(c, map, GT_E_LIMIT,
                             "generate: the fleet would have more than %d vertices",
                             CFG_MAX_VERTICES);
    if (!e) {
        char name[CFG_PREFIX_MAX + GT_MAX_LEVELS * 16];
        int len = snprintf(name, sizeof name, "%s", g->prefix);
        e = plan_run(c, g, 0, parent, name, len);
    }
    free(g);
    return e;
}

/* ---- fleet: literal vertices ---- */

typedef struct {
    char name[CFG_NAME_MAX];
    node_raw node;
} lit_raw;

/* The node keys come in node_fields order, so &v[L_GPUS] works with node_spec. */
enum { L_NAME, L_LEVEL, L_CHILDREN, L_GPUS, L_MODEL, L_CPUS, L_MEM, L_GPU_MEM, L__N };
static const field lit_fields[L__N] = {
    {"name", F_NAME, 1, 0, CFG_NAME_MAX, offsetof(lit_raw, name)},
    {"level", F_ANY, 0, 0, 0, 0},
    {"children", F_ANY, 0, 0, 0, 0},
    {"gpus", F_INT, 0, 0, GT_NODE_MAX_GPUS, offsetof(lit_raw, node.gpus)},
    {"gpu_model", F_NAME, 0, 0, sizeof(((node_raw *)0)->model), offsetof(lit_raw, node.model)},
    {"cpus", F_INT, 0, 1, 1 << 20, offsetof(lit_raw, node.cpus)},
    {"memory_gb", F_INT, 0, 0, 1LL << 30, offsetof(lit_raw, node.mem_gb)},
    {"gpu_memory_gb", F_INT, 0, 0, 1 << 20, offsetof(lit_raw, node.gpu_mem_gb)},
};

static gt_err fleet_items(cfg_ctx *c, const yaml_node_t *seq, uint32_t parent, int plevel,
                          const char *what);

static gt_err literal_node(cfg_ctx *c, const yaml_node_t *map, yaml_node_t *const *v,
                           const lit_raw *r, uint32_t parent) {
    if (v[L_CHILDREN])
        return core_cfg_fail_at(c, v[L_CHILDREN], GT_E_INVALID,
                                "children: '%s' is a node; only groups (given a level above '%s') "
                                "have children",
                                r->name, c->levels[c->nlevels - 1]);
    gt_node_spec spec;
    uint32_t id;
    char what[CFG_NAME_MAX + 8];
    snprintf(what, sizeof what, "node '%s'", r->name);
    gt_err e = node_spec(c, map, what, &v[L_GPUS], &r->node, &spec);
    return e ? e : add_vertex(c, map, parent, c->nlevels - 1, r->name, &spec, &id);
}

static gt_err literal_group(cfg_ctx *c, const yaml_node_t *map, yaml_node_t *const *v,
                            const lit_raw *r, uint32_t parent, int level) {
    for (int i = L_GPUS; i < L__N; i++)
        if (v[i])
            return core_cfg_fail_at(c, v[i], GT_E_INVALID, "%s: only nodes have it; '%s' is a %s",
                                    lit_fields[i].key, r->name, c->levels[level]);
    if (!v[L_CHILDREN])
        return core_cfg_fail_at(c, map, GT_E_INVALID,
                                "'%s': missing required key 'children' (a %s)", r->name,
                                c->levels[level]);
    uint32_t id;
    gt_err e = add_vertex(c, map, parent, level, r->name, NULL, &id);
    return e ? e : fleet_items(c, v[L_CHILDREN], id, level, "children");
}

static gt_err literal_vertex(cfg_ctx *c, const yaml_node_t *map, uint32_t parent, int plevel) {
    lit_raw r = {.node = {.gpus = 0, .cpus = 0, .mem_gb = 0, .gpu_mem_gb = 0}};
    yaml_node_t *v[L__N];
    gt_err e = core_cfg_map_fields(c, map, "fleet vertex", lit_fields, L__N, &r, v);
    int level = c->nlevels - 1;
    if (!e && v[L_LEVEL])
        e = level_of(c, v[L_LEVEL], "level", &level);
    if (!e && level <= plevel)
        e = core_cfg_fail_at(
            c, v[L_LEVEL] ? v[L_LEVEL] : map, GT_E_INVALID,
            "level: '%s' is a %s, which must be deeper than its parent's level '%s'", r.name,
            c->levels[level], c->levels[plevel]);
    if (!e)
        e = claim_name(c, v[L_NAME]);
    if (e)
        return e;
    if (level == c->nlevels - 1)
        return literal_node(c, map, v, &r, parent);
    return literal_group(c, map, v, &r, parent, level);
}

/* ---- fleet: items ---- */

static int has_key(cfg_ctx *c, const yaml_node_t *map, const char *key) {
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = core_cfg_node_at(c, p->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp(core_cfg_scalar_text(k), key))
            return 1;
    }
    return 0;
}

static const field gen_item_fields[] = {{"generate", F_ANY, 1, 0, 0, 0}};

static gt_err fleet_item(cfg_ctx *c, const yaml_node_t *item, uint32_t parent, int plevel) {
    gt_err e = core_cfg_expect_type(c, item, YAML_MAPPING_NODE, "fleet item");
    if (e)
        return e;
    size_t idx = (size_t)(item - c->doc.nodes.start);
    if (c->used[idx])
        return core_cfg_fail_at(
            c, item, GT_E_INVALID,
            "fleet item used twice (a YAML alias may not repeat part of the fleet)");
    c->used[idx] = 1;
    if (!has_key(c, item, "generate"))
        return literal_vertex(c, item, parent, plevel);
    yaml_node_t *v[1];
    e = core_cfg_map_keys(c, item, "a generate item", gen_item_fields, 1, v);
    return e ? e : generate_block(c, v[0], parent, plevel);
}

static gt_err fleet_items(cfg_ctx *c, const yaml_node_t *seq, uint32_t parent, int plevel,
                          const char *what) {
    gt_err e = core_cfg_expect_type(c, seq, YAML_SEQUENCE_NODE, what);
    if (e)
        return e;
    if (core_cfg_seq_len(seq) == 0)
        return core_cfg_fail_at(c, seq, GT_E_INVALID, "%s: expected a non-empty list", what);
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         it < seq->data.sequence.items.top && !e; it++) {
        yaml_node_t *item = core_cfg_node_at(c, *it);
        e = item ? fleet_item(c, item, parent, plevel)
                 : core_cfg_fail_at(c, seq, GT_E_PARSE, "%s: broken list", what);
    }
    return e;
}

/* ---- the document ---- */

typedef struct {
    char root[CFG_NAME_MAX];
} root_raw;

enum { R_LEVELS, R_ROOT, R_SLOWDOWN, R_TENANTS, R_SCHED, R_SERVER, R_FLEET, R__N };
static const field root_fields[R__N] = {
    {"levels", F_ANY, 0, 0, 0, 0},
    {"root", F_NAME, 0, 0, CFG_NAME_MAX, offsetof(root_raw, root)},
    {"slowdown", F_ANY, 0, 0, 0, 0},
    {"tenants", F_ANY, 0, 0, 0, 0},
    {"scheduler", F_ANY, 0, 0, 0, 0},
    {"server", F_ANY, 0, 0, 0, 0},
    {"fleet", F_ANY, 1, 0, 0, 0},
};

/* The top-level keys that belong to a program, read only through a gt_cfg_section. */
static const int program_keys[] = {R_SERVER};

/* Section s at `map` (NULL: not in the text; dst keeps its defaults). */
static gt_err parse_section(cfg_ctx *c, const gt_cfg_section *s, const yaml_node_t *map) {
    field f[GT_CFG_SECTION_MAX_KEYS];
    yaml_node_t *v[GT_CFG_SECTION_MAX_KEYS];
    if (s->nkeys < 0 || s->nkeys > GT_CFG_SECTION_MAX_KEYS)
        return core_cfg_fail_at(c, NULL, GT_E_INVALID, "section '%s': %d keys declared", s->name,
                                s->nkeys);
    if (!map)
        return GT_E_OK;
    for (int i = 0; i < s->nkeys; i++) {
        const gt_cfg_key *k = &s->keys[i];
        f[i] = (field){
            k->key, k->kind == GT_CFG_INT ? F_INT : F_NAME, 0, (double)k->min, (double)k->max,
            k->off};
    }
    gt_err e = core_cfg_map_fields(c, map, s->name, f, s->nkeys, s->dst, v);
    char why[200];
    const char *blame = e || !s->check ? NULL : s->check(s->dst, why, sizeof why);
    if (!blame)
        return e;
    const yaml_node_t *at = map;
    for (int i = 0; i < s->nkeys; i++)
        if (v[i] && strcmp(s->keys[i].key, blame) == 0)
            at = v[i];
    return core_cfg_fail_at(c, at, GT_E_RANGE, "%s", why);
}

/* The programs' sections the caller asked for; the others stay unread. */
static gt_err program_sections(cfg_ctx *c, yaml_node_t *const *v) {
    size_t nkeys = sizeof program_keys / sizeof program_keys[0];
    for (int i = 0; i < c->nsections; i++) {
        size_t k = 0;
        while (k < nkeys && strcmp(c->sections[i].name, root_fields[program_keys[k]].key) != 0)
            k++;
        gt_err e = k == nkeys ? core_cfg_fail_at(c, NULL, GT_E_INVALID,
                                                 "'%s' is not a section a program may read",
                                                 c->sections[i].name)
                              : parse_section(c, &c->sections[i], v[program_keys[k]]);
        if (e)
            return e;
    }
    return GT_E_OK;
}

static gt_err make_topo(cfg_ctx *c, const yaml_node_t *at) {
    const char *levels[GT_MAX_LEVELS];
    for (int i = 0; i < c->nlevels; i++)
        levels[i] = c->levels[i];
    gt_error te = {0};
    c->cfg->topo = gt_topo_new(levels, c->nlevels, c->root, &te);
    if (!c->cfg->topo)
        return core_cfg_forward(c, at, &te);
    const name_ent *dup;
    if (names_add(&c->names, c->root, NULL, &dup) < 0)
        return core_cfg_fail_at(c, at, GT_E_NOMEM, "out of memory");
    c->nvert = 1;
    return GT_E_OK;
}

static gt_err finalize(cfg_ctx *c) {
    gt_error te = {0};
    if (gt_topo_finalize(c->cfg->topo, &te) == GT_E_OK)
        return GT_E_OK;
    return core_cfg_forward(c, NULL, &te);
}

static gt_err config_from_doc(cfg_ctx *c) {
    yaml_node_t *top = yaml_document_get_root_node(&c->doc), *v[R__N];
    if (!top)
        return core_cfg_fail_at(c, NULL, GT_E_INVALID,
                                "empty document: expected a mapping with 'fleet'");
    root_raw r = {"cluster"};
    gt_err e = core_cfg_map_fields(c, top, "the config", root_fields, R__N, &r, v);
    memcpy(c->root, r.root, sizeof c->root);
    if (!e)
        e = parse_levels(c, v[R_LEVELS]);
    if (!e)
        e = make_topo(c, v[R_LEVELS] ? v[R_LEVELS] : top);
    if (!e)
        e = parse_slowdown(c, v[R_SLOWDOWN]);
    if (!e)
        e = parse_tenants(c, v[R_TENANTS]);
    if (!e)
        e = parse_sched(c, v[R_SCHED]);
    if (!e)
        e = program_sections(c, v);
    if (!e)
        e = fleet_items(c, v[R_FLEET], 0, 0, "fleet");
    return e ? e : finalize(c);
}

/* Line and column (0-based) of byte `off`: the reader reports bad bytes by offset only. */
static yaml_mark_t mark_of_offset(const char *text, size_t len, size_t off) {
    yaml_mark_t m = {0, 0, 0};
    for (size_t i = 0; i < off && i < len; i++) {
        m.column = text[i] == '\n' ? 0 : m.column + 1;
        m.line += text[i] == '\n';
    }
    return m;
}

static gt_err syntax_error(cfg_ctx *c, const yaml_parser_t *p, const char *text, size_t len) {
    if (p->error == YAML_MEMORY_ERROR)
        return gt_fail(c->err, GT_E_NOMEM, c->file, "out of memory while reading YAML");
    yaml_mark_t m = p->problem_mark;
    if (p->error == YAML_READER_ERROR)
        m = mark_of_offset(text, len, p->problem_offset);
    char where[128];
    snprintf(where, sizeof where, "%s:%zu:%zu", c->file, (size_t)m.line + 1, (size_t)m.column + 1);
    return gt_fail(c->err, GT_E_PARSE, where, "YAML syntax: %s%s%s",
                   p->problem ? p->problem : "malformed document", p->context ? " " : "",
                   p->context ? p->context : "");
}

/* Stream the events once and stop at the first collection nested deeper than
 * CFG_MAX_DEPTH: libyaml's scanner spends O(flow depth) per token, so a document of
 * 200,000 '[' would otherwise take minutes. Also reports syntax errors. */
static gt_err check_depth(cfg_ctx *c, const char *text, size_t len) {
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return gt_fail(c->err, GT_E_NOMEM, c->file, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    gt_err e = GT_E_OK;
    int depth = 0, end = 0;
    while (!e && !end) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            e = syntax_error(c, &p, text, len);
            break;
        }
        if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
            depth++;
        if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
            depth--;
        if (depth > CFG_MAX_DEPTH)
            e = gt_fail(c->err, GT_E_LIMIT, c->file, "YAML nested more than %d deep",
                        CFG_MAX_DEPTH);
        end = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return e;
}

/* Load exactly one document into c->doc. */
static gt_err load_document(cfg_ctx *c, const char *text, size_t len) {
    gt_err e = check_depth(c, text, len);
    if (e)
        return e;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return gt_fail(c->err, GT_E_NOMEM, c->file, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &c->doc)) {
        e = syntax_error(c, &p, text, len);
    } else {
        yaml_document_t next;
        if (!yaml_parser_load(&p, &next)) {
            e = syntax_error(c, &p, text, len);
        } else {
            if (yaml_document_get_root_node(&next))
                e = gt_fail(c->err, GT_E_PARSE, c->file,
                            "expected one YAML document, found more (remove '---')");
            yaml_document_delete(&next);
        }
        if (e)
            yaml_document_delete(&c->doc);
    }
    yaml_parser_delete(&p);
    return e;
}

gt_err gt_config_parse(const char *text, size_t len, const char *name, gt_config **out,
                       gt_error *err) {
    return gt_config_parse_sections(text, len, name, NULL, 0, out, err);
}

gt_err gt_config_parse_sections(const char *text, size_t len, const char *name,
                                const gt_cfg_section *sections, int nsections, gt_config **out,
                                gt_error *err) {
    cfg_ctx c = {.file = name ? name : "<config>",
                 .err = err,
                 .sections = sections,
                 .nsections = sections ? nsections : 0};
    *out = NULL;
    if (!text && len)
        return gt_fail(err, GT_E_INVALID, c.file, "no text");
    gt_err e = load_document(&c, text ? text : "", len);
    if (e)
        return e;
    size_t nodes = (size_t)(c.doc.nodes.top - c.doc.nodes.start);
    c.cfg = calloc(1, sizeof *c.cfg);
    c.used = calloc(nodes ? nodes : 1, 1);
    if (!c.cfg || !c.used)
        e = gt_fail(err, GT_E_NOMEM, c.file, "out of memory");
    else
        e = config_from_doc(&c);
    yaml_document_delete(&c.doc);
    free(c.used);
    free(c.names.tab);
    if (e)
        gt_config_free(c.cfg);
    else
        *out = c.cfg;
    return e;
}

void gt_config_free(gt_config *c) {
    if (!c)
        return;
    gt_topo_free(c->topo);
    free(c->tenants);
    free(c);
}
