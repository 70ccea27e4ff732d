/* SPDX-License-Identifier: MIT
 * The command table, the global options, help, and dispatch.
 *
 * Design notes
 *  1. gt_cli_commands is the one list of commands: help and dispatch walk it. Each row
 *     points at its handler and its option table; a command is added by adding a row.
 *  2. Dispatch reads the global options before the command, then walks the command's
 *     arguments once with both tables (the command's first) to take the global options out
 *     and to reject any usage error before the handler runs. Everything after "--" is left
 *     as it is, and so is everything from the first argument of a command whose row says
 *     so (submit: after a batch script come its own arguments).
 *  3. The exit-code list of --help and of the manual page is generated from
 *     util/errors.def (gt_cli_exit_codes).
 *  4. The same rows make gantry.1 (tools/gendoc.c writes it at build time) and the shell
 *     completion scripts (completion.c): each row's `args` says what its arguments are, so
 *     a shell can offer job ids, node names or files. `help` is a row like the others. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/parse.h"
#include "util/version.h"

static int cmd_help(gt_cli *c, int argc, char **argv);

const gt_opt gt_cli_global_opts[] = {
    {.name = "--server",
     .type = GT_OPT_STRING,
     .arg = "URL",
     .help = "the controller (env " GT_CLI_ENV_SERVER "; default " GT_CLI_DEFAULT_SERVER ")"},
    {.name = "--token-file",
     .type = GT_OPT_STRING,
     .arg = "PATH",
     .help = "read the token from PATH (env " GT_CLI_ENV_TOKEN ", " GT_CLI_ENV_TOKEN_FILE
             "; never on the command line itself; default ./" GT_CLI_DEFAULT_TOKEN_FILE
             " if it exists)"},
    {.name = "--context",
     .type = GT_OPT_STRING,
     .arg = "NAME",
     .help = "use this context of the configuration file (env " GT_CLI_ENV_CONTEXT
             "; default: its current-context)"},
    {.name = "--json",
     .type = GT_OPT_SWITCH,
     .help = "print the controller's JSON answer, one document"},
    {.name = "--timeout",
     .type = GT_OPT_DURATION,
     .arg = "SECONDS",
     .lo = 0,
     .hi = 86400,
     .help = "give up on a request after this long (default 30; 0: never)"},
    {.name = "--help",
     .short_name = 'h',
     .type = GT_OPT_SWITCH,
     .help = "show help (gantry help COMMAND: a command's options)"},
    {.name = "--version", .type = GT_OPT_SWITCH, .help = "print the version (and git commit)"},
    {0},
};

const gt_cli_cmd gt_cli_commands[] = {
    {"submit", gt_cli_cmd_submit, "[OPTIONS] [SPEC_FILE | SCRIPT [ARGS...]] [-- CMD ARGS...]",
     "submit a job from options, a JSON or YAML spec file, or a batch script", gt_cli_submit_opts,
     1, GT_CLI_ARGS_FILE},
    {"jobs", gt_cli_cmd_jobs,
     "[--state S,...] [--all] [--me] [--tenant T] [--kind K] [--limit N] [-o COLUMNS] "
     "[--noheader] [--parsable]",
     "list jobs, newest first: the pending and running ones unless told", gt_cli_jobs_opts, 0,
     GT_CLI_ARGS_NONE},
    {"show", gt_cli_cmd_show, "ID", "show one job: spec, state, placement, exits", NULL, 0,
     GT_CLI_ARGS_JOBS},
    {"units", gt_cli_cmd_units, "ID [--state S,S] [--limit N]",
     "a job's units (tasks, replicas, gang): state, restarts, node, how each failed",
     gt_cli_units_opts, 0, GT_CLI_ARGS_JOBS},
    {"endpoints", gt_cli_cmd_endpoints, "ID [--watch]",
     "where a service's ready replicas listen; --watch follows the changes", gt_cli_endpoints_opts,
     0, GT_CLI_ARGS_JOBS},
    {"events", gt_cli_cmd_events, "[--job ID] [--since SEQ] [-f]",
     "what happened: jobs' states, units started and ended, nodes; -f follows", gt_cli_events_opts,
     0, GT_CLI_ARGS_NONE},
    {"update", gt_cli_cmd_update, "ID [--env K=V]... [-f FILE] [-- CMD ARGS...]",
     "roll out a new version of a service: new replicas ready before old ones stop",
     gt_cli_update_opts, 0, GT_CLI_ARGS_JOBS},
    {"scale", gt_cli_cmd_scale, "ID REPLICAS",
     "how many replicas a service should run (within its replicas.min..max)", NULL, 0,
     GT_CLI_ARGS_JOBS},
    {"logs", gt_cli_cmd_logs, "ID [--unit U] [--rank R] [--stderr] [-f]",
     "print a rank's output; -f follows it until the rank exits", gt_cli_logs_opts, 0,
     GT_CLI_ARGS_JOBS},
    {"cancel", gt_cli_cmd_cancel, "ID... | ID --task RANGES | ID_RANGES",
     "cancel jobs, or some tasks of a task array (scancel's 12_[17-40])", gt_cli_cancel_opts, 0,
     GT_CLI_ARGS_JOBS},
    {"hold", gt_cli_cmd_hold, "ID", "keep a pending job from starting", NULL, 0, GT_CLI_ARGS_JOBS},
    {"release", gt_cli_cmd_release, "ID", "let a held job start again", NULL, 0, GT_CLI_ARGS_JOBS},
    {"wait", gt_cli_cmd_wait, "ID... [--timeout SECONDS] [--interval SECONDS]",
     "wait until jobs finish; exit as the one job did, or 0 if all completed, 1 if not",
     gt_cli_wait_opts, 0, GT_CLI_ARGS_JOBS},
    {"nodes", gt_cli_cmd_nodes, "", "list nodes", NULL, 0, GT_CLI_ARGS_NONE},
    {"node", gt_cli_cmd_node, "[remove] NODE",
     "show one node: state, drain reason, free resources; remove: a pool node leaves", NULL, 0,
     GT_CLI_ARGS_NODE},
    {"drain", gt_cli_cmd_drain, "NODE --reason TEXT",
     "let a node's work finish and start nothing new there (say why)", gt_cli_drain_opts, 0,
     GT_CLI_ARGS_NODE},
    {"resume", gt_cli_cmd_resume, "NODE", "put a drained node back in service", NULL, 0,
     GT_CLI_ARGS_NODE},
    {"tenants", gt_cli_cmd_tenants, "", "list tenants: quotas, usage, fair share", NULL, 0,
     GT_CLI_ARGS_NONE},
    {"cluster", gt_cli_cmd_cluster, "", "GPUs and cores free at each level of the fleet", NULL, 0,
     GT_CLI_ARGS_NONE},
    {"top", gt_cli_cmd_top, "[--interval SECONDS] [--once]",
     "a live one-screen summary of the cluster (Ctrl-C to quit)", gt_cli_top_opts, 0,
     GT_CLI_ARGS_NONE},
    {"version", gt_cli_cmd_version, "", "print the version (and git commit)", NULL, 0,
     GT_CLI_ARGS_NONE},
    {"help", cmd_help, "[COMMAND]", "the commands, or a command's usage and options", NULL, 0,
     GT_CLI_ARGS_COMMAND},
    {"config", gt_cli_cmd_config,
     "use-context NAME | get-contexts | current-context | set-context NAME [--server URL] "
     "[--token-file PATH] [--tenant TENANT]",
     "named contexts (controller, token file, tenant) in ~/.config/gantry/config",
     gt_cli_config_opts, 0, GT_CLI_ARGS_NONE},
    {"completion", gt_cli_cmd_completion, "bash|zsh",
     "print a bash or zsh completion script (docs/cli.md: how to enable it)", NULL, 0,
     GT_CLI_ARGS_SHELL},
    {0},
};

const gt_cli_cmd *gt_cli_find_command(const char *name) {
    for (const gt_cli_cmd *c = gt_cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

void gt_cli_say(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("gantry: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int gt_cli_usage(const gt_cli *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const char *name = c && c->cmd ? c->cmd->name : NULL;
    fprintf(stderr, "gantry: %s%s", name ? name : "", name ? ": " : "");
    vfprintf(stderr, fmt, ap);
    if (name)
        fprintf(stderr, "; see 'gantry help %s'\n", name);
    else
        fprintf(stderr, "; see 'gantry --help'\n");
    va_end(ap);
    return GT_CLI_EXIT_USAGE;
}

int gt_cli_opt_error(const gt_cli *c, const gt_error *err) {
    if (gt_opt_unknown_is(err, "--token"))
        return gt_cli_usage(c, "--token: a token is never taken from the command line (ps shows "
                               "it to every user); use --token-file PATH or " GT_CLI_ENV_TOKEN);
    return gt_cli_usage(c, "%s", err->msg);
}

int gt_cli_nargs(const gt_cli *c, int argc, char **argv, int min, int max, const char *what) {
    if (argc - 1 < min)
        return gt_cli_usage(c, "missing %s", what);
    if (argc - 1 > max && max == 0)
        return gt_cli_usage(c, "takes no arguments, got '%s'", argv[1]);
    if (argc - 1 > max)
        return gt_cli_usage(c, "one %s only, got '%s' too", what, argv[max + 1]);
    return 0;
}

int gt_cli_job_id(const gt_cli *c, const char *arg, long long *id) {
    if (gt_parse_id(arg, id) == 0)
        return 0;
    return gt_cli_usage(c, "expected a job id (an integer >= 0), got '%s'", arg);
}

int gt_cli_id_and_opts(const gt_cli *c, int argc, char **argv, const gt_opt *opts, long long *id,
                       void (*on_opt)(void *ctx, const gt_opt_tok *t), void *ctx) {
    gt_opt_args a = {argc, argv, 1};
    gt_error err;
    int have_id = 0;
    for (;;) {
        gt_opt_tok t = gt_opt_next(&a, opts, NULL, &err);
        if (t.kind == GT_TOK_END)
            return have_id ? 0 : gt_cli_usage(c, "missing ID");
        if (t.kind == GT_TOK_ERR)
            return gt_cli_usage(c, "%s", err.msg);
        if (t.kind == GT_TOK_ARG && have_id++)
            return gt_cli_usage(c, "one ID only, got '%s' too", t.val);
        int rc = t.kind == GT_TOK_ARG ? gt_cli_job_id(c, t.val, id) : 0;
        if (rc)
            return rc;
        if (t.kind == GT_TOK_OPT)
            on_opt(ctx, &t);
    }
}

/* ---- help ----------------------------------------------------------------------------- */

