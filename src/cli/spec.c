/* SPDX-License-Identifier: MIT
 * `gantry submit`: its option table, and options + spec file -> the job document.
 *
 * Design notes
 *  1. Each option that sets a field of the job spec names it in the table (`key`); the
 *     option's type (opts.h) says how its text becomes a JSON value. Options override the
 *     file's fields; repeating an option keeps the last value (--env accumulates).
 *  2. --tasks implies kind tasks and --replicas kind serve, unless a kind is given.
 *  3. workdir defaults to the current directory only for a job with a command: a job spec
 *     without one (an emulated run, or a dry run of an example) goes out exactly as written.
 *  4. Validation is the core's gt_jobspec_parse_json on the final document; its messages
 *     are the controller's.
 *  5. The job spec has no node count: -N/--nodes (sbatch's) becomes gpus_per_node = gpus / N
 *     once the document is whole (gpus may come from the file), checked here so that the
 *     message names the option. A job without GPUs, or a task, runs on one node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/script.h"
#include "cli/spec.h"
#include "core/jobspec.h"
#include "core/logpath.h"
#include "core/workflow.h"

#define NODE_GPUS_MAX 32 /* the largest node the job spec accepts (src/core/jobspec.c) */

static const char *const kinds[] = {"train", "serve", "tasks", NULL};
static const char *const prios[] = {"low", "normal", "high", "critical", NULL};

