/* SPDX-License-Identifier: MIT
 * `gantry submit`'s arguments to the JSON document it sends. Pure: the caller reads the
 * spec file and knows the current directory. The document is built as a jansson object
 * (the file's fields, then the options', then command, env and workdir) and checked with
 * the core's job spec parser, so a bad spec is refused before any request, with the
 * controller's own messages. The document, not a re-rendered gt_jobspec, is what is sent:
 * the core checks command, env, workdir and grace_s but does not store them. */
#ifndef GT_CLI_SPEC_H
#define GT_CLI_SPEC_H

#include <jansson.h>
#include <stddef.h>

#include "util/error.h"
#include "util/opts.h"

typedef struct {
    const char *file;   /* SPEC_FILE ("-": standard input), or NULL; borrowed */
    gt_opt_args rest;   /* the arguments after SPEC_FILE (from rest.i); borrowed */
    gt_opt_tok more[8]; /* options of the `more` table found after a job spec */
    int nmore;
    json_t *fields;           /* job spec fields set by options, in their order */
    json_t *env;              /* --env pairs, or NULL */
    json_t *command;          /* the arguments after "--", or NULL */
    const char *implied_kind; /* "tasks" after --tasks, "serve" after --replicas, or NULL */
    int nodes;                /* -N/--nodes, or 0 */
    const char *export_vars;  /* --export, or NULL; borrowed */
    int dry_run;
    int workflow;     /* -f/--file: file is a workflow (core/workflow.h) */
    const char *idem; /* --idempotency-key, or NULL (a new key); borrowed */
} gt_cli_submit_req;

/* Whether a submit document is a workflow (it has steps) rather than one job. */
int gt_cli_is_workflow(const json_t *doc);

/* Parse submit's arguments (argv[0] is "submit") up to SPEC_FILE: what follows it is kept
 * in req->rest, since it depends on the file (gt_cli_submit_rest). On error *err names the
 * option and req holds nothing to free. On success free req with gt_cli_submit_req_free. */
gt_err gt_cli_submit_parse(int argc, char **argv, gt_cli_submit_req *req, gt_error *err);
/* Once SPEC_FILE's text (len bytes; NULL: none) is read: after a batch script (script.h)
 * the arguments in req->rest are the script's own, as sbatch has it, and stay there; after
 * a job spec they are more options (or '--' and the command), parsed into req now. Options
 * of the table `more` (may be NULL; the global ones) are left in req->more for the caller,
 * at most 8 of them. */
gt_err gt_cli_submit_rest(gt_cli_submit_req *req, const char *text, size_t len, const gt_opt *more,
                          gt_error *err);
/* Options only (a #GANTRY directive's words; argv[0] is not read) into req, which
 * gt_cli_submit_parse or gt_cli_script_directives initialised. */
gt_err gt_cli_submit_words(gt_cli_submit_req *req, int argc, char **argv, gt_error *err);
void gt_cli_submit_req_free(gt_cli_submit_req *req); /* accepts a zeroed req */

/* --export's value (export.c): 0 when it is ALL, NONE or a list of NAME and NAME=VALUE;
 * else -1 with why. */
int gt_cli_export_check(const char *spec, char *why, size_t size);
/* The submitter's variables that spec (NULL or "": HOME,USER,PATH) names, from envp, into
 * the `env` of doc, a job with a command, under the names it has already. 0, or -1 with
 * why. */
int gt_cli_export_apply(const char *spec, char *const *envp, json_t *doc, char *why, size_t size);
/* The fuzzers' check (tests/fuzz/fuzz_export.c, tests/unit/test_fuzz_corpus.c): len bytes
 * as --export's value are refused with a reason, or accepted and applied to a job with a
 * command, leaving an env of strings or none (or refused there for a value that is not
 * UTF-8). 0 when that holds, else -1 with why. */
int gt_cli_export_roundtrip(const char *data, size_t len, char *why, size_t size);

/* The document to send: the spec file's text (len bytes; NULL when there is no file) as
 * JSON, or YAML when req->file ends in .yaml or .yml (or is "-" and does not start with
 * '{'), then the options. A batch script (text starting "#!") gives instead its
 * directives, a command that runs its text with req->rest as its arguments, and its file
 * name as the job's name unless one is given; the options override the directives. cwd (may be
 * NULL) resolves a relative --workdir and is the workdir of a job with a command that names none.
 * On success *out is the caller's; on error *out is NULL and *err says why, located in the file
 * when it is the file's fault. */
gt_err gt_cli_submit_doc(const gt_cli_submit_req *req, const char *text, size_t len,
                         const char *cwd, json_t **out, gt_error *err);

/* A YAML document (len bytes) as JSON: mappings to objects, sequences to arrays; plain
 * scalars that look like integers or reals to numbers, true/false to booleans, null and ~
 * to null; every other scalar (quoted ones too) to a string. Duplicate keys, anchors that
 * refer to themselves and documents over 100,000 values are errors. `where` names the
 * document in errors ("job.yaml:3:5"). Returns a new reference or NULL with *err filled. */
json_t *gt_cli_yaml_to_json(const char *text, size_t len, const char *where, gt_error *err);

#endif
