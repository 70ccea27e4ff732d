/* SPDX-License-Identifier: MIT
 * Snapshots of the scheduler: its arrays, byte for byte. Everything in gt_sched and in the
 * fleet's mutable arrays is plain data linked by 32-bit indices (never pointers), so a
 * snapshot is a header and a list of sections, each `u64 length` then the bytes of one
 * array, in the fixed order of the table below. Loading checks the header (magic, format
 * version, vertex count, policy) and every section's length against what the fresh
 * scheduler expects, then copies. Scratch (placement, decisions, preemption candidates)
 * is not saved: no call depends on it across calls.
 *
 * The bytes are this machine's representation (endianness, struct layout): a snapshot is
 * read back by the same build of gantryd (the journal keeps the portable history). */
#include <stdlib.h>
#include <string.h>

#include "core/sched_int.h"
#include "util/strbuf.h"

/* 03: jobs by state and kind in the stats; 04: max_restarts; 05: services' replicas;
 * 06: paired services (roles); 07: the fleet's fingerprint; 08: GPUs off; 09: hot spares;
 * 10: dependencies; 11: throttled arrays; 12: GPU shares and the fragmentation model;
 * 13: tasks one by one (states, retry back-off, aftercorr), dropped units counted */
#define MAGIC "GTSNAP13"

typedef struct {
    char magic[8];
    uint32_t nv, nlevels, njobs, nunits, nslots, ntenants, nshapes, shape_hash_cap, heap_n;
    uint32_t unit_free, slot_free, mark_no, nridx, ridx_free, nreps, ndeps, ndep_wait;
    uint64_t pass_no;
    uint64_t fleet; /* fleet_print: the snapshot fits only the fleet it was made on */
    char policy[24];
    uint64_t ntstate;
    uint32_t nretry, ncorr;
} header;

/* FNV-1a over what the config says of each vertex: name, level, parent, GPUs and model,
 * cores, memory. Any change to the fleet changes it (the free counts are state, not
 * config, and are not in it). */
static uint64_t fleet_print(const gt_topo *t) {
    uint64_t h = 1469598103934665603ULL;
#define MIX(x)                                                                                     \
    do {                                                                                           \
        uint64_t v_ = (uint64_t)(x);                                                               \
        for (int b_ = 0; b_ < 8; b_++, v_ >>= 8)                                                   \
            h = (h ^ (v_ & 0xff)) * 1099511628211ULL;                                              \
    } while (0)
    MIX(t->nv);
    MIX(t->nlevels);
    for (uint32_t v = 0; v < t->nv; v++) {
        for (const char *p = gt_topo_name(t, v); *p; p++)
            h = (h ^ (uint8_t)*p) * 1099511628211ULL;
        MIX(t->level[v]);
        MIX(t->parent[v]);
        if (t->level[v] == t->nlevels - 1) {
            MIX(t->n_gpus[v]);
            MIX(t->n_model[v]);
            MIX(t->n_cpus[v]);
            MIX(t->n_mem[v]);
            MIX(t->n_pool[v]);
            MIX(t->n_gpu_mem[v]);
        }
    }
#undef MIX
    return h;
}

/* One array: where it is and how many bytes. */
typedef struct {
    void *p;
    size_t len;
} section;

static size_t sections(const gt_sched *s, const header *h, section out[48]) {
    const gt_topo *t = s->topo;
    size_t nv = h->nv, n = 0;
#define SEC(ptr, count) out[n++] = (section){(void *)(ptr), (size_t)(count) * sizeof *(ptr)}
    SEC(s->jobs, h->njobs);
    SEC(s->units, h->nunits);
    SEC(s->slots, h->nslots);
    SEC(s->node_slots, nv);
    SEC(s->tenants, h->ntenants);
    SEC(s->qhead, (size_t)h->ntenants * GT_NPRIO);
    SEC(s->qtail, (size_t)h->ntenants * GT_NPRIO);
    SEC(s->shapes, h->nshapes);
    SEC(s->shape_hash, h->shape_hash_cap);
    SEC(s->heap, h->heap_n);
    SEC(s->ridx, h->nridx);
    SEC(s->svc, h->njobs);
    SEC(s->reps, h->nreps);
    SEC(s->deps, h->ndeps);
    SEC(s->dep_wait.v, h->ndep_wait);
    SEC(s->tstate, h->ntstate);
    SEC(s->retry, h->nretry);
    SEC(s->corr_jobs.v, h->ncorr);
    SEC(&s->st, 1);
    SEC(&s->live_shapes, 1);
    SEC(&s->live_gpu_shapes, 1);
    SEC(&s->failed_shapes, 1);
    SEC(&s->failed_gpu_shapes, 1);
    SEC(t->n_state, nv);
    SEC(t->n_cpus_free, nv);
    SEC(t->n_mem_free, nv);
    SEC(t->n_gpu_free_mask, nv);
    SEC(t->n_gpu_off_mask, nv);
    SEC(t->gpus_free, nv);
    SEC(t->cpus_free, nv);
    SEC(t->cnt_ge, nv * GT_BINS);
    SEC(t->max_cpus, nv);
    SEC(t->models, nv);
    SEC(t->held, nv * GT_NPRIO);
    SEC(t->borrowed, nv);
    SEC(t->share_max, nv);
    SEC(t->gpu_milli, t->ngpus_all);
    SEC(t->gpu_mem_used, t->ngpus_all);
    SEC(&s->frag, 1);
#undef SEC
    return n;
}