#define TIME_MAX GT_SPEC_MAX_TIME_S
const gt_opt gt_cli_submit_opts[] = {
    {"--name", 'J', GT_OPT_STRING, "NAME", "a label for people", 0, 0, NULL, "name"},
    {"--tenant", 0, GT_OPT_STRING, "TENANT", "who pays (default: the token's tenant)", 0, 0, NULL,
     "tenant"},
    {"--kind", 0, GT_OPT_CHOICE, "KIND", "train (one gang), serve (replicas), tasks (an array)", 0,
     0, kinds, "kind"},
    {"--priority", 0, GT_OPT_CHOICE, "PRIO", "low, normal (default), high or critical", 0, 0, prios,
     "priority"},
    {"--gpus", 'G', GT_OPT_INT, "N", "GPUs: the whole gang (train), a replica's, a task's", 0,
     GT_SPEC_MAX_GPUS, NULL, "gpus"},
    {"--nodes", 'N', GT_OPT_INT, "N", "spread the gang over N nodes (gpus_per_node = gpus / N)", 1,
     GT_SPEC_MAX_GPUS, NULL, NULL},
    {"--gpus-per-node", 0, GT_OPT_INT, "N", "GPUs on each node of a gang (default: chosen)", 0,
     NODE_GPUS_MAX, NULL, "gpus_per_node"},
    {"--gpu-model", 0, GT_OPT_STRING, "MODEL", "run only on nodes with this GPU model", 0, 0, NULL,
     "gpu_model"},
    {"--cpus", 'c', GT_OPT_INT, "N", "cores per node (train, serve) or per task", 0,
     GT_SPEC_MAX_CPUS, NULL, "cpus"},
    {"--memory", 0, GT_OPT_SIZE, "SIZE", "memory per node or task: MiB, or 512M, 4G, ...", 0,
     GT_SPEC_MAX_MEM_MB, NULL, "memory_mb"},
    {"--within", 0, GT_OPT_STRING, "LEVEL", "keep the gang inside one node, domain, block, ...", 0,
     0, NULL, "within"},
    {"--dependency", 'd', GT_OPT_STRING, "DEPS",
     "start after other jobs: TYPE:ID[:ID...][,...], TYPE after, afterok, afternotok or "
     "afterany (as sbatch's)",
     0, 0, NULL, "depends_on"},
    {"--max-running", 0, GT_OPT_INT, "N", "run at most N tasks of the array at once", 1,
     GT_SPEC_MAX_TASKS, NULL, "max_running"},
    {"--tasks", 'n', GT_OPT_STRING, "N[%M]",
     "a task array of N tasks (or 0-K, as sbatch's --array), at most M running at once (implies "
     "--kind tasks)",
     0, 0, NULL, "tasks"},
    {"--replicas", 0, GT_OPT_RANGE, "MIN[:MAX]", "replicas of a service (implies --kind serve)", 1,
     GT_SPEC_MAX_REPLICAS, NULL, "replicas"},
    {"--time", 't', GT_OPT_TIME, "TIME", "time limit as sbatch's: minutes, HH:MM:SS, D-HH:MM, ...",
     0, TIME_MAX, NULL, "time_limit_s"},
    {"--time-limit", 0, GT_OPT_DURATION, "DURATION", "stop a unit after this long (90, 30m, 2h)", 0,
     TIME_MAX, NULL, "time_limit_s"},
    {"--estimate", 0, GT_OPT_DURATION, "DURATION", "your guess of the run time, for backfill", 0,
     TIME_MAX, NULL, "estimate_s"},
    {"--duration", 0, GT_OPT_DURATION, "DURATION", "how long emulated nodes 'run' a unit", 0,
     TIME_MAX, NULL, "duration_s"},
    {"--workdir", 0, GT_OPT_STRING, "DIR", "working directory (default: the current one)", 0, 0,
     NULL, "workdir"},
    {"--output", 'o', GT_OPT_STRING, "PATTERN",
     "stdout to this file: %j job id, %t rank, %a task id, %% (relative: to the workdir)", 0, 0,
     NULL, "output"},
    {"--error", 'e', GT_OPT_STRING, "PATTERN", "stderr to this file (as --output)", 0, 0, NULL,
     "error"},
    {"--export", 0, GT_OPT_STRING, "ALL|NONE|VARS",
     "the submitter's variables the job gets: ALL, NONE, or NAME and NAME=VALUE, comma-separated "
     "(default HOME,USER,PATH; env GANTRY_EXPORT)",
     0, 0, NULL, NULL},
    {"--env", 0, GT_OPT_KEYVAL, "K=V", "add K=V to the environment (repeatable)", 0, 0, NULL,
     "env"},
    {"--grace", 0, GT_OPT_DURATION, "DURATION", "time between SIGTERM and SIGKILL (default 10s)", 0,
     TIME_MAX, NULL, "grace_s"},
    {"--user", 0, GT_OPT_STRING, "NAME", "Unix user the ranks run as (admin tokens only)", 0, 0,
     NULL, "user"},
    {"--pids-max", 0, GT_OPT_INT, "N", "most processes and threads per node or task", 1,
     GT_SPEC_MAX_PIDS, NULL, "pids_max"},
    {"--max-restarts", 0, GT_OPT_INT, "N", "start a failed unit again, up to N times", 0,
     GT_SPEC_MAX_RESTARTS, NULL, "max_restarts"},
    {"--dry-run", 0, GT_OPT_SWITCH, NULL, "print the document that would be sent; send nothing", 0,
     0, NULL, NULL},
    {"--idempotency-key", 0, GT_OPT_STRING, "KEY",
     "submit once under this key, however often this is run (default: a new key each run; "
     "either way a try that got no answer is retried with it)",
     0, 0, NULL, NULL},
    {"--file", 'f', GT_OPT_STRING, "FILE",
     "a workflow: named steps, each a job spec, submitted at once (all or none)", 0, 0, NULL, NULL},
    {0},
};

/* Seconds as JSON: an integer when whole, else a real. */
static json_t *seconds(long long ms) {
    return ms % 1000 == 0 ? json_integer(ms / 1000) : json_real((double)ms / 1000.0);
}

/* The JSON value of an option token; NULL when the text is not valid UTF-8. */
static json_t *token_value(const gt_opt_tok *t) {
    switch (t->opt->type) {
    case GT_OPT_INT:
    case GT_OPT_SIZE:
        return json_integer(t->n);
    case GT_OPT_DURATION:
    case GT_OPT_TIME:
        return seconds(t->n);
    case GT_OPT_CHOICE:
        return json_string(t->opt->choices[t->n]);
    case GT_OPT_RANGE: {
        json_t *r = json_pack("{sI}", "min", (json_int_t)t->n);
        if (r && t->n2 >= 0)
            json_object_set_new(r, "max", json_integer(t->n2));
        return r;
    }
    default:
        return json_string(t->val);
    }
}

