/* SPDX-License-Identifier: MIT
 * Synthetic mixed workload: a deterministic trace of train, serve and tasks jobs.
 *
 * Distributions (docs/simulator.md copies this comment; keep the two in step)
 *
 *  Kind        train / serve / tasks with probabilities share_train / share_serve /
 *              share_tasks (normalised to sum to 1).
 *  Tenant      t0 .. t{n-1} (or the given names), Zipf-like: P(t_i) proportional to
 *              1 / (i + 1).
 *  train       gang of 2^k GPUs, k = 0..10 with weights (per mille)
 *                 1:300  2:180  4:160  8:140  16:80  32:50  64:35  128:25  256:15  512:9
 *                 1024:6
 *              capped at the largest power of two <= fleet_gpus. A gang larger than
 *              gpus_per_node is rounded down to a multiple of it and gets
 *              gpus_per_node = p->gpus_per_node (whole nodes); smaller gangs leave it 0.
 *              Duration log-normal, median 30 min, sigma 1.5 (mean ~1.7 h).
 *              Priority 85% normal, 15% high.
 *  serve       replicas.min uniform 1..4, replicas.max uniform min..2*min. Each replica is
 *              one node's worth of GPUs (gpus_per_node, with gpus_per_node set) with
 *              probability 1/2, else 1, 2 or 4 GPUs (uniform, at most gpus_per_node).
 *              Duration log-normal, median 6 h, sigma 1.0. Priority 70% normal, 30% high.
 *  tasks       array of n tasks, n log-uniform on [1, 32] (before CPU scaling, below).
 *              With fleet_cpus > 0: 90% CPU tasks (gpus 0, cpus 4, 8, 16 or 32 uniformly,
 *              memory_mb 2048 per CPU), 10% single-GPU tasks (gpus 1). With
 *              fleet_cpus == 0: every task is a single-GPU task (GPU work only).
 *              Duration per task log-normal, median 10 min, sigma 1.0.
 *              Priority 60% low, 40% normal.
 *  Durations   rounded to whole seconds, at least 1 s, at most 7 days.
 *  Estimates   estimate_s = duration * U[1, 3] rounded up to a user-ish figure (whole
 *              minutes below 10 min, 5 min below 2 h, 30 min below 1 day, hours beyond);
 *              time_limit_s = 2 * estimate_s. Backfill thus sees honest but loose estimates.
 *  GPU model   p->gpu_model on every job that asks for GPUs (NULL: none).
 *  Arrivals    Poisson: exponential inter-arrival gaps, first job at 0. The rate is
 *              calibrated on the generated jobs themselves so that the offered GPU load
 *                  sum(gpus * replicas_max * tasks * duration) / span = load * fleet_gpus
 *              holds for this trace, not only in expectation (with heavy-tailed sizes
 *              and durations, an expectation-based rate misses by tens of percent on a
 *              finite trace). span = the sum of all gaps (the last arrival plus one gap).
 *              Serve jobs count at replicas.max (their peak demand).
 *  CPU load    when fleet_cpus > 0 and there are CPU tasks, every CPU task array's work is
 *              multiplied by one factor f so that sum(tasks * cpus * duration) / span =
 *              load * fleet_cpus: the duration is scaled (at least 1 s, at most 1 day, the
 *              estimate and limit with it) and, beyond a day, the array size. If there is
 *              no GPU work at all, the span comes from the CPU work instead.
 *
 * Determinism: only gt_rng draws (in a fixed order per job) and libm's exp/log/cos, so the
 * same parameters give a byte-identical trace on the same platform. */
#include "sim/trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHERE "synth"
#define MAX_JOBS 100000000
#define MAX_DURATION_S (7 * 24 * 3600)

typedef struct {
    const gt_synth_params *p;
    gt_rng rng;
    double *tenant_cdf;
    double cum_train, cum_serve; /* cumulative kind shares */
    int max_gang;                /* largest power of two <= fleet_gpus, capped at 1024 */
    double gpu_work, cpu_work;   /* GPU-seconds; CPU-seconds of CPU tasks (unscaled) */
} gen;

/* ---- small draws ------------------------------------------------------------------------ */

static int64_t draw_duration_s(gen *g, double median_s, double sigma) {
    double d = gt_rng_lognormal(&g->rng, log(median_s), sigma);
    if (!(d < MAX_DURATION_S)) /* also NaN */
        return MAX_DURATION_S;
    int64_t s = llround(d);
    return s < 1 ? 1 : s;
}

/* A user's guess: 1-3x the real run time, rounded up to a figure people type. */
static int64_t estimate_s(gen *g, int64_t duration_s) {
    double e = (double)duration_s * (1.0 + 2.0 * gt_rng_unit(&g->rng));
    int64_t step = e < 600 ? 60 : e < 7200 ? 300 : e < 86400 ? 1800 : 3600;
    int64_t s = (int64_t)ceil(e / (double)step) * step;
    return s < step ? step : s;
}