static const gt_opt_env envs[] = {
    {GT_CLI_ENV_SERVER,
     "the controller's URL when --server is not given (default " GT_CLI_DEFAULT_SERVER ")"},
    {GT_CLI_ENV_TOKEN, "the bearer token when --token-file is not given"},
    {GT_CLI_ENV_TOKEN_FILE,
     "a file holding the token, read when neither --token-file nor " GT_CLI_ENV_TOKEN
     " is given; without any of them, ./" GT_CLI_DEFAULT_TOKEN_FILE " if it exists"},
    {GT_CLI_ENV_CONTEXT, "the context to use when --context is not given (default: the "
                         "configuration file's current-context)"},
    {"XDG_CONFIG_HOME", "the configuration file is $XDG_CONFIG_HOME/gantry/config (default "
                        "~/.config/gantry/config)"},
    {GT_CLI_ENV_EXPORT, "submit: --export's value when it is not given (default HOME,USER,PATH)"},
    {"LINES", "the rows 'gantry top' draws when its output is not a terminal"},
    {0},
};

const gt_opt_prog gt_cli_prog = {
    .name = "gantry",
    .section = 1,
    .purpose = "the command-line client of the gantry controller",
    .synopsis = "[GLOBAL OPTIONS] COMMAND [ARGS]",
    .about = "gantry is the command-line client of gantryd, the gantry controller. Each command "
             "is one or a few requests of the controller's HTTP API; --json prints its answers "
             "as they came.\n\nResults go to stdout; every message goes to stderr as one line "
             "that starts with 'gantry: '. Global options may come before the command or among "
             "its options.",
    .opts = gt_cli_global_opts,
    .envs = envs,
};

