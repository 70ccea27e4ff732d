/* SPDX-License-Identifier: MIT
 * gantry show, cancel, hold, release: one job at a time.
 *
 * Design notes
 *  1. The actions are one table row each (path suffix, what to say); cancel takes several
 *     ids and goes on after a failure, returning the first failure's exit code.
 *  2. Every id is checked before the first request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/fmt.h"
#include "cli/view.h"
#include "util/parse.h"

int gt_cli_cmd_show(gt_cli *c, int argc, char **argv) {
    long long id;
    int rc = gt_cli_nargs(c, argc, argv, 1, 1, "ID");
    if (rc || (rc = gt_cli_job_id(c, argv[1], &id)))
        return rc;
    char path[64];
    json_t *job = NULL;
    snprintf(path, sizeof path, "/v1/jobs/%lld", id);
    rc = gt_cli_request(c, "GET", path, NULL, &job);
    if (rc == 0 && c->json) {
        gt_cli_print_last(c);
    } else if (rc == 0) {
        gt_sb b;
        gt_sb_init(&b);
        gt_cli_show_job(&b, job, gt_cli_now());
        fputs(gt_sb_str(&b), stdout);
        gt_sb_free(&b);
    }
    json_decref(job);
    return rc;
}

/* POST /v1/jobs/ID/ACTION for each id; with --json one {"jobs": [...]} document. */
static int act(gt_cli *c, int argc, char **argv, const char *action, const char *done) {
    long long *ids = calloc((size_t)argc, sizeof *ids);
    int rc = ids ? 0 : gt_err_exit(GT_E_NOMEM), first = 0;
    for (int i = 1; rc == 0 && i < argc; i++)
        rc = gt_cli_job_id(c, argv[i], &ids[i]);
    json_t *answers = json_array();
    for (int i = 1; rc == 0 && i < argc; i++) {
        char path[96];
        json_t *job = NULL;
        snprintf(path, sizeof path, "/v1/jobs/%lld/%s", ids[i], action);
        int r = gt_cli_request(c, "POST", path, NULL, &job);
        if (r == 0 && !c->json)
            printf("job %lld: %s (%s)\n", ids[i], done, gt_cli_jstr(job, "state", "-"));
        if (r == 0)
            json_array_append_new(answers, job);
        first = first ? first : r;
    }
    if (rc == 0 && c->json) {
        json_t *doc = json_pack("{sO}", "jobs", answers);
        gt_cli_print_json(doc);
        json_decref(doc);
    }
    json_decref(answers);
    free(ids);
    return rc ? rc : first;
}

const gt_opt gt_cli_cancel_opts[] = {
    {"--task", 0, GT_OPT_STRING, "RANGES",
     "cancel only these tasks of one task array: N, N-M or a list (0,3,17-40); also written "
     "ID_RANGES or ID_[RANGES] as scancel takes them",
     0, 0, NULL, NULL},
    {0},
};

/* POST /v1/jobs/ID/cancel {"tasks": RANGES}: the answer is the job, its counts updated. */
static int cancel_tasks(gt_cli *c, const char *idtext, const char *ranges) {
    long long id;
    uint32_t rg[64][2];
    size_t n;
    const char *why;
    int rc = gt_cli_job_id(c, idtext, &id);
    if (rc)
        return rc;
    if (gt_parse_ranges(ranges, rg, 64, &n, &why))
        return gt_cli_usage(c, "task ranges: %s, got '%s'", why, ranges);
    json_t *b = json_pack("{s:s}", "tasks", ranges), *job = NULL;
    char *body = b ? json_dumps(b, JSON_COMPACT) : NULL, path[96];
    json_decref(b);
    if (!body)
        return gt_err_exit(GT_E_NOMEM);
    snprintf(path, sizeof path, "/v1/jobs/%lld/cancel", id);
    rc = gt_cli_request(c, "POST", path, body, &job);
    free(body);
    if (rc == 0 && c->json) {
        gt_cli_print_last(c);
    } else if (rc == 0) {
        json_t *u = json_object_get(job, "units");
        printf("job %lld: tasks %s cancelled (%lld of %lld tasks cancelled in all; %s)\n", id,
               ranges, (long long)json_integer_value(json_object_get(u, "cancelled")),
               (long long)json_integer_value(json_object_get(u, "total")),
               gt_cli_jstr(job, "state", "-"));
    }
    json_decref(job);
    return rc;
}