static int pick_tenant(gen *g) {
    double u = gt_rng_unit(&g->rng);
    int lo = 0, hi = g->p->ntenants - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (g->tenant_cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* "<prefix><v>" without printf: a million jobs should not spend their time formatting. */
static void put_name(char *dst, char prefix, uint64_t v) {
    char tmp[24];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    *dst++ = prefix;
    while (n > 0)
        *dst++ = tmp[--n];
    *dst = 0;
}

/* ---- one job per kind ------------------------------------------------------------------- */

static const int gang_weights[] = {300, 180, 160, 140, 80, 50, 35, 25, 15, 9, 6};

static void gen_train(gen *g, gt_jobspec *s) {
    int w = (int)gt_rng_below(&g->rng, 1000), k = 0;
    while (w >= gang_weights[k]) /* weights sum to 1000 */
        w -= gang_weights[k++];
    int gpus = 1 << k, gpn = g->p->gpus_per_node;
    if (gpus > g->max_gang)
        gpus = g->max_gang;
    if (gpus > gpn) {
        gpus = gpus / gpn * gpn;
        s->gpus_per_node = gpn;
    }
    s->gpus = gpus;
    s->duration_ms = draw_duration_s(g, 1800, 1.5) * 1000;
    s->priority = gt_rng_below(&g->rng, 100) < 15 ? GT_PRIO_HIGH : GT_PRIO_NORMAL;
    g->gpu_work += (double)gpus * (double)s->duration_ms / 1000.0;
}

static void gen_serve(gen *g, gt_jobspec *s) {
    static const int small[] = {1, 2, 4};
    int gpn = g->p->gpus_per_node;
    s->kind = GT_KIND_SERVE;
    s->replicas_min = 1 + (int32_t)gt_rng_below(&g->rng, 4);
    s->replicas_max =
        s->replicas_min + (int32_t)gt_rng_below(&g->rng, (uint64_t)s->replicas_min + 1);
    if (gt_rng_below(&g->rng, 2) == 0) {
        s->gpus = gpn;
    } else {
        int x = small[gt_rng_below(&g->rng, 3)];
        s->gpus = x < gpn ? x : gpn;
    }
    if (s->gpus == gpn)
        s->gpus_per_node = gpn;
    s->duration_ms = draw_duration_s(g, 6 * 3600, 1.0) * 1000;
    s->priority = gt_rng_below(&g->rng, 100) < 30 ? GT_PRIO_HIGH : GT_PRIO_NORMAL;
    g->gpu_work += (double)s->gpus * s->replicas_max * (double)s->duration_ms / 1000.0;
}

static void gen_tasks(gen *g, gt_jobspec *s) {
    s->kind = GT_KIND_TASKS;
    double u = gt_rng_unit(&g->rng);
    s->tasks = (int32_t)llround(exp(u * log(32.0)));
    int cpu = g->p->fleet_cpus > 0 && gt_rng_below(&g->rng, 10) < 9;
    if (cpu) {
        s->gpus = 0;
        s->cpus = 4 << gt_rng_below(&g->rng, 4);
        s->memory_mb = 2048LL * s->cpus;
    }
    s->duration_ms = draw_duration_s(g, 600, 1.0) * 1000;
    s->priority = gt_rng_below(&g->rng, 100) < 60 ? GT_PRIO_LOW : GT_PRIO_NORMAL;
    double work = (double)s->tasks * (double)s->duration_ms / 1000.0;
    if (cpu)
        g->cpu_work += work * s->cpus;
    else
        g->gpu_work += work * s->gpus;
}

static void gen_job(gen *g, gt_jobspec *s, size_t i) {
    gt_jobspec_init(s);
    put_name(s->id, 'j', i);
    double u = gt_rng_unit(&g->rng);
    if (u < g->cum_train)
        gen_train(g, s);
    else if (u < g->cum_serve)
        gen_serve(g, s);
    else
        gen_tasks(g, s);
    int tn = pick_tenant(g);
    if (g->p->tenant_names)
        snprintf(s->tenant, sizeof s->tenant, "%s", g->p->tenant_names[tn]);
    else
        put_name(s->tenant, 't', (uint64_t)tn);
    int64_t est = estimate_s(g, s->duration_ms / 1000);
    s->estimate_ms = est * 1000;
    s->time_limit_ms = 2 * est * 1000;
    if (s->gpus > 0 && g->p->gpu_model)
        memcpy(s->gpu_model, g->p->gpu_model, strlen(g->p->gpu_model) + 1);
}

/* ---- parameters ------------------------------------------------------------------------- */

void gt_synth_defaults(gt_synth_params *p) {
    memset(p, 0, sizeof *p);
    p->seed = 1;
    p->jobs = 10000;
    p->load = 0.9;
    p->fleet_gpus = 4096; /* 1,024 nodes of 4 GPUs */
    p->fleet_cpus = 4096; /* 32 CPU nodes of 128 cores: CPU array scaling close to 1 */
    p->share_train = 0.5;
    p->share_serve = 0.1;
    p->share_tasks = 0.4;
    p->ntenants = 16;
    p->gpus_per_node = 4;
    p->gpu_model = NULL;
}

static gt_err check_share(double v, const char *name, gt_error *err) {
    if (v >= 0 && v <= 1e9)
        return GT_E_OK;
    return gt_fail(err, GT_E_RANGE, WHERE, "%s: must be a fraction >= 0", name);
}

/* The model goes into every GPU job: it must pass the spec's own checks. */
static gt_err check_model(const char *model, gt_error *err) {
    gt_jobspec s;
    gt_jobspec_init(&s);
    if (!model)
        return GT_E_OK;
    if (strlen(model) >= sizeof s.gpu_model)
        return gt_fail(err, GT_E_RANGE, WHERE, "gpu_model: longer than %zu bytes",
                       sizeof s.gpu_model - 1);
    memcpy(s.gpu_model, model, strlen(model) + 1);
    return gt_jobspec_validate(&s, WHERE, err);
}

static gt_err check_params(const gt_synth_params *p, gt_error *err) {
    gt_err e;
    if (p->jobs > MAX_JOBS)
        return gt_fail(err, GT_E_LIMIT, WHERE, "jobs: at most %d", MAX_JOBS);
    if (!(p->load > 0 && p->load <= 100))
        return gt_fail(err, GT_E_RANGE, WHERE, "load: must be > 0 and <= 100");
    if (p->fleet_gpus < 1 || p->fleet_gpus > (1LL << 40))
        return gt_fail(err, GT_E_RANGE, WHERE, "fleet_gpus: must be between 1 and 2^40");
    if (p->fleet_cpus < 0 || p->fleet_cpus > (1LL << 40))
        return gt_fail(err, GT_E_RANGE, WHERE, "fleet_cpus: must be between 0 and 2^40");
    if ((e = check_share(p->share_train, "share_train", err)) ||
        (e = check_share(p->share_serve, "share_serve", err)) ||
        (e = check_share(p->share_tasks, "share_tasks", err)))
        return e;
    if (!(p->share_train + p->share_serve + p->share_tasks > 0))
        return gt_fail(err, GT_E_RANGE, WHERE, "share_train: the three shares sum to 0");
    if (p->ntenants < 1 || p->ntenants > 1000000)
        return gt_fail(err, GT_E_RANGE, WHERE, "ntenants: must be between 1 and 1000000");
    if (p->gpus_per_node < 1 || p->gpus_per_node > 32)
        return gt_fail(err, GT_E_RANGE, WHERE, "gpus_per_node: must be between 1 and 32");
    return check_model(p->gpu_model, err);
}

static int gen_init(gen *g, const gt_synth_params *p) {
    memset(g, 0, sizeof *g);
    g->p = p;
    gt_rng_seed(&g->rng, p->seed);
    double sum = p->share_train + p->share_serve + p->share_tasks;
    g->cum_train = p->share_train / sum;
    g->cum_serve = (p->share_train + p->share_serve) / sum;
    g->max_gang = 1;
    while (g->max_gang < 1024 && 2LL * g->max_gang <= p->fleet_gpus)
        g->max_gang *= 2;
    g->tenant_cdf = malloc((size_t)p->ntenants * sizeof *g->tenant_cdf);
    if (!g->tenant_cdf)
        return 0;
    double acc = 0;
    for (int i = 0; i < p->ntenants; i++)
        g->tenant_cdf[i] = acc += 1.0 / (i + 1);
    for (int i = 0; i < p->ntenants; i++)
        g->tenant_cdf[i] /= acc;
    return 1;
}

/* ---- arrivals, scaling, merging --------------------------------------------------------- */

/* The span of the arrivals (seconds) and the CPU array scale factor (see the top). */
static gt_err calibrate(const gen *g, size_t n, double *span, double *f, gt_error *err) {
    const gt_synth_params *p = g->p;
    if (g->gpu_work > 0)
        *span = g->gpu_work / (p->load * (double)p->fleet_gpus);
    else if (g->cpu_work > 0 && p->fleet_cpus > 0)
        *span = g->cpu_work / (p->load * (double)p->fleet_cpus);
    else
        *span = (double)n;
    *f = 1;
    if (g->gpu_work > 0 && g->cpu_work > 0 && p->fleet_cpus > 0)
        *f = p->load * (double)p->fleet_cpus * *span / g->cpu_work;
    if (!(*span <= (double)GT_SPEC_MAX_TIME_S))
        return gt_fail(err, GT_E_RANGE, WHERE,
                       "load: %zu jobs at this load would arrive over more than %lld seconds", n,
                       (long long)GT_SPEC_MAX_TIME_S);
    return GT_E_OK;
}

/* Scale a CPU array's work by f: durations first (up to a day, estimates and limits in
 * step), the array size for what is left. Few long tasks keep the event count sane on
 * fleets of millions of cores. */
static void scale_cpu_array(gt_jobspec *s, double f) {
    double d = (double)s->duration_ms * f, cap = 86400000.0;
    double rest = d > cap ? d / cap : 1;
    d = d > cap ? cap : d < 1000 ? 1000 : d;
    double r = d / (double)s->duration_ms;
    s->duration_ms = (gt_time)llround(d / 1000.0) * 1000;
    s->estimate_ms = (gt_time)ceil((double)s->estimate_ms * r / 60000.0) * 60000;
    s->time_limit_ms = 2 * s->estimate_ms;
    double x = nearbyint((double)s->tasks * rest);
    s->tasks = x < 1 ? 1 : x > GT_SPEC_MAX_TASKS ? GT_SPEC_MAX_TASKS : (int32_t)x;
}

/* Give jobs[0..n) their submit times from the gaps and scale the CPU arrays by f. */
static void place_arrivals(gt_jobspec *jobs, size_t n, const double *gaps, double gap_sum,
                           double span, double f) {
    double at = 0, ms_per_gap = gap_sum > 0 ? span * 1000.0 / gap_sum : 0;
    for (size_t i = 0; i < n; i++) {
        jobs[i].submit_ms = llround(at * ms_per_gap);
        at += gaps[i];
        if (jobs[i].kind == GT_KIND_TASKS && jobs[i].gpus == 0 && f != 1)
            scale_cpu_array(&jobs[i], f);
    }
}

/* jobs[0..n0) and jobs[n0..n) are each sorted: merge them, old jobs first on ties. */
static int merge_runs(gt_jobspec *jobs, size_t n0, size_t n) {
    size_t m = n - n0;
    if (n0 == 0 || m == 0 || jobs[n0 - 1].submit_ms <= jobs[n0].submit_ms)
        return 1;
    gt_jobspec *tmp = malloc(m * sizeof *tmp);
    if (!tmp)
        return 0;
    memcpy(tmp, jobs + n0, m * sizeof *tmp);
    size_t i = n0, j = m, k = n;
    while (j > 0) {
        if (i > 0 && jobs[i - 1].submit_ms > tmp[j - 1].submit_ms)
            jobs[--k] = jobs[--i];
        else
            jobs[--k] = tmp[--j];
    }
    free(tmp);
    return 1;
}

static int reserve_jobs(gt_trace *t, size_t want) {
    if (want <= t->cap)
        return 1;
    gt_jobspec *jobs = realloc(t->jobs, want * sizeof *jobs);
    if (!jobs)
        return 0;
    t->jobs = jobs;
    t->cap = want;
    return 1;
}

gt_err gt_synth_generate(gt_trace *t, const gt_synth_params *p, gt_error *err) {
    gt_err e = check_params(p, err);
    if (e || p->jobs == 0)
        return e;
    gen g;
    memset(&g, 0, sizeof g);
    double *gaps = malloc(p->jobs * sizeof *gaps);
    if (!gaps || !gen_init(&g, p) || !reserve_jobs(t, t->n + p->jobs)) {
        free(gaps);
        free(g.tenant_cdf);
        return gt_fail(err, GT_E_NOMEM, WHERE, "out of memory for %zu jobs", p->jobs);
    }
    gt_jobspec *jobs = t->jobs + t->n;
    double gap_sum = 0;
    for (size_t i = 0; i < p->jobs; i++) {
        gaps[i] = gt_rng_exp(&g.rng, 1.0);
        gap_sum += gaps[i];
        gen_job(&g, &jobs[i], i);
    }
    double span, f;
    e = calibrate(&g, p->jobs, &span, &f, err);
    if (!e)
        place_arrivals(jobs, p->jobs, gaps, gap_sum, span, f);
    free(gaps);
    free(g.tenant_cdf);
    if (e)
        return e;
    if (!merge_runs(t->jobs, t->n, t->n + p->jobs))
        return gt_fail(err, GT_E_NOMEM, WHERE, "out of memory merging %zu jobs", p->jobs);
    t->n += p->jobs;
    return GT_E_OK;
}