/* --env K=V: into req->env, in order. */
static gt_err add_env(gt_cli_submit_req *req, const gt_opt_tok *t, gt_error *err) {
    if (!req->env && !(req->env = json_object()))
        return gt_fail(err, GT_E_NOMEM, NULL, "no memory");
    json_t *v = json_string(t->val + t->n + 1);
    if (!v || json_object_setn_new(req->env, t->val, (size_t)t->n, v) != 0)
        return gt_fail(err, GT_E_INVALID, NULL, "%s: '%s' is not valid UTF-8", t->opt->name,
                       t->val);
    return GT_E_OK;
}

/* A whole number from *p up to a character not a digit, in [lo, hi]; -1 when none or out of
 * range. */
static long long count_at(const char **p, long long lo, long long hi) {
    const char *s = *p;
    long long n = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++)
        if ((n = n * 10 + (*s - '0')) > hi)
            return -1;
    *p = s;
    return n < lo ? -1 : n;
}

/* --tasks N[%M], or 0-K[%M] as sbatch's --array: tasks and max_running fields. */
static gt_err tasks_option(gt_cli_submit_req *req, const char *val, gt_error *err) {
    const char *p = val;
    long long n = count_at(&p, 0, GT_SPEC_MAX_TASKS), m = 0;
    if (n >= 0 && *p == '-') {
        if (n != 0)
            return gt_fail(err, GT_E_INVALID, NULL,
                           "--tasks: a range of task ids starts at 0 (0-K), got '%s'", val);
        p++;
        n = count_at(&p, 0, GT_SPEC_MAX_TASKS - 1);
        n = n >= 0 ? n + 1 : -1;
    }
    if (n < 1)
        return gt_fail(err, GT_E_INVALID, NULL,
                       "--tasks: want N (1 to %d) or 0-K, then %%M for at most M at once, got '%s'",
                       GT_SPEC_MAX_TASKS, val);
    if (*p == '%') {
        p++;
        if ((m = count_at(&p, 1, GT_SPEC_MAX_TASKS)) < 0)
            return gt_fail(
                err, GT_E_INVALID, NULL,
                "--tasks: after %% comes how many may run at once (at least 1), got '%s'", val);
        if (m > n)
            return gt_fail(err, GT_E_INVALID, NULL,
                           "--tasks: %%%lld is more than the array's %lld tasks", m, n);
    }
    if (*p)
        return gt_fail(err, GT_E_INVALID, NULL, "--tasks: unexpected '%s' in '%s'", p, val);
    json_object_set_new(req->fields, "tasks", json_integer(n));
    if (m)
        json_object_set_new(req->fields, "max_running", json_integer(m));
    req->implied_kind = "tasks";
    return GT_E_OK;
}

static gt_err apply_option(gt_cli_submit_req *req, const gt_opt_tok *t, gt_error *err) {
    const char *key = t->opt->key;
    char why[300];
    if (!key) { /* the options that set no field: --nodes, --export, --file, --dry-run */
        if (strcmp(t->opt->name, "--file") == 0 && req->file)
            return gt_fail(err, GT_E_INVALID, NULL, "one SPEC_FILE only, got '%s' and '%s'",
                           req->file, t->val);
        if (strcmp(t->opt->name, "--file") == 0) {
            req->file = t->val;
            req->workflow = 1;
        } else if (strcmp(t->opt->name, "--idempotency-key") == 0) {
            size_t n = strlen(t->val), ok = n >= 1 && n <= 200;
            for (size_t i = 0; i < n; i++)
                ok &= t->val[i] >= 0x21 && t->val[i] <= 0x7e;
            if (!ok)
                return gt_fail(err, GT_E_INVALID, NULL,
                               "--idempotency-key: 1 to 200 visible ASCII characters, got '%s'",
                               t->val);
            req->idem = t->val;
        } else if (strcmp(t->opt->name, "--nodes") == 0)
            req->nodes = (int)t->n;
        else if (strcmp(t->opt->name, "--export") == 0 &&
                 gt_cli_export_check(t->val, why, sizeof why) != 0)
            return gt_fail(err, GT_E_INVALID, NULL, "--export: %s", why);
        else if (strcmp(t->opt->name, "--export") == 0)
            req->export_vars = t->val;
        else
            req->dry_run = 1;
        return GT_E_OK;
    }
    if (t->opt->type == GT_OPT_KEYVAL)
        return add_env(req, t, err);
    if (strcmp(key, "tasks") == 0)
        return tasks_option(req, t->val, err);
    /* a file pattern is checked here, to name the option (or directive) */
    if ((!strcmp(key, "output") || !strcmp(key, "error")) &&
        gt_log_pattern_check(t->val, why, sizeof why) != 0)
        return gt_fail(err, GT_E_INVALID, NULL, "%s: %s", t->opt->name, why);
    json_t *v = token_value(t);
    if (!v)
        return gt_fail(err, GT_E_INVALID, NULL, "%s: '%s' is not valid UTF-8", t->opt->name,
                       t->val);
    if (strcmp(key, "replicas") == 0)
        req->implied_kind = "serve";
    json_object_set_new(req->fields, key, v);
    return GT_E_OK;
}

