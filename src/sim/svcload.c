/* SPDX-License-Identifier: MIT
 * The simulator's service load and autoscaling (svcload.h). */
#include "sim/svcload.h"

#include <math.h>
#include <stdlib.h>

#include "util/vec.h"

#define DAY_MS (24LL * 3600 * 1000)
#define SPIKE_MS (10LL * 60 * 1000)
#define PI 3.14159265358979323846

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

double sim_svc_load(uint32_t job, uint32_t max, gt_time t) {
    double h = (double)(t % DAY_MS) / 3.6e6;
    double f = 0.55 - 0.45 * cos(2 * PI * (h - 4) / 24); /* 0.1 at 04:00, 1 at 16:00 */
    if (mix((uint64_t)job << 32 ^ (uint64_t)(t / SPIKE_MS)) % 20 == 0)
        f *= 1.5;
    return f * max;
}

int sim_svc_add(sim_svcload *l, uint32_t job) {
    if (!gt_vec_reserve((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v))
        return 0;
    l->v[l->n++] = (sim_svc){.job = job};
    return 1;
}

static int night(gt_time t) {
    gt_time h = (t % DAY_MS) / 3600000;
    return h < 6 || h >= 22;
}

int sim_svc_tick(sim_svcload *l, gt_sched *s, gt_time now, sim_apply_fn apply, void *ctx,
                 gt_sim_result *r) {
    double dt_h = l->last ? (double)(now - l->last) / 3.6e6 : 0;
    l->last = now;
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        sim_svc *v = &l->v[i];
        gt_job_info ji;
        gt_service_info si;
        if (!gt_sched_job(s, v->job, &ji) || ji.state >= GT_JOB_COMPLETED ||
            !gt_sched_service(s, v->job, now, &si))
            continue;
        l->v[w++] = *v;
        v = &l->v[w - 1];
        double load = sim_svc_load(v->job, si.max, now);
        double gpus = (double)ji.shape.nodes * ji.shape.gpus_per_node;
        if (ji.first_start >= 0) { /* the figures count from its first start */
            double lent = (double)(si.max - ji.units_running) * gpus * dt_h;
            r->svc_hours += dt_h;
            r->svc_lent_gpu_hours += lent;
            r->svc_lent_night_gpu_hours += night(now) ? lent : 0;
            r->svc_under_hours += ji.units_running < (uint32_t)ceil(load - 1e-9) ? dt_h : 0;
        }
        gt_autoscale_conf c = {1.0, 30000, 600000, si.min, si.max};
        uint32_t to = gt_autoscale_step(&c, &v->st, load, 1, si.desired, now);
        if (to != si.desired) {
            size_t n;
            gt_error err;
            const gt_decision *d = gt_sched_scale(s, v->job, to, NULL, 0, now, &n, &err);
            apply(ctx, d, n, now);
            r->svc_scalings++;
        }
    }
    l->n = w;
    return l->n > 0;
}

void sim_svc_free(sim_svcload *l) {
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}
