/* SPDX-License-Identifier: MIT
 * The autoscaling rule, pure, shared by gantryd (ctld/autoscale.c, on metrics its agents
 * read from live replicas) and the simulator (on a load curve):
 *
 *   want  ceil(sum / target) within min .. max
 *   up    want above the current count for up_ms without a break: go up to the least want
 *         seen in that time (a spike shorter than the window changes nothing)
 *   down  want below it for down_ms: go down to the most want seen in that time
 *
 * The state is the caller's (one per service); time is an argument. */
#ifndef GT_CORE_AUTOSCALE_H
#define GT_CORE_AUTOSCALE_H

#include <stddef.h>
#include <stdint.h>

#include "util/time.h"

typedef struct {
    double target;          /* the metric's value one replica should carry (> 0) */
    gt_time up_ms, down_ms; /* the windows */
    uint32_t min, max;      /* the replica range (1 <= min <= max) */
} gt_autoscale_conf;

typedef struct {
    int up_on, down_on; /* a window is running */
    gt_time up_since, down_since;
    uint32_t up_want, down_want; /* the least (up) / most (down) want seen in it */
    uint32_t want;               /* the last observation's want (0 before any) */
} gt_autoscale_state;

/* ceil(sum / target) within min .. max. */
uint32_t gt_autoscale_want(const gt_autoscale_conf *c, double sum);

/* One observation at `now`: the metric summed over `reporting` replicas while `current`
 * replicas are wanted. Returns the count to set: `current` when nothing changes. With
 * reporting 0 there is nothing to go by: the windows stop and the count stays. */
uint32_t gt_autoscale_step(const gt_autoscale_conf *c, gt_autoscale_state *st, double sum,
                           uint32_t reporting, uint32_t current, gt_time now);

/* Roles scaled in a fixed ratio (a service's "ratio"): role i runs per[i] replicas in each
 * set and its own rule asks for want[i]. The sets needed are the most any role needs,
 * ceil(want[i] / per[i]), within sets_min .. sets_max; out[i] = sets * per[i]. Returns
 * the sets. A set goes only when no role needs it any more. */
uint32_t gt_autoscale_sets(const uint32_t *want, const uint32_t *per, size_t n, uint32_t sets_min,
                           uint32_t sets_max, uint32_t *out);

#endif
