/* SPDX-License-Identifier: MIT
 * gantry-agent's command line: one table of options (util/opts.h) drives parsing, value
 * checks and --help. Parsing is pure (it neither prints nor exits); main.c sets the
 * defaults first and acts on the result. */
#ifndef GT_AGENT_ARGS_H
#define GT_AGENT_ARGS_H

#include <stdio.h>

#include "agent/agent.h"
#include "util/error.h"
#include "util/opts.h"

typedef enum {
    GT_AGENT_RUN,     /* serve */
    GT_AGENT_HELP,    /* --help, -h: print gt_agent_usage, exit 0 */
    GT_AGENT_VERSION, /* --version: print the version, exit 0 */
} gt_agent_action;

typedef struct {
    gt_agent_opts o;        /* strings borrowed from argv or the caller's defaults */
    const char *token_file; /* --token-file */
    gt_agent_action action;
} gt_agent_args;

/* Read argv[1..] into *a over what it holds (the caller's defaults). Options are read in
 * order; --help or --version ends the parse with that action. On a usage error returns
 * GT_E_INVALID or GT_E_RANGE and err->msg names the option ("--fake-gpus: expected an
 * integer from 0 to 32, got 'x'"). */
gt_err gt_agent_args_parse(int argc, char **argv, gt_agent_args *a, gt_error *err);

/* gantry-agent's command line: its options, the environment it reads and the words around
 * them, for --help and the manual page (tools/gendoc.c). */
extern const gt_opt_prog gt_agent_prog;

/* The usage text: a synopsis, what the agent does, then one line per option. */
void gt_agent_usage(FILE *f);

#endif
