/* SPDX-License-Identifier: MIT
 * The replay loop (see sim.h). Metrics are integrals over virtual time, updated whenever
 * time advances: allocated GPUs and cores, and the GPUs that sit free while no waiting
 * GPU shape can be placed (fragmentation). */
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sim/simq.h"
#include "sim/svcload.h"
#include "util/vec.h"

enum { F_RECORDED = 1, F_END_SET = 2 };

typedef struct {
    const gt_trace *tr;
    gt_config *cfg;
    gt_sched *s;
    const gt_sim_opts *o;
    gt_sim_result *r;
    simq q;
    uint32_t *trace_of; /* core job id -> trace index */
    uint32_t *job_of;   /* trace index -> core job id (GT_NONE: refused, or not yet) */
    uint8_t *flags;     /* per core job: F_* */
    gt_time *ustart;    /* per unit id: start time */
    int32_t *ugpus, *ucpus;
    uint32_t *utenant;
    float *uslow;      /* per unit: runtime factor of its placement */
    gt_time *progress; /* per job: work saved at checkpoints (train) */
    uint32_t ucap;
    int64_t alloc_gpus, alloc_cpus;
    gt_time last, t0, period, bucket_end;
    double bucket_int, util_int, cpu_int, frag_int;
    gt_time t_end; /* last submission */
    /* At the last job's end (the makespan's end): the time and the integrals then. */
    gt_time t_done;
    double util_done, cpu_done, frag_done;
    gt_rng rng; /* node failures */
    uint32_t *nodes, nnodes;
    double win_gpu, win_cpu;
    uint32_t util_cap;
    float *lat, *dlat; /* per pass; per decision (passes that made any) */
    size_t nlat, lat_cap, ndlat, dlat_cap;
    size_t jct_cap;
    double *waits;
    sim_svcload svc; /* opts.autoscale */
    int oom;         /* out of memory: the replay stops, gt_sim_run fails */
} sim_t;

/* The replay cannot go on without memory for its own bookkeeping: it stops at the next
 * event (loop), applies nothing more, and gt_sim_run returns GT_E_NOMEM. Returns 0. */
static int out_of_memory(sim_t *m) {
    m->oom = 1;
    return 0;
}

/* sim_q_push; out of memory stops the replay. */
static void push(sim_t *m, gt_time t, uint8_t type, uint32_t job, uint32_t unit, uint32_t gen) {
    if (!sim_q_push(&m->q, t, type, job, unit, gen))
        out_of_memory(m);
}

/* Room for unit u in the per-unit arrays, which share one capacity. 0 when out of memory. */
static int grow_units(sim_t *m, uint32_t u) {
    if (u < m->ucap)
        return 1;
    size_t cap = gt_vec_grow_cap(m->ucap, (size_t)u + 1, 1024, UINT32_MAX);
    if (!cap || !gt_vec_resize((void **)&m->ustart, cap, sizeof *m->ustart) ||
        !gt_vec_resize((void **)&m->ugpus, cap, sizeof *m->ugpus) ||
        !gt_vec_resize((void **)&m->ucpus, cap, sizeof *m->ucpus) ||
        !gt_vec_resize((void **)&m->utenant, cap, sizeof *m->utenant) ||
        !gt_vec_resize((void **)&m->uslow, cap, sizeof *m->uslow))
        return out_of_memory(m);
    m->ucap = (uint32_t)cap;
    return 1;
}

/* The series is full (GT_SIM_MAX_SAMPLES): each pair of neighbouring buckets becomes one
 * of twice the length (their mean, at the later end), and the open bucket becomes the
 * first half of the next one. Every stored bucket keeps the current period. */
static void halve_samples(sim_t *m) {
    gt_sim_result *r = m->r;
    for (uint32_t k = 0; k + 1 < r->nutil; k += 2) {
        r->util_t[k / 2] = r->util_t[k + 1];
        r->util_v[k / 2] = (r->util_v[k] + r->util_v[k + 1]) / 2;
    }
    r->nutil /= 2;
    m->bucket_end += m->period;
    m->period *= 2;
}

