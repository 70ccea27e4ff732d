/* SPDX-License-Identifier: MIT
 * Latency histograms (atomic: any thread observes, the state thread renders) and the
 * cluster, health and metrics answers (metrics.c, state thread). */
#ifndef GT_CTLD_METRICS_H
#define GT_CTLD_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "ctld/request.h"

/* ---- metrics (metrics.c) ---- */
#define HIST_BUCKETS 14
typedef struct {
    _Atomic uint64_t count, sum_ns, bucket[HIST_BUCKETS];
} ctld_hist;
void ctld_hist_observe(ctld_hist *h, int64_t ns);
/* Append a Prometheus histogram named `name` with extra labels (may be ""). */
void ctld_hist_render(const ctld_hist *h, const char *name, const char *labels, void *sb);

#endif