static header header_of(const gt_sched *s) {
    header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.nv = s->topo->nv;
    h.nlevels = (uint32_t)s->topo->nlevels;
    h.njobs = s->njobs;
    h.nunits = s->nunits;
    h.nslots = s->nslots;
    h.ntenants = s->ntenants;
    h.nshapes = s->nshapes;
    h.shape_hash_cap = s->shape_hash_cap;
    h.heap_n = s->heap_n;
    h.unit_free = s->unit_free;
    h.slot_free = s->slot_free;
    h.mark_no = s->mark_no;
    h.nridx = s->nridx;
    h.ridx_free = s->ridx_free;
    h.nreps = s->nreps;
    h.ndeps = s->ndeps;
    h.ndep_wait = (uint32_t)s->dep_wait.n;
    h.ntstate = s->ntstate;
    h.nretry = s->nretry;
    h.ncorr = (uint32_t)s->corr_jobs.n;
    h.pass_no = s->pass_no;
    h.fleet = fleet_print(s->topo);
    memcpy(h.policy, s->pol.name, sizeof h.policy);
    return h;
}

void gt_sched_save(const gt_sched *s, gt_sb *out) {
    header h = header_of(s);
    gt_sb_putn(out, (const char *)&h, sizeof h);
    section sec[48];
    size_t n = sections(s, &h, sec);
    for (size_t i = 0; i < n; i++) {
        uint64_t len = sec[i].len;
        gt_sb_putn(out, (const char *)&len, sizeof len);
        if (len)
            gt_sb_putn(out, sec[i].p, sec[i].len);
    }
}

/* Size the fresh scheduler's arrays for the saved counts. */
static int make_room(gt_sched *s, const header *h) {
    while (s->tenants_cap < h->ntenants)
        if (!core_sched_tenants_grow(s))
            return 0;
    void *j = realloc(s->jobs, (h->njobs ? h->njobs : 1) * sizeof *s->jobs);
    if (j)
        s->jobs = j, s->jobs_cap = h->njobs ? h->njobs : 1;
    void *u = j ? realloc(s->units, (h->nunits ? h->nunits : 1) * sizeof *s->units) : NULL;
    if (u)
        s->units = u, s->units_cap = h->nunits ? h->nunits : 1;
    void *sl = u ? realloc(s->slots, (h->nslots ? h->nslots : 1) * sizeof *s->slots) : NULL;
    if (sl)
        s->slots = sl, s->slots_cap = h->nslots ? h->nslots : 1;
    uint32_t shcap = h->nshapes > 64 ? h->nshapes : 64;
    void *sh = sl ? realloc(s->shapes, shcap * sizeof *s->shapes) : NULL;
    if (sh)
        s->shapes = sh, s->shapes_cap = shcap;
    void *hh = sh ? realloc(s->shape_hash, h->shape_hash_cap * sizeof *s->shape_hash) : NULL;
    if (hh)
        s->shape_hash = hh;
    void *hp = hh ? realloc(s->heap, (h->heap_n ? h->heap_n : 1) * sizeof *s->heap) : NULL;
    if (hp)
        s->heap = hp, s->heap_cap = h->heap_n ? h->heap_n : 1;
    void *ri = hp ? realloc(s->ridx, (h->nridx ? h->nridx : 1) * sizeof *s->ridx) : NULL;
    if (ri)
        s->ridx = ri, s->ridx_cap = h->nridx ? h->nridx : 1;
    void *sv = ri ? realloc(s->svc, (h->njobs ? h->njobs : 1) * sizeof *s->svc) : NULL;
    if (sv)
        s->svc = sv, s->svc_cap = h->njobs ? h->njobs : 1;
    void *rp = sv ? realloc(s->reps, (h->nreps ? h->nreps : 1) * sizeof *s->reps) : NULL;
    if (rp)
        s->reps = rp, s->reps_cap = h->nreps ? h->nreps : 1;
    void *dp = rp ? realloc(s->deps, (h->ndeps ? h->ndeps : 1) * sizeof *s->deps) : NULL;
    if (dp)
        s->deps = dp, s->deps_cap = h->ndeps ? h->ndeps : 1;
    void *dw =
        dp ? realloc(s->dep_wait.v, (h->ndep_wait ? h->ndep_wait : 1) * sizeof(uint32_t)) : NULL;
    if (dw)
        s->dep_wait.v = dw, s->dep_wait.cap = h->ndep_wait ? h->ndep_wait : 1;
    size_t nts = h->ntstate ? (size_t)h->ntstate : 1;
    void *ts = dw && h->ntstate < SIZE_MAX / 2 ? realloc(s->tstate, nts * sizeof *s->tstate) : NULL;
    if (ts)
        s->tstate = ts, s->tstate_cap = nts;
    void *rt = ts ? realloc(s->retry, (h->nretry ? h->nretry : 1) * sizeof *s->retry) : NULL;
    if (rt)
        s->retry = rt, s->retry_cap = h->nretry ? h->nretry : 1;
    void *cj = rt ? realloc(s->corr_jobs.v, (h->ncorr ? h->ncorr : 1) * sizeof(uint32_t)) : NULL;
    if (cj)
        s->corr_jobs.v = cj, s->corr_jobs.cap = h->ncorr ? h->ncorr : 1;
    return cj != NULL;
}