/* gantry cancel ID... | ID --task RANGES | ID_RANGES | ID_[RANGES] */
int gt_cli_cmd_cancel(gt_cli *c, int argc, char **argv) {
    gt_opt_args a = {argc, argv, 1};
    gt_error err;
    const char *tasks = NULL;
    char **ids = calloc((size_t)argc + 1, sizeof *ids);
    if (!ids)
        return gt_err_exit(GT_E_NOMEM);
    int n = 0, rc = 0;
    ids[n++] = argv[0];
    for (gt_opt_tok t;
         rc == 0 && (t = gt_opt_next(&a, gt_cli_cancel_opts, NULL, &err)).kind != GT_TOK_END;) {
        if (t.kind == GT_TOK_ERR)
            rc = gt_cli_usage(c, "%s", err.msg);
        else if (t.kind == GT_TOK_OPT && tasks)
            rc = gt_cli_usage(c, "--task: give it once (a list goes in one: 0,3,17-40)");
        else if (t.kind == GT_TOK_OPT)
            tasks = t.val;
        else if (t.kind == GT_TOK_ARG)
            ids[n++] = (char *)t.val;
        else
            rc = gt_cli_usage(c, "unexpected argument '--'");
    }
    char *under = NULL;
    for (int i = 1; i < n && !under; i++)
        under = strchr(ids[i], '_');
    if (rc == 0 && n < 2)
        rc = gt_cli_usage(c, "missing ID");
    else if (rc == 0 && (tasks || under) && n != 2)
        rc = gt_cli_usage(c, "task ranges: one task array at a time");
    else if (rc == 0 && tasks && under)
        rc = gt_cli_usage(c, "give the tasks once: --task RANGES or ID_RANGES");
    if (rc == 0 && under) { /* 12_17-40 or 12_[17-40] */
        size_t len = strlen(under + 1);
        int br = under[1] == '[' && len >= 2 && under[len] == ']';
        char *idtext = strndup(ids[1], (size_t)(under - ids[1]));
        char *rg = strndup(under + 1 + br, br ? len - 2 : len);
        rc = idtext && rg ? cancel_tasks(c, idtext, rg) : gt_err_exit(GT_E_NOMEM);
        free(idtext);
        free(rg);
    } else if (rc == 0 && tasks) {
        rc = cancel_tasks(c, ids[1], tasks);
    } else if (rc == 0) {
        rc = act(c, n, ids, "cancel", "cancel requested");
    }
    free(ids);
    return rc;
}

/* hold and release take one id and print the job itself with --json. */
static int one(gt_cli *c, int argc, char **argv, const char *action, const char *done) {
    long long id;
    int rc = gt_cli_nargs(c, argc, argv, 1, 1, "ID");
    if (rc || (rc = gt_cli_job_id(c, argv[1], &id)))
        return rc;
    char path[96];
    json_t *job = NULL;
    snprintf(path, sizeof path, "/v1/jobs/%lld/%s", id, action);
    rc = gt_cli_request(c, "POST", path, NULL, &job);
    if (rc == 0 && c->json)
        gt_cli_print_last(c);
    else if (rc == 0)
        printf("job %lld: %s (%s)\n", id, done, gt_cli_jstr(job, "state", "-"));
    json_decref(job);
    return rc;
}

int gt_cli_cmd_hold(gt_cli *c, int argc, char **argv) {
    return one(c, argc, argv, "hold", "held");
}

int gt_cli_cmd_release(gt_cli *c, int argc, char **argv) {
    return one(c, argc, argv, "release", "released");
}
