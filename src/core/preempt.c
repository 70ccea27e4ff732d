/* SPDX-License-Identifier: MIT
 * Preemption for a job that does not fit. Victims are running units of a lower priority
 * class, or -- when the job's tenant is within its guaranteed quota -- units of other
 * tenants that borrow beyond theirs (and surplus service replicas). We look for the
 * smallest subtree (node, domain, block, ...) where free GPUs plus evictable GPUs cover the
 * gang, price each candidate subtree by the work its cheapest sufficient set of victims
 * would lose (GPUs x time since they started), take the cheapest, evict in that order until
 * the gang fits there, and place it. Of the subtrees whose aggregates admit the gang, the
 * PRICE_CANDIDATES with the most free GPUs are priced. Victims are requeued (a gang as a whole).
 * The search covers the deepest level that can hold the gang and the one above it, and a job for
 * which it found nothing waits PREEMPT_RETRY_MS before the next try. Work that started less than
 * scheduler.preempt_exempt_s ago is not a victim (Slurm's PreemptExemptTime). */
#include <stdlib.h>

#include "core/sched_int.h"
#include "util/vec.h"

#define MAX_CANDIDATES 4096 /* subtrees looked at by their aggregates */
#define PRICE_CANDIDATES 8  /* ... of which the ones needing the fewest evictions are priced */
/* Levels searched: the deepest that can hold the gang and the one above it, never the
 * root: evicting across a whole cluster for one gang costs more than waiting, and pricing
 * it means walking every node. */
#define PREEMPT_LEVELS 2
/* A job whose preemption found nothing waits this long before trying again. */
#define PREEMPT_RETRY_MS 60000

struct victim {
    int64_t cost;
    gt_time start;
    uint32_t unit;
    int32_t gpus;
};

typedef struct {
    uint32_t job, tenant;
    int prio, reclaim;
    int64_t need;
    gt_time now;
} want_t;

static int64_t evictable(const gt_sched *s, uint32_t v, const want_t *w) {
    int64_t e = 0;
    for (int c = 0; c < w->prio; c++)
        e += s->topo->held[(size_t)v * GT_NPRIO + c];
    if (w->reclaim)
        e += s->topo->borrowed[v];
    return e;
}

static int eligible(const gt_sched *s, const unit_t *u, const want_t *w) {
    if (u->job == w->job || u->gpus == 0)
        return 0; /* CPU-only work frees no GPUs */
    if (w->now - u->start < s->cfg->sched.preempt_exempt_ms)
        return 0; /* just started: evicting it again and again would thrash */
    if (u->prio < w->prio)
        return 1;
    /* Borrowed work is reclaimable only while its tenant is still over its quota: the mark
     * is set at start, and the tenant may have come back under it since. */
    uint32_t t = s->jobs[u->job].tenant;
    return w->reclaim && u->borrowed && t != w->tenant &&
           s->tenants[t].gpus_held > s->tenants[t].conf.quota_gpus;
}

