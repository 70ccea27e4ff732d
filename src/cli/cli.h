/* SPDX-License-Identifier: MIT
 * gantry, the command-line client of gantryd (docs/cli.md, docs/api.md).
 *
 * Design notes
 *  1. Every command is one row of the table in commands.c: name, handler, usage line,
 *     summary and its option table (opts.h). `gantry --help`, `gantry help CMD` and the
 *     option parser all walk those rows.
 *  2. Global options (--server, --token-file, --context, --json, --timeout) may come before
 *     the command or among its options; gt_cli_main takes them out before the handler
 *     runs, so a handler only sees its own options. A command's own option wins a clash
 *     (`gantry wait ID --timeout 60` is the wait's limit). `submit` reads what follows its
 *     SPEC_FILE itself (a batch script's arguments are its own) and applies the global
 *     options it finds there after a job spec with gt_cli_apply_global.
 *  3. Exit codes: 0 success; the `exit` column of util/errors.def for an error the
 *     controller sent; 10 when it cannot be reached; 2 for usage errors; `wait` adds 1 (a
 *     job failed or was cancelled) and 124 (its --timeout passed), and waiting for one job
 *     exits as that job did (gt_cli_wait_exit).
 *  4. The HTTP client (and the token) are set up on the first request, so --help and
 *     `submit --dry-run` need neither a controller nor a token.
 *  5. Every message goes to stderr as one line starting "gantry: "; stdout carries only
 *     results, so scripts can capture them (`id=$(gantry submit ...)`). */
#ifndef GT_CLI_CLI_H
#define GT_CLI_CLI_H

#include <jansson.h>

#include "cli/http.h"
#include "util/opts.h"

#define GT_CLI_EXIT_JOB_FAILED 1
#define GT_CLI_EXIT_USAGE 2
#define GT_CLI_EXIT_TIMEOUT 124
#define GT_CLI_EXIT_OOM 137        /* `wait ID`: the job went over its memory (128 + SIGKILL) */
#define GT_CLI_EXIT_TIME_LIMIT 140 /* `wait ID`: the job ran past its time limit */
#define GT_CLI_DEFAULT_SERVER "http://127.0.0.1:7070"
#define GT_CLI_DEFAULT_TOKEN_FILE "gantry-data/admin.token"
/* The environment it reads (gt_cli_prog.envs says what for). */
#define GT_CLI_ENV_SERVER "GANTRY_SERVER"
#define GT_CLI_ENV_TOKEN "GANTRY_TOKEN"
#define GT_CLI_ENV_TOKEN_FILE "GANTRY_TOKEN_FILE"
#define GT_CLI_ENV_CONTEXT "GANTRY_CONTEXT"
#define GT_CLI_ENV_EXPORT "GANTRY_EXPORT"

typedef struct gt_cli gt_cli;
typedef int (*gt_cli_fn)(gt_cli *c, int argc, char **argv);

/* What a command's arguments are, for shell completion (completion.c). */
typedef enum {
    GT_CLI_ARGS_NONE = 0, /* none, or none a shell could offer */
    GT_CLI_ARGS_JOBS,     /* job ids (`gantry jobs --noheader -o id` lists them) */
    GT_CLI_ARGS_NODE,     /* a node's name (the first column of `gantry nodes`) */
    GT_CLI_ARGS_FILE,     /* a file */
    GT_CLI_ARGS_COMMAND,  /* one of gantry's commands */
    GT_CLI_ARGS_SHELL,    /* a shell gt_cli_completion knows */
} gt_cli_args_kind;

typedef struct gt_cli_cmd {
    const char *name;
    gt_cli_fn fn;
    const char *usage;   /* what follows "gantry NAME" */
    const char *summary; /* one line */
    const gt_opt *opts;
    int args_end_options; /* its first argument ends dispatch's reading of options (submit:
                             what follows SPEC_FILE depends on the file) */
    gt_cli_args_kind args;
} gt_cli_cmd;

struct gt_cli {
    char server[512];       /* no trailing '/' */
    int server_given;       /* by --server or GANTRY_SERVER: a context's does not apply */
    const char *token_file; /* from --token-file; NULL if not given */
    const char *context;    /* from --context; NULL if not given */
    int ctx_applied;        /* gt_cli_context_apply ran */
    char ctx_token_file[1024], ctx_tenant[64]; /* the context's, "" when none */
    char ctx_where[1024];                      /* "context 'NAME' (FILE:LINE)", for messages */
    int json;                                  /* --json */
    double timeout_s;                          /* per request */
    const gt_cli_cmd *cmd;                     /* the command running */
    gt_cli_http *http;                         /* created by the first request */
    gt_cli_http_resp last;                     /* the last answer */
};

/* The whole program: parse, dispatch, clean up; returns the exit code. */
int gt_cli_main(int argc, char **argv);