static gt_err take_command(gt_cli_submit_req *req, gt_opt_args *a, gt_error *err) {
    if (a->i >= a->argc)
        return gt_fail(err, GT_E_INVALID, NULL, "nothing after '--': give the command to run");
    req->command = json_array();
    for (; a->i < a->argc; a->i++) {
        json_t *s = json_string(a->argv[a->i]);
        if (!s)
            return gt_fail(err, GT_E_INVALID, NULL, "command: '%s' is not valid UTF-8",
                           a->argv[a->i]);
        json_array_append_new(req->command, s);
    }
    return GT_E_OK;
}

/* Where parse_args is: the command line up to SPEC_FILE, the arguments after a spec file
 * (more options), or a #GANTRY directive (options only). */
enum { P_ARGV, P_REST, P_WORDS };

static gt_err positional(gt_cli_submit_req *req, gt_opt_args *a, const char *val, int mode,
                         gt_error *err) {
    if (mode == P_WORDS)
        return gt_fail(err, GT_E_INVALID, NULL,
                       "unexpected argument '%s' (a directive holds options only)", val);
    if (req->file)
        return gt_fail(err, GT_E_INVALID, NULL,
                       "one SPEC_FILE only, got '%s' and '%s' (put a command after '--')",
                       req->file, val);
    req->file = val;
    req->rest = *a; /* a script's own arguments, or more options (gt_cli_submit_rest) */
    a->i = a->argc;
    return GT_E_OK;
}

static int is_submit_opt(const gt_opt *o) {
    for (const gt_opt *s = gt_cli_submit_opts; s->name; s++)
        if (s == o)
            return 1;
    return 0;
}

/* An option of the `more` table, kept for the caller (gt_cli_submit_rest). */
static gt_err keep_more(gt_cli_submit_req *req, const gt_opt_tok *t, gt_error *err) {
    if (req->nmore == (int)(sizeof req->more / sizeof req->more[0]))
        return gt_fail(err, GT_E_INVALID, NULL, "too many options after SPEC_FILE ('%s')",
                       t->opt->name);
    req->more[req->nmore++] = *t;
    return GT_E_OK;
}

static gt_err parse_args(gt_cli_submit_req *req, gt_opt_args *a, int mode, const gt_opt *more,
                         gt_error *err) {
    for (;;) {
        gt_opt_tok t = gt_opt_next(a, gt_cli_submit_opts, more, err);
        gt_err e = GT_E_OK;
        switch (t.kind) {
        case GT_TOK_END:
            return GT_E_OK;
        case GT_TOK_ERR:
            return err ? err->code : GT_E_INVALID;
        case GT_TOK_REST:
            if (mode == P_WORDS)
                return gt_fail(err, GT_E_INVALID, NULL, "'--' has no place in a directive");
            return take_command(req, a, err);
        case GT_TOK_ARG:
            e = positional(req, a, t.val, mode, err);
            break;
        case GT_TOK_OPT:
            if (mode == P_WORDS && !t.opt->key &&
                (!strcmp(t.opt->name, "--dry-run") || !strcmp(t.opt->name, "--file") ||
                 !strcmp(t.opt->name, "--idempotency-key")))
                return gt_fail(err, GT_E_INVALID, NULL, "%s: only on the command line",
                               t.opt->name);
            e = is_submit_opt(t.opt) ? apply_option(req, &t, err) : keep_more(req, &t, err);
            break;
        }
        if (e)
            return e;
    }
}