static int vic_cmp(const void *a, const void *b) {
    const struct victim *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? -1 : 1;
    if (x->start != y->start)
        return x->start > y->start ? -1 : 1;
    return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static int vic_reserve(gt_sched *s, size_t n) {
    return gt_vec_reserve((void **)&s->vic, &s->vic_cap, n, sizeof *s->vic);
}

/* Eligible units with a slot under v, into s->vic[*n..], each once. */
static int gather(gt_sched *s, uint32_t v, const want_t *w, gt_time now, size_t *n) {
    const gt_topo *t = s->topo;
    if (!gt_topo_is_node(t, v)) {
        for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
            if (!gather(s, c, w, now, n))
                return 0;
        return 1;
    }
    for (uint32_t si = s->node_slots[v]; si != GT_NONE; si = s->slots[si].nnext) {
        unit_t *u = &s->units[s->slots[si].unit];
        if (u->mark == s->mark_no || !eligible(s, u, w))
            continue;
        u->mark = s->mark_no;
        if (!vic_reserve(s, *n + 1))
            return 0;
        struct victim *x = &s->vic[(*n)++];
        x->unit = s->slots[si].unit;
        x->gpus = u->gpus;
        x->start = u->start;
        x->cost = (int64_t)u->gpus * (now - u->start);
    }
    return 1;
}

/* Sorted victims under v; returns the cost of the cheapest prefix that covers the need,
 * or -1 when none does. *n gets the number of victims gathered. */
static int64_t price(gt_sched *s, uint32_t v, const want_t *w, gt_time now, size_t *n) {
    *n = 0;
    s->mark_no++;
    if (!gather(s, v, w, now, n))
        return -1;
    if (*n > 1)
        qsort(s->vic, *n, sizeof *s->vic, vic_cmp);
    int64_t have = s->topo->gpus_free[v], cost = 0;
    for (size_t i = 0; i < *n && have < w->need; i++) {
        have += s->vic[i].gpus;
        cost += s->vic[i].cost;
    }
    return have >= w->need ? cost : -1;
}

static void collect(gt_sched *s, uint32_t v, int L, const want_t *w, const gt_shape *sh) {
    const gt_topo *t = s->topo;
    if (s->pcand.n >= MAX_CANDIDATES || t->level[v] > L)
        return;
    if (sh->model >= 0 && !((t->models[v] >> sh->model) & 1u))
        return;
    if (t->gpus_free[v] + evictable(s, v, w) < w->need)
        return;
    if (t->level[v] == L) {
        s->pcand.v[s->pcand.n++] = v;
        return;
    }
    for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
        collect(s, c, L, w, sh);
}

/* Keep the k candidates with the most free GPUs (fewest evictions needed), in order. */
static void keep_most_free(gt_sched *s, size_t k) {
    const int32_t *f = s->topo->gpus_free;
    size_t n = s->pcand.n < k ? s->pcand.n : k;
    for (size_t i = 0; i < n; i++) {
        size_t m = i;
        for (size_t j = i + 1; j < s->pcand.n; j++)
            if (f[s->pcand.v[j]] > f[s->pcand.v[m]])
                m = j;
        uint32_t t = s->pcand.v[i];
        s->pcand.v[i] = s->pcand.v[m];
        s->pcand.v[m] = t;
    }
    s->pcand.n = n;
}

/* The cheapest candidate subtree at the deepest level that has one; GT_NONE if none. */
static uint32_t choose(gt_sched *s, const want_t *w, const gt_shape *sh, gt_time now) {
    const gt_topo *t = s->topo;
    if (s->pcand.cap < MAX_CANDIDATES) {
        uint32_t *v = realloc(s->pcand.v, MAX_CANDIDATES * sizeof *v);
        if (!v)
            return GT_NONE;
        s->pcand.v = v;
        s->pcand.cap = MAX_CANDIDATES;
    }
    int lo = sh->max_level > 0 ? sh->max_level : 0, tried = 0;
    for (int L = t->nlevels - 1; L >= lo && L > 0 && tried < PREEMPT_LEVELS; L--) {
        if (t->level_max_nodes[L] < (uint32_t)sh->nodes)
            continue;
        tried++;
        s->pcand.n = 0;
        collect(s, 0, L, w, sh);
        keep_most_free(s, PRICE_CANDIDATES);
        uint32_t best = GT_NONE;
        int64_t best_cost = -1;
        for (size_t i = 0; i < s->pcand.n; i++) {
            size_t n;
            int64_t c = price(s, s->pcand.v[i], w, now, &n);
            if (c >= 0 && (best == GT_NONE || c < best_cost)) {
                best = s->pcand.v[i];
                best_cost = c;
            }
        }
        if (best != GT_NONE)
            return best;
    }
    return GT_NONE;
}

/* Evict in price order under v until the gang fits there; its slots into out. */
static int evict_until_fits(gt_sched *s, uint32_t j, uint32_t v, const want_t *w, gt_time now,
                            gt_slot *out, uint32_t *span) {
    size_t n;
    if (price(s, v, w, now, &n) < 0)
        return 0;
    const gt_shape *sh = &s->jobs[j].shape;
    for (size_t i = 0; i < n; i++) {
        uint32_t u = s->vic[i].unit;
        if (s->units[u].running && eligible(s, &s->units[u], w))
            core_unit_stop(s, u, GT_WHY_PREEMPTED, 1, now);
        if (s->topo->gpus_free[v] < w->need)
            continue;
        if (gt_place(s->topo, sh, s->pol.placement, v, &s->ps, out, span))
            return 1;
    }
    return 0;
}

static int evict_and_place(gt_sched *s, uint32_t j, uint32_t v, const want_t *w, gt_time now) {
    uint32_t span;
    return evict_until_fits(s, j, v, w, now, s->slot_buf, &span) &&
           core_unit_start(s, j, s->slot_buf, span, now);
}

/* Give back the slots of `got` replicas held provisionally (k slots each). */
static void give_back(gt_sched *s, const job_t *jb, uint32_t got, uint32_t k) {
    for (uint32_t i = 0; i < got * k; i++) {
        const gt_slot *sl = &s->slot_buf[i];
        gt_place_give(s->topo, sl, jb->prio, 0);
    }
}

/* A service's replicas.min as one request: room for each replica in turn (evicting where
 * it costs least), held provisionally at the service's own priority (so that it is never
 * counted evictable for the next one), then all started together. When one cannot be
 * found nothing starts; the victims already stopped go back to the queue. */
static int preempt_gang(gt_sched *s, uint32_t j, want_t *w, gt_time now) {
    const job_t *jb = &s->jobs[j];
    uint32_t k = (uint32_t)jb->shape.nodes, got = 0;
    uint32_t m = jb->min_units < jb->pending ? jb->min_units : jb->pending;
    uint32_t spans[GT_MAX_MIN_REPLICAS];
    if (m > GT_MAX_MIN_REPLICAS || s->topo->gpus_free[0] + evictable(s, 0, w) < w->need * m)
        return 0;
    for (; got < m; got++) {
        gt_slot *out = s->slot_buf + (size_t)got * k;
        uint32_t v = choose(s, w, &jb->shape, now);
        if (v == GT_NONE || !evict_until_fits(s, j, v, w, now, out, &spans[got]))
            break;
        for (uint32_t i = 0; i < k; i++)
            gt_place_take(s->topo, &out[i], jb->prio, 0);
    }
    give_back(s, jb, got, k);
    if (got < m)
        return 0;
    for (uint32_t i = 0; i < m; i++)
        if (!core_unit_start(s, j, s->slot_buf + (size_t)i * k, spans[i], now))
            return 0;
    return 1;
}

int core_preempt_for(gt_sched *s, uint32_t j, gt_time now) {
    const job_t *jb = &s->jobs[j];
    const tenant_t *tn = &s->tenants[jb->tenant];
    if (jb->shape.gpus_per_node == 0)
        return 0; /* CPU work waits instead */
    int gang = jb->kind == GT_KIND_SERVE && jb->running == 0 && jb->min_units > 1;
    uint32_t units = gang ? (jb->min_units < jb->pending ? jb->min_units : jb->pending) : 1;
    want_t w = {j, jb->tenant, jb->prio, 0, core_unit_gpus_of(jb), now};
    int64_t all = w.need * units;
    if (tn->conf.limit_gpus > 0 && tn->gpus_held + all > tn->conf.limit_gpus)
        return 0;
    w.reclaim = tn->conf.quota_gpus > 0 && tn->gpus_held + all <= tn->conf.quota_gpus;
    if (gang) {
        if (now >= s->jobs[j].preempt_retry && preempt_gang(s, j, &w, now))
            return 1;
        s->jobs[j].preempt_retry = now + PREEMPT_RETRY_MS;
        return 0;
    }
    if (s->topo->gpus_free[0] + evictable(s, 0, &w) < w.need)
        return 0;
    if (now < s->jobs[j].preempt_retry)
        return 0;
    uint32_t v = choose(s, &w, &jb->shape, now);
    if (v != GT_NONE && evict_and_place(s, j, v, &w, now))
        return 1;
    s->jobs[j].preempt_retry = now + PREEMPT_RETRY_MS;
    return 0;
}