/* Close utilisation buckets up to `now`. */
static void sample_to(sim_t *m, gt_time now) {
    gt_sim_result *r = m->r;
    int64_t total = gt_sched_topo(m->s)->gpus_total[0];
    while (now >= m->bucket_end && !m->oom) {
        if (r->nutil == GT_SIM_MAX_SAMPLES) {
            halve_samples(m);
            continue;
        }
        if (r->nutil == m->util_cap) { /* util_t and util_v share util_cap */
            size_t cap =
                gt_vec_grow_cap(m->util_cap, (size_t)r->nutil + 1, 512, GT_SIM_MAX_SAMPLES);
            if (!cap || !gt_vec_resize((void **)&r->util_t, cap, sizeof *r->util_t) ||
                !gt_vec_resize((void **)&r->util_v, cap, sizeof *r->util_v)) {
                out_of_memory(m);
                return;
            }
            m->util_cap = (uint32_t)cap;
        }
        gt_time from = m->last > m->bucket_end - m->period ? m->last : m->bucket_end - m->period;
        m->bucket_int += (double)m->alloc_gpus * (double)(m->bucket_end - from);
        r->util_t[r->nutil] = (double)(m->bucket_end - m->t0) / 3.6e6;
        r->util_v[r->nutil++] = total ? m->bucket_int / ((double)total * (double)m->period) : 0;
        m->bucket_int = 0;
        m->last = m->bucket_end;
        m->bucket_end += m->period;
    }
}

static void advance(sim_t *m, gt_time now) {
    if (now <= m->last)
        return;
    gt_sched_stats st;
    gt_sched_get_stats(m->s, &st);
    double dt = (double)(now - m->last);
    m->util_int += (double)m->alloc_gpus * dt;
    m->cpu_int += (double)m->alloc_cpus * dt;
    if (m->last < m->t_end) {
        double w = (double)((now < m->t_end ? now : m->t_end) - m->last);
        m->win_gpu += (double)m->alloc_gpus * w;
        m->win_cpu += (double)m->alloc_cpus * w;
    }
    if (st.last_pass_gpu_blocked)
        m->frag_int += (double)gt_sched_topo(m->s)->gpus_free[0] * dt;
    sample_to(m, now);
    m->bucket_int += (double)m->alloc_gpus * (double)(now - m->last);
    m->last = now;
}

static double slowdown(const sim_t *m, const gt_decision *d, const gt_job_info *ji) {
    if (ji->kind != GT_KIND_TRAIN || ji->shape.nodes < 2)
        return 1.0;
    return m->cfg->slowdown[d->span_level];
}

static void on_start(sim_t *m, const gt_decision *d, gt_time now) {
    gt_job_info ji;
    gt_sched_job(m->s, d->job, &ji);
    const gt_jobspec *sp = &m->tr->jobs[m->trace_of[d->job]];
    if (!grow_units(m, d->unit))
        return;
    m->ustart[d->unit] = now;
    m->ugpus[d->unit] = ji.shape.nodes * ji.shape.gpus_per_node;
    /* CPU utilisation counts CPU-only work (the cores GPU jobs take come with their GPUs). */
    m->ucpus[d->unit] = ji.shape.gpus_per_node ? 0 : ji.shape.nodes * ji.shape.cpus_per_node;
    m->utenant[d->unit] = ji.tenant;
    m->alloc_gpus += m->ugpus[d->unit];
    m->alloc_cpus += m->ucpus[d->unit];
    if (ji.kind == GT_KIND_TRAIN && m->ugpus[d->unit] > 1) {
        m->r->gangs++;
        m->r->span_count[d->span_level]++;
    }
    if (ji.kind == GT_KIND_SERVE) {
        if (!(m->flags[d->job] & F_END_SET)) {
            m->flags[d->job] |= F_END_SET; /* a service runs its duration from first start */
            push(m, now + sp->duration_ms, SIMQ_JOB_END, d->job, 0, 0);
        }
        return;
    }
    double slow = slowdown(m, d, &ji);
    m->uslow[d->unit] = (float)slow;
    gt_time left = sp->duration_ms - (ji.kind == GT_KIND_TRAIN ? m->progress[d->job] : 0);
    gt_time dur = (gt_time)((double)left * slow + 0.5);
    int ok = 1;
    if (sp->time_limit_ms > 0 && dur > sp->time_limit_ms) {
        dur = sp->time_limit_ms;
        ok = 0;
    }
    push(m, now + dur, ok ? SIMQ_UNIT_OK : SIMQ_UNIT_FAIL, d->job, d->unit, d->gen);
}