void gt_cli_exit_codes(void (*row)(void *ctx, int code, const char *meaning), void *ctx) {
    char m[512];
    row(ctx, 0, "success");
    snprintf(m, sizeof m,
             "a job that 'wait' waited for failed or was cancelled (waiting for one job: its "
             "exit code, 128 + a signal, %d out of memory, %d time limit)",
             GT_CLI_EXIT_OOM, GT_CLI_EXIT_TIME_LIMIT);
    row(ctx, GT_CLI_EXIT_JOB_FAILED, m);
    for (int x = 2; x < 100; x++) {
        size_t n = 0;
        for (int e = 0; e < GT_E__COUNT; e++)
            if (gt_err_exit((gt_err)e) == x && n < sizeof m)
                n += (size_t)snprintf(m + n, sizeof m - n, "%s%s", n ? ", " : "",
                                      gt_err_name((gt_err)e));
        if (n && x == GT_CLI_EXIT_USAGE && n < sizeof m)
            snprintf(m + n, sizeof m - n, " (and usage errors)");
        if (n)
            row(ctx, x, m);
    }
    row(ctx, GT_CLI_EXIT_TIMEOUT, "'wait --timeout' ran out");
}

static void print_exit_code(void *f, int code, const char *meaning) {
    gt_opt_wrap(f, meaning, fprintf(f, "  %-3d ", code), 6);
}

