/* SPDX-License-Identifier: MIT
 * Snapshots of the controller, so restart stays fast however long the journal grew.
 *
 * A snapshot at journal entry S holds the scheduler (gt_sched_save) and the controller's
 * own records: every job's spec document and runs, the node states and the clock. The
 * state thread builds it in memory right after a commit (so it is exactly the state after
 * entry S), every server.snapshot_every entries and at a clean shutdown; building is a
 * copy of its arrays and records, and is all the state thread waits for. Writing it to a
 * file, recording it and compacting the journal are snapwriter.c's; picking one at
 * start-up is restore.c's.
 *
 * Records format (this machine's byte order; the header's version guards changes):
 *   "GTCT" u32 version, u32 njobs, u32 nv, i64 last_t   (node states are in the fleet,
 *   which the scheduler's snapshot holds)
 *   per job: u32 doc length, doc bytes, u32 nruns, then per run:
 *     u32 unit gen handle nslots ranks exited starts (version 4; version 3 has no starts:
 *     read as 1), u8 state failed, i32 exit_code signal fail_rank,
 *     i64 start end, u32 reason length (0: none) + bytes,
 *     u32 nodes[nslots], u32 masks[nslots], i32 cpus[nslots], u16 nranks[nslots]
 *     then (version 6) u8 nports and, when not 0, u16 ports[nslots * nports]
 *     then (version 7) u32 version (the job's spec version it started with), u8 ready,
 *     i64 ready_ms
 *   and per job, after its runs (version 7): u32 version next_version prev_version, u8
 *   rolling, char roll_state[16], i64 roll_started roll_deadline, u32 prev_doc length (0:
 *   none) + bytes; then (version 8) u32 failure length (0: none) + bytes: why a job failed
 *   without running (a submission the fleet could no longer hold at a replay)
 *   then (version 5) u32 count of drained nodes with a reason, each: u32 vertex, u32
 *   length, bytes
 *   then (version 9) u32 count of pool slots bound to an agent, each: u32 vertex, u8
 *   leaving, u32 length, the name it joined as
 *   (version 10) per job, after its failure: u32 Idempotency-Key length (0: none) + bytes
 *   and, with a key, u64 the hash of the document it was submitted with */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "util/strbuf.h"

#define VERSION 10

/* Appends without the buffer's NUL while there is room (the records are millions of small
 * pieces: this is most of the time the state thread spends on a snapshot); save_records
 * puts the NUL back at the end. */
static inline void put(gt_sb *b, const void *p, size_t n) {
    if (b->cap - b->len > n) {
        memcpy(b->s + b->len, p, n);
        b->len += n;
    } else {
        gt_sb_putn(b, p, n);
    }
}
#define PUT(b, x) put((b), &(x), sizeof(x))

static void save_run(gt_sb *b, const ctld_run *r) {
    uint32_t u[7] = {r->unit, r->gen, r->handle, r->nslots, r->ranks, r->exited, r->starts};
    uint8_t f[2] = {r->state, r->failed};
    int32_t e[3] = {r->exit_code, r->signal, r->fail_rank};
    int64_t t[2] = {r->start_ms, r->end_ms};
    uint32_t rl = r->reason ? (uint32_t)strlen(r->reason) : 0;
    PUT(b, u);
    PUT(b, f);
    PUT(b, e);
    PUT(b, t);
    PUT(b, rl);
    put(b, r->reason ? r->reason : "", rl);
    put(b, r->nodes, r->nslots * sizeof *r->nodes);
    put(b, r->masks, r->nslots * sizeof *r->masks);
    put(b, r->cpus, r->nslots * sizeof *r->cpus);
    put(b, r->nranks, r->nslots * sizeof *r->nranks);
    uint8_t np = r->ports ? r->nports : 0;
    PUT(b, np);
    if (np)
        put(b, r->ports, (size_t)r->nslots * np * sizeof *r->ports);
    PUT(b, r->version);
    PUT(b, r->ready);
    PUT(b, r->ready_ms);
}

