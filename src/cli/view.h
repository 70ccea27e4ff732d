/* SPDX-License-Identifier: MIT
 * The controller's objects as text for people: tables of jobs, nodes, tenants and levels,
 * and one job in detail. Pure: JSON in (docs/api.md's shapes), text out; missing fields
 * show as "-" or 0, so an older or newer controller still gets a readable table. */
#ifndef GT_CLI_VIEW_H
#define GT_CLI_VIEW_H

#include <jansson.h>

#include "cli/table.h"
#include "util/error.h"
#include "util/strbuf.h"

/* `gantry jobs`' columns by default, and `gantry top`'s. */
#define GT_CLI_JOBS_FORMAT "id,name,user,tenant,kind,prio,state,gpus,units,time,nodelist(reason)"
#define GT_CLI_TOP_FORMAT "id,name,tenant,kind,prio,state,gpus,units,progress,age"

/* One row per job of the array, with the columns `format` names (comma-separated,
 * case-insensitive, at most 16; jobcols.c has them). GPUS is the whole job's (per-unit
 * GPUs x units), UNITS is running/total, PROGRESS a task array's share ended and its ETA, AGE is
 * since submission, TIME is squeue's. NULL when format names an unknown column, with *err naming it
 * and listing the known ones. */
gt_table *gt_cli_jobs_table(const json_t *jobs, double now, const char *format, gt_error *err);
/* A task array's progress: units ended (done or failed) of total, the rate they ended at
 * since the job started (per second; 0 before two ended), and the seconds the rest would
 * take at that rate (-1: unknown). 0 for a job that is not an array of several tasks. */
typedef struct {
    long long ended, total;
    double rate, eta_s;
} gt_cli_progress;
int gt_cli_task_progress(const json_t *job, double now, gt_cli_progress *p);
/* The column names, ", "-separated. */
void gt_cli_jobs_column_names(gt_sb *b);
/* A field of the job, else of its spec; dflt when neither has it. */
const char *gt_cli_job_str(const json_t *job, const char *key, const char *dflt);
/* The job's state, with "/held" for a held job, into buf. */
const char *gt_cli_job_state(const json_t *job, char *buf, size_t len);
/* NAME STATE GPUS(free/total) MODEL CPUS(free/total) MEMORY HEARTBEAT PATH. */
gt_table *gt_cli_nodes_table(const json_t *nodes, double now);
/* TENANT GPUS CPUS QUOTA LIMIT SHARE FAIRSHARE GPU-HOURS. */
gt_table *gt_cli_tenants_table(const json_t *tenants);
/* LEVEL SUBTREES GPUS FREE CPUS FREE, from /v1/cluster's "levels". */
gt_table *gt_cli_levels_table(const json_t *cluster);

/* "LABEL: k1 v1, k2 v2" for an object of counts ({"up": 3, "down": 0}), then '\n'. */
void gt_cli_counts(gt_sb *b, const char *label, const json_t *counts);
/* A job as "key: value" lines, then its placement and exits. */
void gt_cli_show_job(gt_sb *b, const json_t *job, double now);

/* One frame of `gantry top`: a header naming server and time, GPU and CPU bars, node and
 * job counts, the tenants, then as many of `jobs` as fit in `rows` lines (0: all). */
void gt_cli_top_frame(gt_sb *b, const char *server, const json_t *cluster, const json_t *tenants,
                      const json_t *jobs, double now, int rows);

#endif
