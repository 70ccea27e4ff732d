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

int gt_cli_cmd_cancel(gt_cli *c, int argc, char **argv) {
    int rc = gt_cli_nargs(c, argc, argv, 1, 1 << 20, "ID");
    return rc ? rc : act(c, argc, argv, "cancel", "cancel requested");
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