static void save_rollout(gt_sb *b, const ctld_job *jb) {
    uint32_t v[3] = {jb->version, jb->next_version, jb->prev_version};
    int64_t t[2] = {jb->roll_started, jb->roll_deadline};
    uint32_t pl = jb->prev_doc ? (uint32_t)strlen(jb->prev_doc) : 0;
    PUT(b, v);
    PUT(b, jb->rolling);
    put(b, jb->roll_state, sizeof jb->roll_state);
    PUT(b, t);
    PUT(b, pl);
    put(b, jb->prev_doc ? jb->prev_doc : "", pl);
    uint32_t fl = jb->failure ? (uint32_t)strlen(jb->failure) : 0;
    PUT(b, fl);
    put(b, jb->failure ? jb->failure : "", fl);
    uint32_t kl = jb->idem_key ? (uint32_t)strlen(jb->idem_key) : 0;
    PUT(b, kl);
    put(b, jb->idem_key ? jb->idem_key : "", kl);
    if (kl)
        PUT(b, jb->idem_doc);
}

static void save_records(const gt_ctld *c, gt_sb *b) {
    uint32_t nv = gt_sched_topo(c->sched)->nv, ver = VERSION;
    put(b, "GTCT", 4);
    PUT(b, ver);
    PUT(b, c->njobs);
    PUT(b, nv);
    PUT(b, c->last_t);
    for (uint32_t j = 0; j < c->njobs; j++) {
        const ctld_job *jb = &c->jobs[j];
        uint32_t dl = (uint32_t)strlen(jb->doc);
        PUT(b, dl);
        put(b, jb->doc, dl);
        PUT(b, jb->nruns);
        for (uint32_t i = 0; i < jb->nruns; i++)
            save_run(b, &jb->runs[i]);
        save_rollout(b, jb);
    }
    uint32_t nr = 0;
    for (uint32_t v = 0; v < nv; v++)
        nr += c->node_reason[v] != NULL;
    PUT(b, nr);
    for (uint32_t v = 0; v < nv; v++) {
        if (!c->node_reason[v])
            continue;
        uint32_t l = (uint32_t)strlen(c->node_reason[v]);
        PUT(b, v);
        PUT(b, l);
        put(b, c->node_reason[v], l);
    }
    uint32_t ns = 0;
    for (uint32_t v = 0; v < nv; v++)
        ns += c->slot_as[v] != NULL;
    PUT(b, ns);
    for (uint32_t v = 0; v < nv; v++) {
        if (!c->slot_as[v])
            continue;
        uint32_t l = (uint32_t)strlen(c->slot_as[v]);
        PUT(b, v);
        PUT(b, c->slot_leaving[v]);
        PUT(b, l);
        put(b, c->slot_as[v], l);
    }
    if (b->s && !b->oom)
        b->s[b->len] = 0;
}

/* ---- loading ---- */

typedef struct {
    const char *p;
    size_t n, off;
    int bad;
} rd;

static void get(rd *r, void *dst, size_t n) {
    if (r->bad || r->n - r->off < n) {
        r->bad = 1;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p + r->off, n);
    r->off += n;
}
#define GET(r, x) get((r), &(x), sizeof(x))

static char *get_str(rd *r, uint32_t len) {
    char *s = len < (1u << 30) ? malloc((size_t)len + 1) : NULL;
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    get(r, s, len);
    s[len] = 0;
    return s;
}

static void load_run(rd *r, ctld_run *x, uint32_t ver) {
    uint32_t u[7] = {0}, rl;
    uint8_t f[2];
    int32_t e[3];
    int64_t t[2];
    get(r, u, (ver >= 4 ? 7 : 6) * sizeof *u);
    GET(r, f);
    GET(r, e);
    GET(r, t);
    GET(r, rl);
    *x = (ctld_run){.unit = u[0],
                    .gen = u[1],
                    .handle = u[2],
                    .nslots = u[3],
                    .ranks = u[4],
                    .exited = u[5],
                    .starts = ver >= 4 ? u[6] : 1};
    x->state = f[0];
    x->failed = f[1];
    x->exit_code = e[0];
    x->signal = e[1];
    x->fail_rank = e[2];
    x->start_ms = t[0];
    x->end_ms = t[1];
    x->reason = rl ? get_str(r, rl) : NULL;
    if (x->nslots > (1u << 24) || !ctld_run_slots_alloc(x, x->nslots)) {
        r->bad = 1;
        x->nslots = 0;
        return;
    }
    get(r, x->nodes, x->nslots * sizeof *x->nodes);
    get(r, x->masks, x->nslots * sizeof *x->masks);
    get(r, x->cpus, x->nslots * sizeof *x->cpus);
    get(r, x->nranks, x->nslots * sizeof *x->nranks);
    uint8_t np = 0;
    if (ver >= 6)
        GET(r, np);
    if (np && (np > GT_PROTO_MAX_PORTS || !(x->ports = calloc((size_t)x->nslots * np, 2)))) {
        r->bad = 1;
        return;
    }
    x->nports = np;
    if (np)
        get(r, x->ports, (size_t)x->nslots * np * sizeof *x->ports);
    x->version = 1;
    if (ver >= 7) {
        GET(r, x->version);
        GET(r, x->ready);
        GET(r, x->ready_ms);
    }
}

