/* SPDX-License-Identifier: MIT
 * gantryd's command line: one table of options (util/opts.h) drives parsing, value checks
 * and --help. Parsing is pure (it neither prints nor exits); main.c acts on the result. */
#ifndef GT_CTLD_ARGS_H
#define GT_CTLD_ARGS_H

#include <stdio.h>

#include "util/error.h"
#include "util/opts.h"

typedef enum {
    GT_CTLD_RUN,           /* start the controller */
    GT_CTLD_HELP,          /* --help, -h: print gt_ctld_usage, exit 0 */
    GT_CTLD_VERSION,       /* --version: print the version, exit 0 */
    GT_CTLD_PRINT_DEFAULT, /* --print-default-config: print gt_ctld_default_config, exit 0 */
} gt_ctld_action;

typedef struct {
    /* Borrowed from argv; NULL when not given. */
    const char *config, *listen, *data_dir, *policy, *port_file;
    int quiet;
    int accept_loss;             /* --accept-loss-after given */
    long long accept_loss_after; /* its SEQ */
    gt_ctld_action action;
} gt_ctld_args;

/* Read argv[1..] into *out (zeroed first). Options are read in order; the first of --help,
 * --version and --print-default-config ends the parse with that action. On a usage error
 * returns GT_E_INVALID or GT_E_RANGE and err->msg names the option ("--listen needs a
 * value (ADDR:PORT)"). */
gt_err gt_ctld_args_parse(int argc, char **argv, gt_ctld_args *out, gt_error *err);

/* gantryd's command line: its options and the words around them, for --help and the
 * manual page (tools/gendoc.c). */
extern const gt_opt_prog gt_ctld_prog;

/* The usage text: a synopsis, what gantryd does, then one line per option. */
void gt_ctld_usage(FILE *f);

#endif
