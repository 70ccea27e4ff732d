/* SPDX-License-Identifier: MIT
 * Services that follow a load curve in the simulator (gantry-sim --autoscale). A service's
 * load, in replicas' worth, is replicas.max x f(t): a diurnal curve (10% of the peak at
 * 04:00, the peak at 16:00; virtual time 0 is midnight) with spikes (one 10-minute slot in
 * 20, seeded by the job, 1.5 times the curve). Every minute of virtual time each active
 * service goes through the core's autoscaling rule (core/autoscale.h: target 1, the
 * default windows, 30 s up and 600 s down) and gt_sched_scale, as gantryd's autoscaler
 * does with live metrics. The report says what that bought: the GPU-hours the services
 * did not hold compared with running replicas.max all the time (lent to other work; at
 * night, 22:00 to 06:00, apart), and the service-hours with fewer replicas running than
 * the load needed (a latency target missed). */
#ifndef GT_SIM_SVCLOAD_H
#define GT_SIM_SVCLOAD_H

#include <stdint.h>

#include "core/autoscale.h"
#include "core/sched.h"
#include "sim/sim.h"

#define SIM_SCALE_TICK_MS 60000

typedef struct {
    uint32_t job;
    gt_autoscale_state st;
} sim_svc;

typedef struct {
    sim_svc *v;
    size_t n, cap;
    gt_time last; /* the last tick (0: none yet) */
    int ticking;  /* a tick is queued */
} sim_svcload;

/* The load of service `job` at t, in replicas' worth (0 .. 1.5 x max). */
double sim_svc_load(uint32_t job, uint32_t max, gt_time t);
/* A new service job: followed from now on; 0 on OOM. */
int sim_svc_add(sim_svcload *l, uint32_t job);
/* One tick at now: scale each active service (its decisions through apply), add up the
 * report's figures for the time since the last tick; services that ended leave the list.
 * Returns 1 while any service is left to follow. */
typedef void (*sim_apply_fn)(void *ctx, const gt_decision *d, size_t n, gt_time now);
int sim_svc_tick(sim_svcload *l, gt_sched *s, gt_time now, sim_apply_fn apply, void *ctx,
                 gt_sim_result *r);
void sim_svc_free(sim_svcload *l);

#endif
