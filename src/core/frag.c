/* SPDX-License-Identifier: MIT
 * Fragmentation model and measure; the definitions are in frag.h. */
#include "core/frag.h"

#include <math.h>
#include <string.h>

void gt_frag_init(gt_frag_model *m, double half_life) {
    memset(m, 0, sizeof *m);
    m->keep = half_life > 0 ? pow(2.0, -1.0 / half_life) : 1.0;
}

/* Two buckets per power of two: x in [2^k, 1.5 * 2^k) and [1.5 * 2^k, 2^(k+1)). */
static int bucket(int64_t x) {
    if (x <= 0)
        return -1;
    int k = 63 - __builtin_clzll((unsigned long long)x);
    return 2 * k + (k > 0 ? (int)((x >> (k - 1)) & 1) : 0);
}

/* The models a shape may use: its set, or its one model (0: any). */
static uint32_t models_of(const gt_shape *sh) {
    return sh->models ? sh->models : sh->model >= 0 && sh->gpus_per_node > 0 ? 1u << sh->model : 0;
}

static int same_class(const gt_frag_class *c, const gt_shape *sh) {
    return c->gpus == sh->gpus_per_node && c->milli / 25 == sh->gpu_milli / 25 &&
           bucket(c->cpus) == bucket(sh->cpus_per_node) &&
           bucket(c->mem) == bucket(sh->mem_per_node) &&
           bucket(c->gpu_mem) == bucket(sh->gpu_mem) && c->models == models_of(sh);
}

void gt_frag_observe(gt_frag_model *m, const gt_shape *sh, double n) {
    if (!(n > 0))
        return;
    if (m->keep < 1.0) {
        double k = n == 1.0 ? m->keep : pow(m->keep, n);
        for (int i = 0; i < m->n; i++)
            m->c[i].w *= k;
        m->total *= k;
        m->gangs *= k;
    }
    m->total += n;
    if (sh->nodes > 1)
        m->gangs += n;
    for (int i = 0; i < m->n; i++)
        if (same_class(&m->c[i], sh)) {
            m->c[i].w += n;
            return;
        }
    int at = m->n;
    if (m->n == GT_FRAG_CLASSES) { /* the lightest class gives way */
        at = 0;
        for (int i = 1; i < m->n; i++)
            if (m->c[i].w < m->c[at].w)
                at = i;
        m->total -= m->c[at].w;
    } else {
        m->n++;
    }
    gt_frag_class *c = &m->c[at];
    c->gpus = sh->gpus_per_node;
    c->milli = sh->gpu_milli;
    c->cpus = sh->cpus_per_node;
    c->mem = sh->mem_per_node;
    c->gpu_mem = sh->gpu_mem;
    c->models = models_of(sh);
    c->w = n;
}

int gt_frag_gangs_matter(const gt_frag_model *m) {
    return m->total < GT_FRAG_GANG_SEEN || m->gangs >= GT_FRAG_GANG_SHARE * m->total;
}

void gt_frag_node_of(const gt_topo *t, uint32_t n, gt_frag_node *v) {
    v->ngpus = t->n_gpus[n];
    v->model = t->n_model[n];
    for (int g = 0; g < v->ngpus; g++) {
        v->room[g] = (int16_t)gt_topo_gpu_room(t, n, g);
        v->mem_room[g] = gt_topo_gpu_mem_room(t, n, g);
    }
    v->cpus = t->n_cpus_free[n];
    v->mem = t->n_mem_free[n];
}

void gt_frag_node_take(gt_frag_node *v, const gt_shape *sh, uint32_t mask) {
    v->cpus -= sh->cpus_per_node;
    v->mem -= sh->mem_per_node;
    for (int g = 0; g < v->ngpus; g++) {
        if (!((mask >> g) & 1u))
            continue;
        if (sh->gpu_milli > 0) {
            v->room[g] = (int16_t)(v->room[g] - sh->gpu_milli);
            v->mem_room[g] -= sh->gpu_mem;
        } else {
            v->room[g] = 0;
        }
    }
}

/* The free capacity class c cannot use on the node; `all` is the node's free capacity. */
static int stranded(const gt_frag_class *c, const gt_frag_node *v, int all) {
    if ((c->gpus == 0 && c->milli == 0) || (c->models && !((c->models >> v->model) & 1u)) ||
        v->cpus < c->cpus || v->mem < c->mem)
        return all;
    int s = 0;
    if (c->milli > 0) {
        for (int g = 0; g < v->ngpus; g++)
            if (v->room[g] < c->milli || (c->gpu_mem > 0 && v->mem_room[g] < c->gpu_mem))
                s += v->room[g];
        return s;
    }
    int whole = 0;
    for (int g = 0; g < v->ngpus; g++) {
        if (v->room[g] == GT_MILLI)
            whole++;
        else
            s += v->room[g];
    }
    return whole < c->gpus ? all : s;
}

double gt_frag_of(const gt_frag_model *m, const gt_frag_node *v) {
    int all = 0;
    for (int g = 0; g < v->ngpus; g++)
        all += v->room[g];
    if (all == 0 || m->total <= 0)
        return 0;
    double f = 0;
    for (int i = 0; i < m->n; i++)
        f += m->c[i].w * stranded(&m->c[i], v, all);
    return f / m->total;
}