/* A unit's resources are back: account its GPU time to its tenant. */
static void unit_gone(sim_t *m, uint32_t u, gt_time now) {
    m->alloc_gpus -= m->ugpus[u];
    m->alloc_cpus -= m->ucpus[u];
    m->r->tenants[m->utenant[u]].gpu_hours += m->ugpus[u] * (double)(now - m->ustart[u]) / 3.6e6;
}

/* A stopped training gang keeps the work up to its last checkpoint (every
 * opts.checkpoint_ms of progress); everything else starts over. */
static void on_stop(sim_t *m, const gt_decision *d, gt_time now) {
    uint32_t u = d->unit;
    unit_gone(m, u, now);
    if (d->reason == GT_WHY_CANCELLED || d->reason == GT_WHY_ENDED)
        return;
    gt_time ran = now - m->ustart[u], kept = 0, ck = m->o->checkpoint_ms;
    gt_job_info ji;
    gt_sched_job(m->s, d->job, &ji);
    if (ji.kind == GT_KIND_TRAIN && ck > 0) {
        gt_time work = (gt_time)((double)ran / m->uslow[u]);
        gt_time saved = work / ck * ck;
        m->progress[d->job] += saved;
        kept = (gt_time)((double)saved * m->uslow[u]);
    }
    m->r->lost_gpu_hours += m->ugpus[u] * (double)(ran - kept) / 3.6e6;
}

static void apply(sim_t *m, const gt_decision *d, size_t n, gt_time now) {
    for (size_t i = 0; i < n && !m->oom; i++) {
        if (d[i].type == GT_DEC_START)
            on_start(m, &d[i], now);
        else
            on_stop(m, &d[i], now);
    }
}

static void record_end(sim_t *m, uint32_t job) {
    gt_job_info ji;
    if ((m->flags[job] & F_RECORDED) || !gt_sched_job(m->s, job, &ji) ||
        ji.state < GT_JOB_COMPLETED)
        return;
    m->flags[job] |= F_RECORDED;
    gt_sim_result *r = m->r;
    double jct = (double)(ji.end - ji.submit) / 1e3;
    double wait = ji.first_start >= 0 ? (double)(ji.first_start - ji.submit) / 1e3 : jct;
    if (r->njct == m->jct_cap) { /* jct and waits share jct_cap */
        size_t cap = gt_vec_grow_cap(m->jct_cap, (size_t)r->njct + 1, 4096, SIZE_MAX);
        if (!cap || !gt_vec_resize((void **)&r->jct, cap, sizeof *r->jct) ||
            !gt_vec_resize((void **)&m->waits, cap, sizeof *m->waits)) {
            out_of_memory(m);
            return;
        }
        m->jct_cap = cap;
    }
    if (ji.state == GT_JOB_COMPLETED)
        r->completed++;
    else
        r->failed++;
    r->jct[r->njct] = (float)jct;
    m->waits[r->njct++] = wait;
    r->prio_done[ji.prio]++;
    r->prio_wait_s[ji.prio] += wait;
    gt_sim_tenant *t = &r->tenants[ji.tenant];
    t->done++;
    t->jct_sum_s += jct;
    t->wait_sum_s += wait;
    m->t_done = m->last; /* (advance brought the integrals up to now) */
    m->util_done = m->util_int;
    m->cpu_done = m->cpu_int;
    m->frag_done = m->frag_int;
}

/* Next node failure after `after`, while jobs still arrive. */
static void next_failure(sim_t *m, gt_time after) {
    if (m->o->mtbf_h <= 0 || !m->nnodes)
        return;
    double mean_ms = m->o->mtbf_h * 3.6e6 / (double)m->nnodes;
    gt_time t = after + 1 + (gt_time)gt_rng_exp(&m->rng, mean_ms);
    uint32_t node = m->nodes[gt_rng_below(&m->rng, m->nnodes)];
    if (t <= m->t_end)
        push(m, t, SIMQ_NODE_DOWN, node, 0, 0);
}

static void on_node(sim_t *m, const simq_ev *e, gt_time now) {
    const gt_topo *t = gt_sched_topo(m->s);
    size_t n;
    if (e->type == SIMQ_NODE_UP) {
        gt_sched_node_state(m->s, e->job, GT_NODE_UP, now, &n);
        return;
    }
    next_failure(m, now);
    if (t->n_state[e->job] != GT_NODE_UP)
        return; /* already down */
    m->r->node_failures++;
    const gt_decision *d = gt_sched_node_state(m->s, e->job, GT_NODE_DOWN, now, &n);
    apply(m, d, n, now);
    double repair = m->o->repair_h > 0 ? m->o->repair_h : 4.0;
    push(m, now + (gt_time)(repair * 3.6e6), SIMQ_NODE_UP, e->job, 0, 0);
}

