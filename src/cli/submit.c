/* SPDX-License-Identifier: MIT
 * gantry submit: options and/or a spec file -> POST /v1/jobs (a workflow: /v1/workflows).
 *
 * Design notes
 *  1. Everything that can be checked here is checked before any request: the options,
 *     the file, the whole document (spec.c, with the core's parser).
 *  2. On success stdout holds the job id alone (`id=$(gantry submit ...)`), or with --json
 *     the controller's job object.
 *  3. A job with neither a command nor duration_s has nothing to run and the controller
 *     refuses it; we say so first, with what to add. --dry-run prints the document anyway,
 *     since a spec may be written for the simulator.
 *  4. What follows SPEC_FILE is read once the file is: a batch script's arguments (as
 *     sbatch takes them), or more options after a job spec (spec.h).
 *  5. The job gets the submitter's HOME, USER and PATH, or what --export (GANTRY_EXPORT)
 *     names, under its spec's env (export.c).
 *  6. A job that names no tenant (--tenant, the spec, a directive) gets the context's, if
 *     the context has one (context.c); --dry-run shows it.
 *  7. A workflow (-f FILE, or a spec file with steps) goes to POST /v1/workflows whole:
 *     the options, the context's tenant and the exported variables apply to each step;
 *     stdout gets "STEP JOB_ID" per step, in the order submitted (each after the steps it
 *     waits on). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/spec.h"

#define MAX_SPEC_BYTES (1 << 20)

extern char **environ;

char *gt_cli_slurp(const char *path, size_t *len, const char **why) {
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        *why = strerror(errno);
        return NULL;
    }
    char *buf = malloc(MAX_SPEC_BYTES + 2);
    size_t n = buf ? fread(buf, 1, MAX_SPEC_BYTES + 1, f) : 0;
    *why = !buf                 ? "out of memory"
           : ferror(f)          ? strerror(errno)
           : n > MAX_SPEC_BYTES ? "larger than 1 MiB"
                                : NULL;
    if (!is_stdin)
        fclose(f);
    if (*why) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* The context's tenant for a job that names none (context.c); 0 or an exit code. */
static int context_tenant(gt_cli *c, json_t *doc) {
    int rc = gt_cli_context_apply(c);
    if (rc == 0 && c->ctx_tenant[0] && !json_object_get(doc, "tenant"))
        json_object_set_new(doc, "tenant", json_string(c->ctx_tenant));
    return rc;
}

/* The submitter's variables into the job's env (export.c): --export, else GANTRY_EXPORT. */
static int export_env(const gt_cli_submit_req *req, json_t *doc) {
    char why[300];
    const char *spec = req->export_vars ? req->export_vars : getenv(GT_CLI_ENV_EXPORT);
    if (!req->export_vars && spec && *spec && gt_cli_export_check(spec, why, sizeof why) != 0) {
        gt_cli_say("%s: %s", GT_CLI_ENV_EXPORT, why);
        return GT_CLI_EXIT_USAGE;
    }
    if (gt_cli_export_apply(spec, environ, doc, why, sizeof why) != 0) {
        gt_cli_say("%s", why);
        return GT_CLI_EXIT_USAGE;
    }
    return 0;
}

/* The document to send, or an exit code. */
static int build(gt_cli *c, gt_cli_submit_req *req, json_t **doc) {
    char *text = NULL, cwd[4096];
    size_t len = 0;
    const char *why;
    gt_error err;
    if (req->file && !(text = gt_cli_slurp(req->file, &len, &why)))
        return gt_cli_usage(c, "cannot read '%s' (%s)", req->file, why);
    int rc = 0;
    if (gt_cli_submit_rest(req, text, len, gt_cli_global_opts, &err) != GT_E_OK)
        rc = gt_cli_opt_error(c, &err);
    for (int i = 0; rc == 0 && i < req->nmore; i++)
        rc = gt_cli_apply_global(c, &req->more[i]);
    if (rc != 0) {
        free(text);
        return rc;
    }
    gt_err e = gt_cli_submit_doc(req, text, len, getcwd(cwd, sizeof cwd), doc, &err);
    free(text);
    if (e) {
        char msg[512];
        gt_cli_say("%s", gt_error_str(&err, msg, sizeof msg));
        return gt_err_exit(e);
    }
    if (!gt_cli_is_workflow(*doc)) {
        rc = context_tenant(c, *doc);
        return rc ? rc : export_env(req, *doc);
    }
    const char *k;
    json_t *step;
    json_object_foreach(json_object_get(*doc, "steps"), k, step) {
        rc = context_tenant(c, step);
        if (rc == 0 && json_object_get(step, "command"))
            rc = export_env(req, step);
        if (rc)
            return rc;
    }
    return 0;
}