gt_err gt_cli_submit_parse(int argc, char **argv, gt_cli_submit_req *req, gt_error *err) {
    memset(req, 0, sizeof *req);
    req->fields = json_object();
    gt_opt_args a = {argc, argv, 1};
    gt_err e = req->fields ? parse_args(req, &a, P_ARGV, NULL, err)
                           : gt_fail(err, GT_E_NOMEM, NULL, "no memory");
    if (e)
        gt_cli_submit_req_free(req);
    return e;
}

gt_err gt_cli_submit_rest(gt_cli_submit_req *req, const char *text, size_t len, const gt_opt *more,
                          gt_error *err) {
    if (req->rest.i >= req->rest.argc || gt_cli_is_script(text, len))
        return GT_E_OK;
    gt_opt_args a = req->rest;
    req->rest.i = req->rest.argc;
    return parse_args(req, &a, P_REST, more, err);
}

gt_err gt_cli_submit_words(gt_cli_submit_req *req, int argc, char **argv, gt_error *err) {
    gt_opt_args a = {argc, argv, 1};
    return parse_args(req, &a, P_WORDS, NULL, err);
}

void gt_cli_submit_req_free(gt_cli_submit_req *req) {
    json_decref(req->fields);
    json_decref(req->env);
    json_decref(req->command);
    memset(req, 0, sizeof *req);
}

/* ---- the document --------------------------------------------------------------------- */

static int is_yaml(const char *file, const char *text, size_t len) {
    size_t n = file ? strlen(file) : 0;
    if (n >= 5 && strcmp(file + n - 5, ".yaml") == 0)
        return 1;
    if (n >= 4 && strcmp(file + n - 4, ".yml") == 0)
        return 1;
    if (file && strcmp(file, "-") == 0) {
        size_t i = 0;
        while (i < len && strchr(" \t\r\n", text[i]))
            i++;
        return i == len || text[i] != '{';
    }
    return 0;
}

static json_t *load_file(const char *file, const char *where, const char *text, size_t len,
                         gt_error *err) {
    json_t *doc;
    if (is_yaml(file, text, len)) {
        doc = gt_cli_yaml_to_json(text, len, where, err);
    } else {
        json_error_t je;
        doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!doc) {
            char loc[160];
            snprintf(loc, sizeof loc, "%s:%d:%d", where, je.line, je.column);
            gt_fail(err, GT_E_PARSE, loc, "%s", je.text);
            return NULL;
        }
    }
    if (doc && !json_is_object(doc)) {
        json_decref(doc);
        gt_fail(err, GT_E_INVALID, where, "expected a JSON object");
        return NULL;
    }
    return doc;
}

/* DIR made absolute against cwd ("." is cwd itself). */
static json_t *absolute(const char *dir, const char *cwd) {
    if (dir[0] == '/' || !cwd)
        return json_string(dir);
    if (strcmp(dir, ".") == 0)
        return json_string(cwd);
    if (strncmp(dir, "./", 2) == 0)
        dir += 2;
    char path[4096];
    snprintf(path, sizeof path, "%s%s%s", cwd, cwd[strlen(cwd) - 1] == '/' ? "" : "/", dir);
    return json_string(path);
}

/* Options, kind, command, env and workdir onto the file's fields. */
static void merge(json_t *doc, const gt_cli_submit_req *req, const char *cwd) {
    json_object_update(doc, req->fields);
    if (req->implied_kind && !json_object_get(doc, "kind"))
        json_object_set_new(doc, "kind", json_string(req->implied_kind));
    if (req->command)
        json_object_set(doc, "command", req->command);
    if (req->env) {
        json_t *env = json_object_get(doc, "env");
        if (json_is_object(env))
            json_object_update(env, req->env);
        else
            json_object_set(doc, "env", req->env);
    }
    const char *wd = json_string_value(json_object_get(req->fields, "workdir"));
    if (wd)
        json_object_set_new(doc, "workdir", absolute(wd, cwd));
    else if (cwd && json_object_get(doc, "command") && !json_object_get(doc, "workdir"))
        json_object_set_new(doc, "workdir", json_string(cwd));
}

