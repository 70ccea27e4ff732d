/* SPDX-License-Identifier: MIT
 * Job traces: CSV with a header row. Required columns (any order):
 *   job_id,submit_s,gpus,duration_s,tenant,status
 * Optional columns: kind, gpus_per_node, cpus, memory_mb, gpu_model, priority, estimate_s,
 *   time_limit_s, within, count, min_count
 * (count: tasks in an array, or max replicas of a service; min_count: min replicas).
 * `status` is read and ignored. Empty optional cells take the spec defaults. Unknown
 * columns are an error (a typo should not pass silently).
 *
 * Also: a synthetic trace generator whose distributions are documented in docs/simulator.md. */
#ifndef GT_SIM_TRACE_H
#define GT_SIM_TRACE_H

#include <stddef.h>

#include "core/jobspec.h"
#include "util/rng.h"

typedef struct {
    gt_jobspec *jobs; /* sorted by submit_ms, stable (file order for ties) */
    size_t n, cap;
} gt_trace;

void gt_trace_init(gt_trace *t);
void gt_trace_free(gt_trace *t);

/* Parse CSV text (len bytes). `name` is used in error locations ("trace.csv:12: gpus: ...").
 * On error nothing is appended and err names the file, line and reason. */
gt_err gt_trace_parse_csv(gt_trace *t, const char *text, size_t len, const char *name,
                          gt_error *err);

/* Write a trace as CSV with every column, so parse(write(t)) == t. */
struct gt_sb;
void gt_trace_write_csv(const gt_trace *t, struct gt_sb *out);

/* Synthetic mixed workload. */
typedef struct {
    uint64_t seed;
    size_t jobs;        /* how many jobs */
    double load;        /* offered GPU load as a fraction of fleet_gpus (e.g. 0.9) */
    int64_t fleet_gpus; /* GPUs of the fleet the load is computed against */
    int64_t fleet_cpus; /* CPU cores for tasks load */
    double share_train, share_serve, share_tasks; /* fractions of jobs, sum to 1 */
    int ntenants;                    /* tenants named t0 .. t{n-1}, or tenant_names[0 .. n-1] */
    const char *const *tenant_names; /* NULL: t0 .. t{n-1} */
    int gpus_per_node;               /* node size of the fleet (4 or 8): gang shapes follow it */
    const char *gpu_model;           /* NULL: any */
} gt_synth_params;

void gt_synth_defaults(gt_synth_params *p);
/* Generate p->jobs jobs into t (appended, sorted by submit). Deterministic in p. */
gt_err gt_synth_generate(gt_trace *t, const gt_synth_params *p, gt_error *err);

#endif