/* A workflow (note 7): one line per step, "STEP JOB_ID", in the order submitted. */
static int send_workflow(gt_cli *c, const json_t *doc) {
    char *body = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_t *ans = NULL;
    int rc =
        body ? gt_cli_request(c, "POST", "/v1/workflows", body, &ans) : gt_err_exit(GT_E_NOMEM);
    free(body);
    if (rc == 0 && c->json) {
        gt_cli_print_last(c);
    } else if (rc == 0) {
        json_t *jobs = json_object_get(ans, "jobs"), *ids = json_object_get(ans, "steps");
        for (size_t i = 0; i < json_array_size(jobs); i++) {
            long long id = json_integer_value(json_object_get(json_array_get(jobs, i), "id"));
            const char *k;
            json_t *v;
            json_object_foreach(ids, k, v) {
                if (json_integer_value(v) == id)
                    printf("%s %lld\n", k, id);
            }
        }
    }
    json_decref(ans);
    return rc;
}

/* A new Idempotency-Key: 32 hex digits from the kernel's random source. */
static int new_key(char *key, size_t size) {
    unsigned char r[16];
    FILE *f = fopen("/dev/urandom", "rb");
    int ok = f && fread(r, 1, sizeof r, f) == sizeof r;
    if (f)
        fclose(f);
    for (size_t i = 0; ok && i < sizeof r && 2 * i + 2 < size; i++)
        snprintf(key + 2 * i, 3, "%02x", r[i]);
    return ok;
}

#define SUBMIT_TRIES 3

/* POST /v1/jobs under an Idempotency-Key (the given one, else a new one), again with the
 * same key after a try that got no answer or a 502-504 (the job is made once however many
 * tries arrived). A service of several roles (keyed 0) takes no key: one try. */
static int post_job(gt_cli *c, const char *body, int keyed, const char *given, json_t **job) {
    char key[256] = "", line[300];
    if (!keyed)
        return gt_cli_request(c, "POST", "/v1/jobs", body, job);
    if (given)
        snprintf(key, sizeof key, "%s", given); /* (checked: at most 200 characters) */
    else if (!new_key(key, sizeof key))
        key[0] = 0; /* no random source: a job without a key, as before */
    int rc = gt_cli_open(c);
    if (rc != 0)
        return rc;
    snprintf(line, sizeof line, "Idempotency-Key: %s", key);
    if (key[0] && !gt_cli_http_header(c->http, line))
        return gt_err_exit(GT_E_NOMEM);
    for (int try = 1;; try++) {
        rc = gt_cli_request(c, "POST", "/v1/jobs", body, job);
        if (rc != gt_err_exit(GT_E_UNAVAILABLE) || !key[0] || try == SUBMIT_TRIES)
            return rc;
        gt_cli_say("trying again (%d of %d) with the same Idempotency-Key: one job however "
                   "many tries arrived",
                   try + 1, SUBMIT_TRIES);
        sleep((unsigned)try);
    }
}

static int send_job(gt_cli *c, const json_t *doc, const char *idem) {
    if (!json_object_get(doc, "command") && !json_object_get(doc, "duration_s")) {
        gt_cli_say("nothing to run: put the command after '--' (gantry submit --gpus 1 -- "
                   "python3 train.py), or give --duration for emulated nodes");
        return gt_err_exit(GT_E_INVALID);
    }
    char *body = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_t *job = NULL;
    int roles = json_object_get(doc, "roles") != NULL;
    if (roles && idem) {
        free(body);
        gt_cli_say("--idempotency-key: a service of several roles takes no key yet");
        return GT_CLI_EXIT_USAGE;
    }
    int rc = body ? post_job(c, body, !roles, idem, &job) : gt_err_exit(GT_E_NOMEM);
    free(body);
    if (rc == 0) {
        if (c->json)
            gt_cli_print_last(c);
        else
            printf("%lld\n", (long long)json_integer_value(json_object_get(job, "id")));
    }
    json_decref(job);
    return rc;
}

int gt_cli_cmd_submit(gt_cli *c, int argc, char **argv) {
    gt_cli_submit_req req;
    gt_error err;
    if (gt_cli_submit_parse(argc, argv, &req, &err) != GT_E_OK)
        return gt_cli_usage(c, "%s", err.msg);
    json_t *doc = NULL;
    int rc = build(c, &req, &doc);
    if (rc == 0 && req.dry_run)
        gt_cli_print_json(doc);
    else if (rc == 0 && gt_cli_is_workflow(doc) && req.idem)
        rc = gt_cli_usage(c, "--idempotency-key: a workflow takes no key yet");
    else if (rc == 0 && gt_cli_is_workflow(doc))
        rc = send_workflow(c, doc);
    else if (rc == 0)
        rc = send_job(c, doc, req.idem);
    json_decref(doc);
    gt_cli_submit_req_free(&req);
    return rc;
}
