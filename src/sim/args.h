/* SPDX-License-Identifier: MIT
 * gantry-sim's command line: one table of options (util/opts.h) drives parsing, value
 * checks and --help. Parsing is pure (it neither prints nor exits); main.c acts on the
 * result. */
#ifndef GT_SIM_ARGS_H
#define GT_SIM_ARGS_H

#include <stdio.h>

#include "util/error.h"
#include "util/opts.h"

typedef struct {
    /* Borrowed from argv; NULL when not given. */
    const char *cluster, *trace, *policies, *svg, *write_trace;
    int json, timing, quiet, help, version, autoscale;
    long long synth, seed, checkpoint_min;          /* 0 when not given; checkpoint_min: 30 */
    double load, estimate_factor, mtbf_h, repair_h; /* 0 when not given */
} gt_sim_args;

/* Read every option of argv[1..] into *a (reset to the defaults first); --help and
 * --version only set their flags. On a usage error returns GT_E_INVALID or GT_E_RANGE and
 * err->msg names the option ("--synth: expected an integer from 0 to 1000000000, got
 * 'x'"). */
gt_err gt_sim_args_parse(int argc, char **argv, gt_sim_args *a, gt_error *err);

/* gantry-sim's command line: its options and the words around them, for --help and the
 * manual page (tools/gendoc.c). */
extern const gt_opt_prog gt_sim_prog;

/* The usage text: a synopsis, what it does, one line per option, the policies. */
void gt_sim_usage(FILE *f);

#endif