static void load_rollout(gt_ctld *c, rd *r, uint32_t j, uint32_t ver) {
    ctld_job *jb = &c->jobs[j];
    jb->version = jb->next_version = 1;
    if (ver < 7)
        return;
    uint32_t v[3], pl;
    int64_t t[2];
    GET(r, v);
    GET(r, jb->rolling);
    get(r, jb->roll_state, sizeof jb->roll_state);
    jb->roll_state[sizeof jb->roll_state - 1] = 0;
    GET(r, t);
    GET(r, pl);
    jb->version = v[0], jb->next_version = v[1], jb->prev_version = v[2];
    jb->roll_started = t[0], jb->roll_deadline = t[1];
    if (pl > (64u << 20))
        r->bad = 1;
    else if (pl)
        jb->prev_doc = get_str(r, pl);
    uint32_t fl = 0;
    if (ver >= 8)
        GET(r, fl);
    if (fl > 65536)
        r->bad = 1;
    else if (fl)
        jb->failure = get_str(r, fl);
    uint32_t kl = 0;
    if (ver >= 10)
        GET(r, kl);
    if (kl > 200)
        r->bad = 1;
    else if (kl) {
        char *key = get_str(r, kl);
        uint64_t dh = 0;
        GET(r, dh);
        if (!key || !ctld_idem_put(c, j, key, dh))
            r->bad = 1;
        free(key);
    }
}

static int load_job(gt_ctld *c, rd *r, uint32_t j, uint32_t ver) {
    ctld_job *jb = &c->jobs[j];
    uint32_t dl, nr;
    GET(r, dl);
    jb->doc = get_str(r, dl);
    jb->ep_version = 1;
    GET(r, nr);
    if (r->bad || nr > (1u << 26))
        return 0;
    jb->runs = calloc(nr ? nr : 1, sizeof *jb->runs);
    jb->cap = nr ? nr : 1;
    if (!jb->runs)
        return 0;
    for (uint32_t i = 0; i < nr && !r->bad; i++) {
        load_run(r, &jb->runs[i], ver);
        jb->nruns = i + 1;
        if (!gt_u64map_put(&c->runs, (uint64_t)j << 32 | jb->runs[i].unit, i))
            return 0;
    }
    load_rollout(c, r, j, ver);
    return !r->bad;
}

/* Version 5: the reasons drained nodes were given. */
/* Version 9: the pool slots' bindings. */
static int load_slots(gt_ctld *c, rd *r, uint32_t nv) {
    uint32_t n = 0;
    GET(r, n);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        uint32_t v = 0, l = 0;
        uint8_t leaving = 0;
        GET(r, v);
        GET(r, leaving);
        GET(r, l);
        if (r->bad || v >= nv || l == 0 || l > 255)
            return 0;
        free(c->slot_as[v]);
        c->slot_as[v] = get_str(r, l);
        ctld_slot_leaving(c, v, leaving);
    }
    return !r->bad;
}

static int load_reasons(gt_ctld *c, rd *r, uint32_t nv) {
    uint32_t n = 0;
    GET(r, n);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        uint32_t v = 0, l = 0;
        GET(r, v);
        GET(r, l);
        if (r->bad || v >= nv || l > 4096)
            return 0;
        free(c->node_reason[v]);
        c->node_reason[v] = get_str(r, l);
    }
    return !r->bad;
}