/* "gantry: CMD: MESSAGE; see 'gantry help CMD'" on stderr; returns GT_CLI_EXIT_USAGE. */
int gt_cli_usage(const gt_cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error of the option parser (gt_cli_usage with err's message); `--token` gets its
 * own: tokens come from --token-file or the environment only. Returns GT_CLI_EXIT_USAGE. */
int gt_cli_opt_error(const gt_cli *c, const gt_error *err);
/* Check that argv[1..] (a command without options) holds min..max arguments called `what`
 * ("ID", "NODE"); 0, or a usage error's exit code. */
int gt_cli_nargs(const gt_cli *c, int argc, char **argv, int min, int max, const char *what);
/* A job id argument; 0, or a usage error's exit code. */
int gt_cli_job_id(const gt_cli *c, const char *arg, long long *id);
/* The arguments of a command that takes one job ID and options of `opts`: the ID into
 * *id, each option token to on_opt(ctx, token). 0, or a usage error's exit code (no ID,
 * two, a bad ID or option). */
int gt_cli_id_and_opts(const gt_cli *c, int argc, char **argv, const gt_opt *opts, long long *id,
                       void (*on_opt)(void *ctx, const gt_opt_tok *t), void *ctx);
/* Apply a global option (a token of gt_cli_global_opts) found by a command among its own
 * arguments: 0, an exit code, or -1 when it printed help (exit 0). */
int gt_cli_apply_global(gt_cli *c, const gt_opt_tok *t);
/* "gantry: MESSAGE" on stderr. */
void gt_cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read the configuration file once and take the context's server, token file and tenant
 * where the command line and the environment say nothing (context.c). 0, or a usage error's
 * exit code after saying what is wrong (the file's line, or --context / GANTRY_CONTEXT). */
int gt_cli_context_apply(gt_cli *c);
/* The configuration file's path: $XDG_CONFIG_HOME/gantry/config, else
 * $HOME/.config/gantry/config. 0, or an exit code after saying why there is none. */
int gt_cli_config_path(char *buf, size_t size);

/* Send a request; the answer is in c->last. On a transport failure or an error answer
 * prints the message and returns the exit code; 0 on success. body may be NULL. */
int gt_cli_send(gt_cli *c, const char *method, const char *path, const char *body);
/* gt_cli_send, then parse the answer as JSON into *out (the caller's reference). */
int gt_cli_request(gt_cli *c, const char *method, const char *path, const char *body, json_t **out);
/* Start the HTTP client (the context, the token) if it is not yet: 0 or an exit code. */
int gt_cli_open(gt_cli *c);
/* The same without a body and without a word on failure (the caller has another way):
 * 0 and *out, or non-zero for any failure (unreachable, an error status, not JSON). */
int gt_cli_request_quiet(gt_cli *c, const char *method, const char *path, json_t **out);
/* Print the last answer's body as is (for --json), ending with a newline. */
void gt_cli_print_last(const gt_cli *c);
/* Print a document built here (for --json), indented. */
void gt_cli_print_json(const json_t *doc);
/* A spec file ("-": stdin) whole, at most 1 MiB, NUL-terminated, owned by the caller; NULL
 * with *why (static text). */
char *gt_cli_slurp(const char *path, size_t *len, const char **why);
/* Append s to b percent-encoded for a URL path segment or query value. */
void gt_cli_urlenc(gt_sb *b, const char *s);

/* The exit code of `gantry wait` for one finished job (docs/api.md's object): 0 when it
 * completed; for a failed one, as its failure says: 140 past its time limit, 137 out of
 * memory, 128 + N killed by signal N, else its exit code; 1 when cancelled, or failed
 * without a failure to tell. */
int gt_cli_wait_exit(const json_t *job);

/* The commands (one file each, or one file per family). */
int gt_cli_cmd_submit(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_jobs(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_show(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_node(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_units(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_endpoints(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_events(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_scale(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_update(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_cancel(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_hold(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_release(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_wait(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_logs(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_nodes(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_drain(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_resume(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_tenants(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_cluster(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_top(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_version(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_completion(gt_cli *c, int argc, char **argv);
int gt_cli_cmd_config(gt_cli *c, int argc, char **argv);

/* Their option tables. */
extern const gt_opt gt_cli_submit_opts[];
extern const gt_opt gt_cli_jobs_opts[];
extern const gt_opt gt_cli_wait_opts[];
extern const gt_opt gt_cli_units_opts[];
extern const gt_opt gt_cli_endpoints_opts[];
extern const gt_opt gt_cli_events_opts[];
extern const gt_opt gt_cli_update_opts[];
extern const gt_opt gt_cli_drain_opts[];
extern const gt_opt gt_cli_cancel_opts[];
extern const gt_opt gt_cli_logs_opts[];
extern const gt_opt gt_cli_top_opts[];
extern const gt_opt gt_cli_global_opts[];
extern const gt_opt gt_cli_config_opts[];

/* The command table, ended by a row with name NULL. */
extern const gt_cli_cmd gt_cli_commands[];
const gt_cli_cmd *gt_cli_find_command(const char *name);

/* gantry itself as --help and its manual page describe it: the global options, the
 * environment it reads, what it is (tools/gendoc.c writes gantry.1 from this, the command
 * table and gt_cli_exit_codes). */
extern const gt_opt_prog gt_cli_prog;

/* The exit codes as `gantry --help` and the manual list them: row(ctx, code, meaning) for
 * each, in order (0, 1, then those of util/errors.def, 124); meaning is valid during the
 * call only. */
void gt_cli_exit_codes(void (*row)(void *ctx, int code, const char *meaning), void *ctx);

/* The shell completion script for `shell` ("bash" or "zsh") onto f, generated from the
 * command table: its commands, their options, the values of each choice, job ids and node
 * names asked of the controller as the user types. GT_E_INVALID for another shell
 * (nothing written). */
gt_err gt_cli_completion(FILE *f, const char *shell);

#endif