/* -N/--nodes into gpus_per_node (note 5): n nodes, asked for by the layer `own` (the
 * command line's options or the script's directives) with its own gpus_per_node if any. */
static gt_err apply_nodes(json_t *doc, long long n, const json_t *own, const char *where,
                          gt_error *err) {
    json_t *g = json_object_get(doc, "gpus"), *gpn = json_object_get(own, "gpus_per_node");
    long long gpus = json_is_integer(g) ? (long long)json_integer_value(g) : 1;
    long long per = gpn ? (long long)json_integer_value(gpn) : 0;
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    int one_node = gpus == 0 || (kind && strcmp(kind, "tasks") == 0);
    char why[160] = "";
    if (n == 0 || (n == 1 && one_node))
        return GT_E_OK;
    if (one_node)
        snprintf(why, sizeof why, "a task, or a job without GPUs, runs on one node, got %lld", n);
    else if (gpus % n != 0)
        snprintf(why, sizeof why, "%lld does not divide gpus (%lld)", n, gpus);
    else if (gpn && per * n != gpus)
        snprintf(why, sizeof why, "%lld nodes of --gpus-per-node %lld are not gpus (%lld)", n, per,
                 gpus);
    else if (gpus / n > NODE_GPUS_MAX)
        snprintf(why, sizeof why, "gpus (%lld) on %lld nodes is more than %d GPUs a node", gpus, n,
                 NODE_GPUS_MAX);
    if (why[0])
        return gt_fail(err, GT_E_INVALID, where, "--nodes: %s", why);
    json_object_set_new(doc, "gpus_per_node", json_integer(gpus / n));
    return GT_E_OK;
}

/* A batch script's layer under the options (script.h): its directives' fields (into *d),
 * the command that runs it, and its file name as the job's name. */
static json_t *script_doc(const gt_cli_submit_req *req, const char *text, size_t len,
                          const char *where, const char *cwd, gt_cli_submit_req *d, gt_error *err) {
    const char *base = strrchr(where, '/') ? strrchr(where, '/') + 1 : where;
    const gt_opt_args *r = &req->rest;
    if (gt_cli_script_directives(text, len, where, d, err))
        return NULL;
    json_t *cmd =
        gt_cli_script_command(text, len, where, base, r->argv + r->i, r->argc - r->i, err);
    if (!cmd)
        return NULL;
    json_t *doc = json_copy(d->fields);
    if (!doc) {
        json_decref(cmd);
        gt_fail(err, GT_E_NOMEM, where, "out of memory");
        return NULL;
    }
    json_object_set_new(doc, "command", cmd);
    if (d->env)
        json_object_set(doc, "env", d->env);
    if (d->implied_kind && !json_object_get(doc, "kind"))
        json_object_set_new(doc, "kind", json_string(d->implied_kind));
    const char *wd = json_string_value(json_object_get(d->fields, "workdir"));
    if (wd)
        json_object_set_new(doc, "workdir", absolute(wd, cwd));
    if (!json_object_get(doc, "name") && strcmp(where, "stdin") != 0) {
        json_t *n = json_string(base); /* NULL: the name is not UTF-8 (the job goes unnamed) */
        if (n)
            json_object_set_new(doc, "name", n);
    }
    return doc;
}

/* The file's layer: a job spec, a batch script (into *d), or nothing. */
static json_t *file_doc(const gt_cli_submit_req *req, const char *text, size_t len,
                        const char *where, const char *cwd, gt_cli_submit_req *d, gt_error *err) {
    if (!text)
        return json_object();
    if (gt_cli_is_script(text, len))
        return script_doc(req, text, len, where, cwd, d, err);
    return load_file(req->file, where, text, len, err);
}

