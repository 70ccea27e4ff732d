/* SPDX-License-Identifier: MIT
 * The controller's objects as text for people: tables of jobs, nodes, tenants and levels,
 * and one job in detail. Pure: JSON in (docs/api.md's shapes), text out; missing fields
 * show as "-" or 0, so an older or newer controller still gets a readable table. */
#ifndef GT_CLI_VIEW_H
#define GT_CLI_VIEW_H

#include <jansson.h>

#include "cli/table.h"
#include "util/strbuf.h"

/* ID NAME TENANT KIND PRIO STATE GPUS UNITS AGE, one row per job of the array. GPUS is the
 * whole job's (per-unit GPUs x units), UNITS is running/total, AGE is since submission. */
gt_table *gt_cli_jobs_table(const json_t *jobs, double now);
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