static void apply_cb(void *ctx, const gt_decision *d, size_t n, gt_time now) {
    apply(ctx, d, n, now);
}

static void on_event(sim_t *m, const simq_ev *e, gt_time now) {
    if (m->oom)
        return;
    if (e->type == SIMQ_SCALE) {
        m->svc.ticking = 0;
        /* Tick on while services run and something else may still happen: a service left
         * pending with nothing else to come would otherwise keep the replay going forever. */
        int more = sim_svc_tick(&m->svc, m->s, now, apply_cb, m, m->r) &&
                   (sim_q_peek(&m->q) != GT_TIME_NEVER || now < m->t_end);
        if (more && !m->svc.ticking) {
            m->svc.ticking = 1;
            push(m, now + SIM_SCALE_TICK_MS, SIMQ_SCALE, 0, 0, 0);
        }
        return;
    }
    if (e->type == SIMQ_NODE_DOWN || e->type == SIMQ_NODE_UP) {
        on_node(m, e, now);
        return;
    }
    if (e->type == SIMQ_JOB_END) {
        size_t n;
        const gt_decision *d = gt_sched_job_end(m->s, e->job, GT_JOB_COMPLETED, now, &n);
        apply(m, d, n, now);
    } else if (gt_sched_unit_done(m->s, e->job, e->unit, e->gen, now, e->type == SIMQ_UNIT_OK)) {
        unit_gone(m, e->unit, now);
    }
    record_end(m, e->job);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run_pass(sim_t *m, gt_time now) {
    size_t n;
    double t0 = m->o->timing ? now_s() : 0;
    const gt_decision *d = gt_sched_pass(m->s, now, &n);
    if (m->o->timing) {
        float us = (float)((now_s() - t0) * 1e6);
        if (!gt_vec_reserve_from((void **)&m->lat, &m->lat_cap, m->nlat + 1, sizeof *m->lat,
                                 1 << 16) ||
            (n > 0 && !gt_vec_reserve_from((void **)&m->dlat, &m->dlat_cap, m->ndlat + 1,
                                           sizeof *m->dlat, 1 << 16))) {
            out_of_memory(m);
            return;
        }
        m->lat[m->nlat++] = us;
        if (n > 0) /* each decision's share of its pass */
            m->dlat[m->ndlat++] = us / (float)n;
    }
    m->r->decisions += n;
    apply(m, d, n, now);
}

static int tenants_sync(sim_t *m) {
    uint32_t n = gt_sched_ntenants(m->s);
    if (n <= m->r->ntenants)
        return 1;
    gt_sim_tenant *t = realloc(m->r->tenants, n * sizeof *t);
    if (!t)
        return 0;
    memset(t + m->r->ntenants, 0, (n - m->r->ntenants) * sizeof *t);
    m->r->tenants = t;
    m->r->ntenants = n;
    return 1;
}

static void note_reject(gt_sim_result *r, const char *id, const gt_error *err) {
    char msg[sizeof r->reject[0].msg];
    gt_error_str(err, msg, sizeof msg);
    r->rejected++;
    for (int k = 0; k < GT_SIM_REJECT_KINDS; k++) {
        gt_sim_reject *x = &r->reject[k];
        if (x->count == 0) {
            memcpy(x->msg, msg, sizeof msg);
            snprintf(x->first_id, sizeof x->first_id, "%s", id);
        }
        if (!strcmp(x->msg, msg)) {
            x->count++;
            return;
        }
    }
    r->rejected_other++;
}

static void submit_at(sim_t *m, size_t *next, gt_time now) {
    const gt_trace *tr = m->tr;
    for (; *next < tr->n && tr->jobs[*next].submit_ms <= now; (*next)++) {
        gt_error err;
        gt_jobspec sp = tr->jobs[*next];
        if (sp.estimate_ms == 0 && sp.time_limit_ms == 0 && m->o->estimate_factor > 0)
            sp.estimate_ms = (gt_time)((double)sp.duration_ms * m->o->estimate_factor);
        int refused = 0; /* depends_on holds trace positions: their job ids, if submitted */
        for (int d = 0; d < sp.ndeps && !refused; d++) {
            uint32_t to = m->job_of[sp.dep_job[d]];
            if (to == GT_NONE)
                refused = gt_fail(&err, GT_E_NOT_FOUND, "depends_on", "job %.64s was refused",
                                  tr->jobs[sp.dep_job[d]].id) != GT_E_OK;
            else
                sp.dep_job[d] = to;
        }
        uint32_t j = refused ? GT_NONE : gt_sched_submit(m->s, &sp, now, &err);
        if (j == GT_NONE && err.code == GT_E_NOMEM) {
            out_of_memory(m);
            return;
        }
        if (j == GT_NONE) {
            note_reject(m->r, tr->jobs[*next].id, &err);
            continue;
        }
        m->trace_of[j] = (uint32_t)*next;
        m->job_of[*next] = j;
        if (!tenants_sync(m)) {
            out_of_memory(m);
            return;
        }
        gt_job_info ji;
        gt_sched_job(m->s, j, &ji);
        m->r->tenants[ji.tenant].jobs++;
        if (m->o->autoscale && ji.kind == GT_KIND_SERVE) {
            if (!sim_svc_add(&m->svc, j)) {
                out_of_memory(m);
                return;
            }
            m->r->svc_autoscaled++;
            if (!m->svc.ticking) { /* (after this time's pass has started it) */
                m->svc.ticking = 1;
                push(m, now + SIM_SCALE_TICK_MS, SIMQ_SCALE, 0, 0, 0);
            }
        }
    }
}

/* The event loop: one pass per distinct virtual time, until no event is left or every
 * job has been submitted and has ended (what is left then, node repairs, changes
 * nothing). */
static void loop(sim_t *m) {
    size_t next = 0;
    const gt_sim_result *r = m->r;
    for (;;) {
        if (next == m->tr->n && r->completed + r->failed + r->rejected == r->jobs)
            break;
        gt_time ta = next < m->tr->n ? m->tr->jobs[next].submit_ms : GT_TIME_NEVER;
        gt_time now = sim_q_peek(&m->q) < ta ? sim_q_peek(&m->q) : ta;
        if (now == GT_TIME_NEVER || m->oom)
            break;
        advance(m, now);
        submit_at(m, &next, now);
        simq_ev e;
        while (sim_q_peek(&m->q) == now && sim_q_pop(&m->q, &e))
            on_event(m, &e, now);
        do /* a pass that stopped at its most decisions goes on at once, as gantryd's */
            run_pass(m, now);
        while (gt_sched_pass_truncated(m->s) && !m->oom);
    }
}

static int cmp_f(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct_f(const float *v, uint64_t n, double p) {
    return n ? v[(uint64_t)(p * (double)(n - 1) + 0.5)] : 0;
}

static double pct_d(const double *v, uint64_t n, double p) {
    return n ? v[(uint64_t)(p * (double)(n - 1) + 0.5)] : 0;
}

/* Cores CPU-only work can use: those of CPU-only nodes when the fleet has any. */
static int64_t cpu_cores(const gt_topo *t) {
    if (!t->has_cpu_only)
        return t->cpus_total[0];
    int64_t n = 0;
    for (uint32_t v = 0; v < t->nv; v++)
        if (gt_topo_is_node(t, v) && t->n_gpus[v] == 0)
            n += t->n_cpus[v];
    return n;
}

/* The end of trace job i's job, or -1 when it was refused or has not ended. */
static gt_time end_of(const sim_t *m, uint32_t i) {
    gt_job_info ji;
    uint32_t j = m->job_of[i];
    return j != GT_NONE && gt_sched_job(m->s, j, &ji) && ji.state >= GT_JOB_COMPLETED ? ji.end : -1;
}

/* The critical path of the trace's pipelines (sim.h, gt_sim_result.critical_*). */
static void critical_path(sim_t *m) {
    const gt_trace *tr = m->tr;
    gt_sim_result *r = m->r;
    uint32_t last = GT_NONE;
    for (uint32_t i = 0; i < tr->n; i++) {
        if (!tr->jobs[i].ndeps)
            continue;
        r->dep_jobs++;
        if (end_of(m, i) >= 0 && (last == GT_NONE || end_of(m, i) >= end_of(m, last)))
            last = i;
    }
    if (last == GT_NONE)
        return;
    uint32_t path[64], n = 0, at = last;
    for (;;) { /* back through the dependency that ended last (each is earlier: it ends) */
        path[n < 64 ? n : 63] = at;
        n++;
        uint32_t prev = GT_NONE;
        for (int d = 0; d < tr->jobs[at].ndeps; d++) {
            uint32_t k = tr->jobs[at].dep_job[d];
            if (end_of(m, k) >= 0 && (prev == GT_NONE || end_of(m, k) > end_of(m, prev)))
                prev = k;
        }
        if (prev == GT_NONE)
            break;
        at = prev;
    }
    gt_job_info first;
    gt_sched_job(m->s, m->job_of[at], &first);
    r->critical_jobs = n;
    r->critical_path_s = (double)(end_of(m, last) - first.submit) / 1e3;
    /* path[0..62] the last jobs of the path, path[min(n, 64) - 1] its first: jobs between
     * them, on a longer path, are left out ("...") */
    size_t o = 0, kept = n < 64 ? n : 64;
    for (size_t k = kept; k-- > 0 && o < sizeof r->critical_ids;) {
        int w = snprintf(r->critical_ids + o, sizeof r->critical_ids - o, "%s%s%s",
                         k + 1 < kept ? " -> " : "", k == 62 && n > 64 ? "... -> " : "",
                         tr->jobs[path[k]].id);
        o += w > 0 ? (size_t)w : 0;
    }
}

static void finish(sim_t *m) {
    gt_sim_result *r = m->r;
    const gt_topo *t = gt_sched_topo(m->s);
    qsort(r->jct, r->njct, sizeof *r->jct, cmp_f);
    qsort(m->waits, r->njct, sizeof *m->waits, cmp_d);
    double js = 0, ws = 0;
    for (uint64_t i = 0; i < r->njct; i++) {
        js += r->jct[i];
        ws += m->waits[i];
    }
    r->jct_mean_s = r->njct ? js / (double)r->njct : 0;
    r->wait_mean_s = r->njct ? ws / (double)r->njct : 0;
    r->jct_p50_s = pct_f(r->jct, r->njct, 0.5);
    r->jct_p99_s = pct_f(r->jct, r->njct, 0.99);
    r->wait_p50_s = pct_d(m->waits, r->njct, 0.5);
    r->wait_p99_s = pct_d(m->waits, r->njct, 0.99);
    /* The makespan ends at the last job's end: a node repaired later, or a job that never
     * started, does not stretch it. The series stops there too. */
    double span = (double)(m->t_done - m->t0);
    r->makespan_s = span / 1e3;
    critical_path(m);
    gt_time kept = (m->t_done - m->t0 + m->period - 1) / m->period; /* buckets begun by then */
    r->nutil = kept < (gt_time)r->nutil ? (uint32_t)kept : r->nutil;
    r->gpu_util = span > 0 && t->gpus_total[0] ? m->util_done / (t->gpus_total[0] * span) : 0;
    double cores = (double)cpu_cores(t);
    r->fleet_gpus = t->gpus_total[0];
    r->fleet_cores = t->cpus_total[0];
    r->fleet_nodes = t->nnodes;
    r->cpu_util = span > 0 && cores > 0 ? m->cpu_done / (cores * span) : 0;
    double win = (double)(m->t_end - m->t0);
    r->gpu_util_window = win > 0 && t->gpus_total[0] ? m->win_gpu / (t->gpus_total[0] * win) : 0;
    r->cpu_util_window = win > 0 && cores > 0 ? m->win_cpu / (cores * win) : 0;
    r->fragmentation = span > 0 && t->gpus_total[0] ? m->frag_done / (t->gpus_total[0] * span) : 0;
    r->unfinished = r->jobs - r->rejected - r->completed - r->failed;
    gt_sched_stats st;
    gt_sched_get_stats(m->s, &st);
    r->preemptions = st.preemptions;
    r->requeues = st.requeues;
    r->passes = st.passes;
    r->nlevels = t->nlevels;
    memcpy(r->level_names, t->level_names, sizeof r->level_names);
    for (uint32_t i = 0; i < r->ntenants; i++) {
        gt_tenant_info ti;
        gt_sched_tenant(m->s, i, &ti);
        snprintf(r->tenants[i].name, sizeof r->tenants[i].name, "%s", ti.name);
    }
    if (m->o->timing && m->nlat) {
        double tot = 0;
        for (size_t i = 0; i < m->nlat; i++)
            tot += m->lat[i];
        qsort(m->lat, m->nlat, sizeof *m->lat, cmp_f);
        r->pass_p50_us = pct_f(m->lat, m->nlat, 0.5);
        r->pass_p99_us = pct_f(m->lat, m->nlat, 0.99);
        r->pass_max_us = m->lat[m->nlat - 1];
        qsort(m->dlat, m->ndlat, sizeof *m->dlat, cmp_f);
        r->decision_p50_us = pct_f(m->dlat, m->ndlat, 0.5);
        r->decision_p99_us = pct_f(m->dlat, m->ndlat, 0.99);
        r->decisions_per_s = tot > 0 ? (double)r->decisions / (tot * 1e-6) : 0;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->peak_rss_kb = (uint64_t)ru.ru_maxrss;
}

static int list_nodes(sim_t *m) {
    const gt_topo *t = gt_sched_topo(m->s);
    m->nodes = malloc(sizeof *m->nodes * t->nnodes);
    if (!m->nodes)
        return 0;
    for (uint32_t v = 0; v < t->nv; v++)
        if (gt_topo_is_node(t, v))
            m->nodes[m->nnodes++] = v;
    return 1;
}

static gt_time sample_period(const gt_trace *tr, int samples) {
    gt_time span = tr->n ? tr->jobs[tr->n - 1].submit_ms - tr->jobs[0].submit_ms : 0;
    gt_time p = span / (samples > 0 ? samples : 400);
    return p < 60000 ? 60000 : p;
}

gt_err gt_sim_run(const char *cfg_text, size_t cfg_len, const char *cfg_name, const gt_trace *trace,
                  const gt_policy *pol, const gt_sim_opts *opts, gt_sim_result *res,
                  gt_error *err) {
    memset(res, 0, sizeof *res);
    snprintf(res->policy, sizeof res->policy, "%s", pol->name);
    sim_t m = {.tr = trace, .o = opts, .r = res};
    gt_err e = gt_config_parse(cfg_text, cfg_len, cfg_name, &m.cfg, err);
    if (e != GT_E_OK)
        return e;
    m.s = gt_sched_new(m.cfg, pol);
    m.trace_of = malloc((trace->n + 1) * sizeof *m.trace_of);
    m.job_of = malloc((trace->n + 1) * sizeof *m.job_of);
    if (m.job_of)
        memset(m.job_of, 0xff, (trace->n + 1) * sizeof *m.job_of); /* GT_NONE */
    m.flags = calloc(trace->n + 1, 1);
    m.progress = calloc(trace->n + 1, sizeof *m.progress);
    if (!m.s || !m.trace_of || !m.job_of || !m.flags || !m.progress || !tenants_sync(&m)) {
        e = gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    res->jobs = trace->n;
    m.t0 = m.last = m.t_done = trace->n ? trace->jobs[0].submit_ms : 0;
    m.t_end = trace->n ? trace->jobs[trace->n - 1].submit_ms : 0;
    m.period = sample_period(trace, opts->samples);
    if (opts->mtbf_h > 0 && !list_nodes(&m)) {
        e = gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    gt_rng_seed(&m.rng, opts->seed ? opts->seed : 1);
    next_failure(&m, m.t0);
    m.bucket_end = m.t0 + m.period;
    double w0 = now_s();
    loop(&m);
    res->wall_s = now_s() - w0;
    if (m.oom)
        e = gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
    else
        finish(&m);
out:
    sim_q_free(&m.q);
    sim_svc_free(&m.svc);
    gt_sched_free(m.s);
    gt_config_free(m.cfg);
    free(m.trace_of);
    free(m.job_of);
    free(m.flags);
    free(m.ustart);
    free(m.ugpus);
    free(m.ucpus);
    free(m.utenant);
    free(m.uslow);
    free(m.progress);
    free(m.nodes);
    free(m.lat);
    free(m.dlat);
    free(m.waits);
    if (e != GT_E_OK)
        gt_sim_result_free(res);
    return e;
}

void gt_sim_result_free(gt_sim_result *r) {
    if (!r)
        return;
    free(r->tenants);
    free(r->util_t);
    free(r->util_v);
    free(r->jct);
    memset(r, 0, sizeof *r);
}