static void print_main_help(FILE *f) {
    fprintf(f, "usage: gantry %s\n\n", gt_cli_prog.synopsis);
    gt_opt_wrap(f, gt_cli_prog.about, 0, 0);
    fprintf(f, "\ncommands:\n");
    int w = 0;
    for (const gt_cli_cmd *c = gt_cli_commands; c->name; c++)
        w = (int)strlen(c->name) > w ? (int)strlen(c->name) : w;
    for (const gt_cli_cmd *c = gt_cli_commands; c->name; c++)
        fprintf(f, "  %-*s  %s\n", w, c->name, c->summary);
    fprintf(f, "\nglobal options (before the command or among its options):\n");
    gt_opt_help(f, gt_cli_global_opts);
    fprintf(f, "\nexit codes:\n");
    gt_cli_exit_codes(print_exit_code, f);
    fprintf(f, "\nRun 'gantry help COMMAND' for a command's options; docs/cli.md has examples.\n");
}

static void print_command_help(FILE *f, const gt_cli_cmd *c) {
    fprintf(f, "usage: gantry %s%s%s\n\n%s\n", c->name, c->usage[0] ? " " : "", c->usage,
            c->summary);
    if (c->opts) {
        fprintf(f, "\noptions:\n");
        gt_opt_help(f, c->opts);
    }
    fprintf(f, "\nglobal options: --server URL, --token-file PATH, --context NAME, --json, "
               "--timeout SECONDS (see gantry --help)\n");
}

static int cmd_help(gt_cli *c, int argc, char **argv) {
    if (argc < 2) {
        print_main_help(stdout);
        return 0;
    }
    const gt_cli_cmd *cmd = gt_cli_find_command(argv[1]);
    c->cmd = NULL; /* the message is about gantry's commands, not about help's usage */
    if (!cmd)
        return gt_cli_usage(c, "unknown command '%s'", argv[1]);
    print_command_help(stdout, cmd);
    return 0;
}

/* ---- dispatch ------------------------------------------------------------------------- */

static int is_global(const gt_opt *o) {
    for (const gt_opt *g = gt_cli_global_opts; g->name; g++)
        if (g == o)
            return 1;
    return 0;
}

static void print_version(void) {
    char v[128];
    fputs(gt_version_line("gantry", v, sizeof v), stdout);
}

int gt_cli_cmd_version(gt_cli *c, int argc, char **argv) {
    int rc = gt_cli_nargs(c, argc, argv, 0, 0, "");
    if (rc == 0)
        print_version();
    return rc;
}

