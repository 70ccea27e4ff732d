/* SPDX-License-Identifier: MIT
 * Command-line options declared as tables, for all four programs (gantry, gantryd,
 * gantry-agent, gantry-sim). A row names the option, the kind of value it takes and its
 * range; the same rows drive parsing, value checks and the help text, so adding an option
 * is one line. Parsing is pure: errors come back in a gt_error whose message names the
 * option and what was expected ("--gpus: expected an integer from 0 to 1048576, got 'x'");
 * the caller prints them. Only gt_opt_help writes, to the FILE it is given.
 *
 * A program declares its rows in an array indexed by an enum of its own
 * (`[OPT_PORT_FILE] = {"--port-file", ...}`), calls gt_opt_next (gt_opt_next_option when
 * it takes no positional arguments) until GT_TOK_END and switches on `t.opt - opts` for
 * each GT_TOK_OPT, as ctld/args.c does. */
#ifndef GT_UTIL_OPTS_H
#define GT_UTIL_OPTS_H

#include <stdio.h>

#include "util/error.h"

typedef enum {
    GT_OPT_SWITCH = 0, /* no value */
    GT_OPT_STRING,     /* any text -> val */
    GT_OPT_INT,        /* integer in [lo, hi] -> n */
    GT_OPT_DURATION,   /* duration of lo..hi seconds -> n in milliseconds */
    GT_OPT_TIME,       /* the same in Slurm's syntax, a bare number being minutes */
    GT_OPT_SIZE,       /* memory size of lo..hi MiB -> n in MiB */
    GT_OPT_CHOICE,     /* one of `choices` -> val, n = its index */
    GT_OPT_RANGE,      /* MIN[:MAX] integers in [lo, hi], MIN <= MAX -> n, n2 (-1: no MAX) */
    GT_OPT_KEYVAL,     /* K=V with K not empty -> val, n = offset of '=' */
    GT_OPT_REAL,       /* a number x with lo < x <= hi -> x */
} gt_opt_type;

typedef struct gt_opt {
    const char *name; /* "--gpus"; NULL ends a table */
    char short_name;  /* 'f' for -f, or 0 */
    gt_opt_type type;
    const char *arg;  /* the value's name in help ("N"); NULL for a switch */
    const char *help; /* one line */
    long long lo, hi;
    const char *const *choices; /* GT_OPT_CHOICE: NULL-terminated */
    const char *key; /* the caller's name for what the option sets, or NULL (gantry submit:
                        the job spec field) */
} gt_opt;

typedef enum {
    GT_TOK_END,  /* no arguments left */
    GT_TOK_OPT,  /* an option: opt, and its value */
    GT_TOK_ARG,  /* a positional argument: val */
    GT_TOK_REST, /* "--": the arguments after it start at args->i */
    GT_TOK_ERR,  /* a usage error, described in *err */
} gt_opt_tok_kind;

typedef struct {
    gt_opt_tok_kind kind;
    const gt_opt *opt;
    const char *val; /* the option's text value or the positional argument; borrowed */
    long long n, n2; /* converted value, see gt_opt_type */
    double x;        /* GT_OPT_REAL's value */
} gt_opt_tok;

typedef struct {
    int argc;
    char **argv; /* borrowed */
    int i;       /* the next argument to read */
} gt_opt_args;

/* The next token of a->argv. Options are looked up in `opts`, then in `more` (either may be
 * NULL). Accepts --name VALUE, --name=VALUE and -x VALUE; a value may start with '-'. */
gt_opt_tok gt_opt_next(gt_opt_args *a, const gt_opt *opts, const gt_opt *more, gt_error *err);

/* gt_opt_next for a program that takes options only (no `more` table): a positional
 * argument or "--" is a GT_TOK_ERR, "unexpected argument 'x'". */
gt_opt_tok gt_opt_next_option(gt_opt_args *a, const gt_opt *opts, gt_error *err);

/* 1 when err is gt_opt_next's "unknown option" error for the option `name` ("--token"),
 * given as "--token" or "--token=VALUE": for a program that refuses an option on purpose
 * and says why instead (a token on the command line, which ps shows to everyone). */
int gt_opt_unknown_is(const gt_error *err, const char *name);

/* Convert `val` as option o says into t->n / t->n2 / t->x; on error fill *err (code GT_E_INVALID
 * or GT_E_RANGE). */
gt_err gt_opt_value(const gt_opt *o, const char *val, gt_opt_tok *t, gt_error *err);

/* One help line per option of the table: "  --gpus N          GPUs ...". */
void gt_opt_help(FILE *f, const gt_opt *opts);

/* An environment variable a program reads, for its help and manual page. */
typedef struct {
    const char *name; /* "GANTRY_SERVER"; NULL ends a list */
    const char *help; /* one line */
} gt_opt_env;

/* A program's command line as its --help and its manual page describe it: the option
 * table with the words around it. Each program declares one next to its table
 * (ctld/args.c, ...); gt_opt_usage prints it and tools/gendoc.c writes the manual page
 * from the same rows, so the two cannot disagree. */
typedef struct {
    const char *name;       /* "gantryd" */
    int section;            /* of the manual: 1 a command, 8 a daemon */
    const char *purpose;    /* the manual's NAME line, after "NAME - ": "the gantry controller" */
    const char *synopsis;   /* what follows the name: "[--config FILE] [--listen ADDR:PORT]" */
    const char *about;      /* what it does: sentences; a blank line ("\n\n") between
                               paragraphs, any other newline is a space */
    const gt_opt *opts;     /* its options */
    const gt_opt_env *envs; /* the environment it reads, or NULL */
} gt_opt_prog;

/* --help's text: "usage: NAME SYNOPSIS" and the about text (both wrapped to 80 columns),
 * then "options:" and gt_opt_help's lines. */
void gt_opt_usage(FILE *f, const gt_opt_prog *p);

/* text's words on lines of at most 80 columns, the first line after the `col` columns
 * already written on it, the others indented by `indent`; a blank line in text starts a
 * paragraph, any other run of spaces and newlines is one space. Ends with a newline. */
void gt_opt_wrap(FILE *f, const char *text, int col, int indent);

#endif