static gt_err load_records(gt_ctld *c, const void *data, size_t len, gt_error *err) {
    rd r = {data, len, 0, 0};
    char magic[4];
    uint32_t ver, njobs, nv;
    get(&r, magic, 4);
    GET(&r, ver);
    GET(&r, njobs);
    GET(&r, nv);
    GET(&r, c->last_t);
    /* Versions 3 (before runs kept their start count: each counts as started once), 4
     * (before node reasons: none) and 5 (before ports: none) load too. */
    if (r.bad || memcmp(magic, "GTCT", 4) || ver < 3 || ver > VERSION ||
        nv != gt_sched_topo(c->sched)->nv || njobs != gt_sched_njobs(c->sched))
        return gt_fail(err, GT_E_INVALID, "snapshot",
                       "the controller's records do not match this build or fleet");
    c->jobs = calloc(njobs ? njobs : 1, sizeof *c->jobs);
    if (!c->jobs)
        return gt_fail(err, GT_E_NOMEM, "snapshot", "out of memory");
    c->jobs_cap = njobs ? njobs : 1;
    for (uint32_t j = 0; j < njobs; j++) {
        c->njobs = j + 1;
        if (!load_job(c, &r, j, ver))
            return gt_fail(err, GT_E_PARSE, "snapshot", "damaged records (job %u)", j);
        gt_job_info ji;
        if (!gt_sched_job(c->sched, j, &ji) || ji.kind != GT_KIND_SERVE)
            continue;
        ctld_role_init(c, j);
        if (ji.state < GT_JOB_COMPLETED)
            ctld_service_track(c, j);
    }
    if (ver >= 5 && !load_reasons(c, &r, nv))
        return gt_fail(err, GT_E_PARSE, "snapshot", "damaged records (node reasons)");
    if (ver >= 9 && !load_slots(c, &r, nv))
        return gt_fail(err, GT_E_PARSE, "snapshot", "damaged records (pool nodes)");
    if (r.off != r.n)
        return gt_fail(err, GT_E_PARSE, "snapshot", "damaged records (trailing bytes)");
    return GT_E_OK;
}

gt_err ctld_snapshot_build(gt_ctld *c, ctld_snap *out, gt_error *err) {
    int64_t t0 = gt_clock_mono_ns();
    out->seq = gt_journal_last_seq(c->journal);
    gt_sb_init(&out->core);
    gt_sb_init(&out->rec);
    /* room for about the last sizes: one allocation each instead of a doubling series */
    gt_sb_reserve(&out->core, c->snap_hint[0] + c->snap_hint[0] / 8);
    gt_sb_reserve(&out->rec, c->snap_hint[1] + c->snap_hint[1] / 8);
    gt_sched_save(c->sched, &out->core);
    save_records(c, &out->rec);
    out->build_ns = gt_clock_mono_ns() - t0;
    c->snap_hint[0] = out->core.len;
    c->snap_hint[1] = out->rec.len;
    if (!out->core.oom && !out->rec.oom)
        return GT_E_OK;
    ctld_snap_free(out);
    return gt_fail(err, GT_E_NOMEM, "snapshot", "out of memory");
}

void ctld_snap_free(ctld_snap *s) {
    gt_sb_free(&s->core);
    gt_sb_free(&s->rec);
}

gt_err ctld_snapshot_load(gt_ctld *c, const void *core, size_t core_len, const void *rec,
                          size_t rec_len, gt_error *err) {
    gt_err e = gt_sched_load(c->sched, core, core_len, err);
    return e ? e : load_records(c, rec, rec_len, err);
}

void ctld_snap_log(const gt_ctld *c, const ctld_snap *s, int64_t write_ns, const char *how) {
    ctld_log(c,
             "snapshot at entry %lld: built %.1f MB (%zu + %zu bytes) in %.1f ms (state thread), "
             "written in %.1f ms (%s)",
             (long long)s->seq, (double)(s->core.len + s->rec.len) / 1e6, s->core.len, s->rec.len,
             (double)s->build_ns / 1e6, (double)write_ns / 1e6, how);
}