int gt_cli_apply_global(gt_cli *c, const gt_opt_tok *t) {
    const char *name = t->opt->name;
    if (strcmp(name, "--version") == 0) {
        print_version();
        return -1;
    }
    if (strcmp(name, "--help") == 0) {
        if (c->cmd)
            print_command_help(stdout, c->cmd);
        else
            print_main_help(stdout);
        return -1;
    }
    if (strcmp(name, "--server") == 0) {
        if (strncmp(t->val, "http://", 7) != 0 && strncmp(t->val, "https://", 8) != 0)
            return gt_cli_usage(c, "--server: expected a URL like http://HOST:PORT, got '%s'",
                                t->val);
        snprintf(c->server, sizeof c->server, "%s", t->val);
        c->server_given = 1;
    } else if (strcmp(name, "--context") == 0) {
        c->context = t->val;
    } else if (strcmp(name, "--token-file") == 0) {
        c->token_file = t->val;
    } else if (strcmp(name, "--json") == 0) {
        c->json = 1;
    } else if (strcmp(name, "--timeout") == 0) {
        c->timeout_s = (double)t->n / 1000.0;
    }
    return 0;
}

/* The command's arguments without the global options, into out (argv[0] first). Returns 0
 * or an exit code (-1: help was printed). */
static int split_globals(gt_cli *c, int argc, char **argv, char **out, int *outc) {
    gt_opt_args a = {argc, argv, 1};
    gt_error err;
    int n = 0, rc;
    out[n++] = argv[0];
    for (;;) {
        int start = a.i;
        gt_opt_tok t = gt_opt_next(&a, c->cmd->opts, gt_cli_global_opts, &err);
        if (t.kind == GT_TOK_END)
            break;
        if (t.kind == GT_TOK_ERR)
            return gt_cli_opt_error(c, &err);
        if (t.kind == GT_TOK_REST || (t.kind == GT_TOK_ARG && c->cmd->args_end_options))
            a.i = argc;
        if (t.kind == GT_TOK_OPT && is_global(t.opt)) {
            if ((rc = gt_cli_apply_global(c, &t)) != 0)
                return rc;
            continue;
        }
        for (int i = start; i < a.i; i++)
            out[n++] = argv[i];
    }
    out[n] = NULL;
    *outc = n;
    return 0;
}

static void cli_init(gt_cli *c) {
    memset(c, 0, sizeof *c);
    const char *env = getenv(GT_CLI_ENV_SERVER);
    snprintf(c->server, sizeof c->server, "%s", env && *env ? env : GT_CLI_DEFAULT_SERVER);
    c->server_given = env && *env;
    c->timeout_s = 30;
    gt_sb_init(&c->last.body);
}

/* The global options before the command, then the command's name at argv[*i - 1]. */
static int read_leading_globals(gt_cli *c, gt_opt_args *a) {
    gt_error err;
    for (;;) {
        gt_opt_tok t = gt_opt_next(a, gt_cli_global_opts, NULL, &err);
        if (t.kind == GT_TOK_ARG)
            return 0;
        if (t.kind == GT_TOK_ERR)
            return gt_cli_opt_error(c, &err);
        if (t.kind != GT_TOK_OPT)
            return gt_cli_usage(c, "no command given");
        int rc = gt_cli_apply_global(c, &t);
        if (rc != 0)
            return rc;
    }
}

static int run(gt_cli *c, int argc, char **argv) {
    gt_opt_args a = {argc, argv, 1};
    int rc = read_leading_globals(c, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    int at = a.i - 1;
    if (!(c->cmd = gt_cli_find_command(argv[at])))
        return gt_cli_usage(c, "unknown command '%s'", argv[at]);
    char **args = calloc((size_t)(argc - at + 1), sizeof *args);
    int n = 0;
    if (!args)
        return gt_err_exit(GT_E_NOMEM);
    rc = split_globals(c, argc - at, argv + at, args, &n);
    if (rc == 0)
        rc = c->cmd->fn(c, n, args);
    free(args);
    return rc < 0 ? 0 : rc;
}

int gt_cli_main(int argc, char **argv) {
    gt_cli c;
    cli_init(&c);
    int rc = run(&c, argc, argv);
    gt_cli_http_resp_free(&c.last);
    gt_cli_http_free(c.http);
    fflush(stdout);
    return rc;
}