static int header_ok(const gt_sched *s, const header *h, gt_error *err) {
    if (!memcmp(h->magic, MAGIC, 6) && memcmp(h->magic, MAGIC, 8))
        return gt_fail(err, GT_E_PARSE, "snapshot",
                       "format %.8s was written by another version of gantry; this build reads "
                       "%s only",
                       h->magic, MAGIC),
               0;
    if (memcmp(h->magic, MAGIC, 8))
        return gt_fail(err, GT_E_PARSE, "snapshot", "not a scheduler snapshot (format %s)", MAGIC),
               0;
    if (h->nv != s->topo->nv || h->nlevels != (uint32_t)s->topo->nlevels ||
        h->fleet != fleet_print(s->topo) || strncmp(h->policy, s->pol.name, sizeof h->policy) ||
        h->ntenants < s->ntenants || h->shape_hash_cap == 0 ||
        (h->shape_hash_cap & (h->shape_hash_cap - 1)))
        return gt_fail(err, GT_E_INVALID, "snapshot",
                       "made for another fleet or policy (%u vertices, policy %.24s)", h->nv,
                       h->policy),
               0;
    return 1;
}

gt_err gt_sched_snapshot_check(const gt_sched *s, const void *data, size_t len, gt_error *err) {
    header h;
    if (len < sizeof h)
        return gt_fail(err, GT_E_PARSE, "snapshot", "truncated header");
    memcpy(&h, data, sizeof h);
    return header_ok(s, &h, err) ? GT_E_OK : err ? err->code : GT_E_INVALID;
}

gt_err gt_sched_load(gt_sched *s, const void *data, size_t len, gt_error *err) {
    const char *p = data;
    header h;
    if (len < sizeof h)
        return gt_fail(err, GT_E_PARSE, "snapshot", "truncated header");
    memcpy(&h, p, sizeof h);
    if (!header_ok(s, &h, err))
        return err ? err->code : GT_E_INVALID;
    if (!make_room(s, &h))
        return gt_fail(err, GT_E_NOMEM, "snapshot", "out of memory");
    section sec[48];
    size_t n = sections(s, &h, sec), off = sizeof h;
    for (size_t i = 0; i < n; i++) {
        uint64_t l;
        if (len - off < sizeof l)
            return gt_fail(err, GT_E_PARSE, "snapshot", "truncated at section %zu", i);
        memcpy(&l, p + off, sizeof l);
        off += sizeof l;
        if (l != sec[i].len || len - off < l)
            return gt_fail(err, GT_E_PARSE, "snapshot", "section %zu: %llu bytes, expected %zu", i,
                           (unsigned long long)l, sec[i].len);
        if (l)
            memcpy(sec[i].p, p + off, l);
        off += l;
    }
    if (off != len)
        return gt_fail(err, GT_E_PARSE, "snapshot", "%zu bytes after the last section", len - off);
    s->njobs = h.njobs;
    s->nunits = h.nunits;
    s->nslots = h.nslots;
    s->ntenants = h.ntenants;
    s->nlists = h.ntenants * GT_NPRIO;
    s->nshapes = h.nshapes;
    s->shape_hash_cap = h.shape_hash_cap;
    s->heap_n = h.heap_n;
    s->unit_free = h.unit_free;
    s->slot_free = h.slot_free;
    s->mark_no = h.mark_no;
    s->nridx = h.nridx;
    s->ridx_free = h.ridx_free;
    s->nreps = h.nreps;
    s->ndeps = h.ndeps;
    s->dep_wait.n = h.ndep_wait;
    s->ntstate = (size_t)h.ntstate;
    s->nretry = h.nretry;
    s->corr_jobs.n = h.ncorr;
    s->pass_no = h.pass_no;
    return GT_E_OK;
}
