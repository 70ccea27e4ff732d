/* SPDX-License-Identifier: MIT
 * gantry-sim's options (see args.h): the table, where each value goes, and the loop that
 * walks them. */
#include "sim/args.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "core/sched.h"
#include "util/opts.h"

enum {
    OPT_CLUSTER,
    OPT_TRACE,
    OPT_SYNTH,
    OPT_LOAD,
    OPT_SEED,
    OPT_WRITE_TRACE,
    OPT_CHECKPOINT_MIN,
    OPT_ESTIMATE_FACTOR,
    OPT_MTBF_H,
    OPT_REPAIR_H,
    OPT_AUTOSCALE,
    OPT_POLICY,
    OPT_JSON,
    OPT_SVG,
    OPT_TIMING,
    OPT_QUIET,
    OPT_HELP,
    OPT_VERSION,
};

#define REAL_MAX 1000000000LL /* factors and hours: more than 0, at most this */
#define LOAD_MAX 10           /* --load: more than 0, at most this (docs/simulator.md) */
#define COUNT_MAX 1000000000LL
static const gt_opt options[] = {
    [OPT_CLUSTER] = {"--cluster", 0, GT_OPT_STRING, "FILE", "cluster config (YAML), required", 0, 0,
                     NULL, NULL},
    [OPT_TRACE] = {"--trace", 0, GT_OPT_STRING, "FILE", "job trace (CSV)", 0, 0, NULL, NULL},
    [OPT_SYNTH] = {"--synth", 0, GT_OPT_INT, "N",
                   "generate a synthetic mixed trace of N jobs instead", 0, COUNT_MAX, NULL, NULL},
    [OPT_LOAD] = {"--load", 0, GT_OPT_REAL, "F",
                  "offered load of --synth, 0 < F <= 10 (default 0.9)", 0, LOAD_MAX, NULL, NULL},
    [OPT_SEED] = {"--seed", 0, GT_OPT_INT, "N", "seed of --synth and of node failures (default 1)",
                  0, LLONG_MAX, NULL, NULL},
    [OPT_WRITE_TRACE] = {"--write-trace", 0, GT_OPT_STRING, "FILE",
                         "also write the --synth trace as CSV", 0, 0, NULL, NULL},
    [OPT_CHECKPOINT_MIN] = {"--checkpoint-min", 0, GT_OPT_INT, "N",
                            "training checkpoints every N minutes of progress (default 30, 0: "
                            "none)",
                            0, COUNT_MAX, NULL, NULL},
    [OPT_ESTIMATE_FACTOR] = {"--estimate-factor", 0, GT_OPT_REAL, "F",
                             "jobs without estimate_s get duration x F (default: none)", 0,
                             REAL_MAX, NULL, NULL},
    [OPT_MTBF_H] = {"--mtbf-h", 0, GT_OPT_REAL, "H",
                    "nodes fail, each every H hours on average (default: never)", 0, REAL_MAX, NULL,
                    NULL},
    [OPT_REPAIR_H] = {"--repair-h", 0, GT_OPT_REAL, "H",
                      "a failed node is back after H hours (default 4)", 0, REAL_MAX, NULL, NULL},
    [OPT_AUTOSCALE] = {"--autoscale", 0, GT_OPT_SWITCH, NULL,
                       "services follow a diurnal load with spikes and scale on it", 0, 0, NULL,
                       NULL},
    [OPT_POLICY] = {"--policy", 0, GT_OPT_STRING, "LIST",
                    "comma-separated policies (default gantry)", 0, 0, NULL, NULL},
    [OPT_JSON] = {"--json", 0, GT_OPT_SWITCH, NULL, "JSON report instead of the table", 0, 0, NULL,
                  NULL},
    [OPT_SVG] = {"--svg", 0, GT_OPT_STRING, "DIR", "write utilisation.svg and jct-cdf.svg there", 0,
                 0, NULL, NULL},
    [OPT_TIMING] = {"--timing", 0, GT_OPT_SWITCH, NULL,
                    "measure pass latency, decisions/s, peak RSS", 0, 0, NULL, NULL},
    [OPT_QUIET] = {"--quiet", 0, GT_OPT_SWITCH, NULL, "no summary of rejected jobs", 0, 0, NULL,
                   NULL},
    [OPT_HELP] = {"--help", 'h', GT_OPT_SWITCH, NULL, "print this help and exit", 0, 0, NULL, NULL},
    [OPT_VERSION] = {"--version", 0, GT_OPT_SWITCH, NULL, "print the version and exit", 0, 0, NULL,
                     NULL},
    {0},
};

const gt_opt_prog gt_sim_prog = {
    .name = "gantry-sim",
    .section = 1,
    .purpose = "replay a job trace through gantry's scheduler on a simulated fleet",
    .synopsis = "--cluster FILE (--trace FILE | --synth N) [OPTIONS]",
    .about = "Replays a stream of jobs (a CSV trace, or a synthetic one) on the fleet of a "
             "cluster config through gantry's scheduling core, on a virtual clock, under each "
             "policy named, and reports what users feel (how long jobs wait and take) and what "
             "operators pay for (GPU utilisation, fragmentation, preempted work, gangs split "
             "across the network). It links the same core as the controller, so it measures "
             "the decisions gantry makes, not a model of them.",
    .opts = options,
};

void gt_sim_usage(FILE *f) {
    gt_opt_usage(f, &gt_sim_prog);
    fprintf(f, "policies: %s\n", gt_policy_names());
}

/* Where each option's value goes in gt_sim_args: an int for a switch, a long long for an
 * integer, a double for a real, a const char * for a string (set_value). */
#define O(f) offsetof(gt_sim_args, f)
static const size_t where[] = {
    [OPT_CLUSTER] = O(cluster),
    [OPT_TRACE] = O(trace),
    [OPT_SYNTH] = O(synth),
    [OPT_LOAD] = O(load),
    [OPT_SEED] = O(seed),
    [OPT_WRITE_TRACE] = O(write_trace),
    [OPT_CHECKPOINT_MIN] = O(checkpoint_min),
    [OPT_ESTIMATE_FACTOR] = O(estimate_factor),
    [OPT_MTBF_H] = O(mtbf_h),
    [OPT_REPAIR_H] = O(repair_h),
    [OPT_AUTOSCALE] = O(autoscale),
    [OPT_POLICY] = O(policies),
    [OPT_JSON] = O(json),
    [OPT_SVG] = O(svg),
    [OPT_TIMING] = O(timing),
    [OPT_QUIET] = O(quiet),
    [OPT_HELP] = O(help),
    [OPT_VERSION] = O(version),
};

static void set_value(gt_sim_args *a, const gt_opt_tok *t) {
    char *p = (char *)a + where[t->opt - options];
    switch (t->opt->type) {
    case GT_OPT_SWITCH:
        *(int *)(void *)p = 1;
        break;
    case GT_OPT_INT:
        *(long long *)(void *)p = t->n;
        break;
    case GT_OPT_REAL:
        *(double *)(void *)p = t->x;
        break;
    default:
        *(const char **)(void *)p = t->val;
    }
}

gt_err gt_sim_args_parse(int argc, char **argv, gt_sim_args *a, gt_error *err) {
    gt_opt_args in = {argc, argv, 1};
    memset(a, 0, sizeof *a);
    a->checkpoint_min = 30;
    for (;;) {
        gt_opt_tok t = gt_opt_next_option(&in, options, err);
        if (t.kind == GT_TOK_END)
            return GT_E_OK;
        if (t.kind == GT_TOK_ERR)
            return err ? err->code : GT_E_INVALID;
        set_value(a, &t);
    }
}