static gt_err check_spec(json_t *doc, const char *where, gt_error *err);
static gt_err apply_nodes(json_t *doc, long long n, const json_t *own, const char *where,
                          gt_error *err);

int gt_cli_is_workflow(const json_t *doc) {
    return json_object_get(doc, "steps") != NULL;
}

/* A workflow: the options apply to every step (as to a job spec file's fields), then the
 * whole is checked as the controller will (core/workflow.h), errors located in the file. */
static gt_err workflow_doc(json_t *doc, const gt_cli_submit_req *req, const char *where,
                           const char *cwd, gt_error *err) {
    const char *k;
    json_t *v, *docs = NULL, *names = NULL;
    if (req->command)
        return gt_fail(err, GT_E_INVALID, where,
                       "a workflow's steps have their own commands: nothing goes after '--'");
    if (json_object_get(req->fields, "depends_on") || json_object_get(req->fields, "name"))
        return gt_fail(err, GT_E_INVALID, where,
                       "a workflow's steps have their own %s: put it in the steps",
                       json_object_get(req->fields, "name") ? "names (-J)" : "dependencies (-d)");
    json_object_foreach(json_object_get(doc, "steps"), k, v) {
        if (!json_is_object(v))
            continue; /* the plan says what is wrong */
        merge(v, req, cwd);
        gt_err e = req->nodes ? apply_nodes(v, req->nodes, req->fields, NULL, err) : GT_E_OK;
        if (e)
            return e;
    }
    gt_err e = gt_workflow_plan(doc, GT_WORKFLOW_ANY_HEAD, &docs, &names, err);
    json_decref(docs);
    json_decref(names);
    if (e) {
        char at[sizeof err->where];
        snprintf(at, sizeof at, "%.60s: %.60s", where, err->where);
        memcpy(err->where, at, sizeof at);
    }
    return e;
}

gt_err gt_cli_submit_doc(const gt_cli_submit_req *req, const char *text, size_t len,
                         const char *cwd, json_t **out, gt_error *err) {
    const char *where = !req->file ? NULL : strcmp(req->file, "-") == 0 ? "stdin" : req->file;
    gt_cli_submit_req d = {0}; /* a script's directives */
    *out = NULL;
    json_t *doc = file_doc(req, text, len, where ? where : "spec", cwd, &d, err);
    gt_err e = doc ? GT_E_OK : err ? err->code : GT_E_INVALID;
    if (doc && (req->workflow || gt_cli_is_workflow(doc))) {
        e = gt_cli_is_workflow(doc) ? workflow_doc(doc, req, where, cwd, err)
                                    : gt_fail(err, GT_E_INVALID, where,
                                              "not a workflow (it has no steps): a job spec "
                                              "goes without -f");
        if (e)
            json_decref(doc);
        *out = e ? NULL : doc;
        gt_cli_submit_req_free(&d);
        return e;
    }
    if (doc) {
        merge(doc, req, cwd);
        if (req->nodes)
            e = apply_nodes(doc, req->nodes, req->fields, NULL, err);
        else if (d.nodes && !json_object_get(req->fields, "gpus_per_node"))
            e = apply_nodes(doc, d.nodes, d.fields, where, err);
    }
    json_t *roles = NULL; /* a service of several roles: each role's document is checked */
    if (!e && (json_object_get(doc, "roles") || json_object_get(doc, "ratio"))) {
        e = gt_jobspec_roles(doc, where ? where : "spec", &roles, err);
        json_decref(roles);
    } else if (!e) {
        e = check_spec(doc, where, err);
    }
    gt_cli_submit_req_free(&d);
    if (e) {
        json_decref(doc);
        return e;
    }
    *out = doc;
    return GT_E_OK;
}

/* The document as the core reads it (its messages name the field). */
static gt_err check_spec(json_t *doc, const char *where, gt_error *err) {
    char *dumped = json_dumps(doc, JSON_COMPACT);
    gt_jobspec spec;
    gt_err e = dumped ? gt_jobspec_parse_json(dumped, strlen(dumped), where, &spec, err)
                      : gt_fail(err, GT_E_NOMEM, NULL, "no memory");
    free(dumped);
    return e;
}
