/* SPDX-License-Identifier: MIT
 * Reports of one or more simulator runs: a side-by-side table for people, JSON for
 * programs, SVG charts (utilisation over time, CDF of job completion time). */
#ifndef GT_SIM_REPORT_H
#define GT_SIM_REPORT_H

#include "sim/sim.h"
#include "util/strbuf.h"

void gt_report_table(const gt_sim_result *r, int n, int timing, gt_sb *out);
/* JSON array, one object per run; timing fields only when `timing`. */
void gt_report_json(const gt_sim_result *r, int n, int timing, gt_sb *out);
void gt_report_svg_util(const gt_sim_result *r, int n, gt_sb *out);
void gt_report_svg_jct(const gt_sim_result *r, int n, gt_sb *out);

#endif
