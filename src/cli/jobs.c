/* SPDX-License-Identifier: MIT
 * gantry jobs, show, cancel, hold, release: the job endpoints of docs/api.md.
 *
 * Design notes
 *  1. `jobs` asks for one page (--limit) and says on stderr when there are more; --all
 *     follows `next` and, with --json, merges the pages into one document.
 *  2. Every job id on the command line is checked before the first request. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/fmt.h"
#include "cli/view.h"

static const char *const states[] = {"pending", "running",   "completed",
                                     "failed",  "cancelled", NULL};
static const char *const kinds[] = {"train", "serve", "tasks", NULL};

const gt_cli_opt gt_cli_jobs_opts[] = {
    {"--state", 0, GT_OPT_CHOICE, "STATE", "pending, running, completed, failed or cancelled", 0, 0,
     states, "state"},
    {"--tenant", 0, GT_OPT_STRING, "TENANT", "only this tenant's jobs", 0, 0, NULL, "tenant"},
    {"--kind", 0, GT_OPT_CHOICE, "KIND", "train, serve or tasks", 0, 0, kinds, "kind"},
    {"--limit", 0, GT_OPT_INT, "N", "at most N jobs per page (1..1000, default 100)", 1, 1000, NULL,
     "limit"},
    {"--all", 0, GT_OPT_SWITCH, NULL, "every page, not just the first", 0, 0, NULL, NULL},
    {0},
};

/* The query string from the options (all but --all), into q. */
static int jobs_query(gt_cli *c, int argc, char **argv, gt_sb *q, int *all) {
    gt_cli_args a = {argc, argv, 1};
    gt_error err;
    for (;;) {
        gt_tok t = gt_cli_opt_next(&a, gt_cli_jobs_opts, NULL, &err);
        if (t.kind == GT_TOK_END)
            return 0;
        if (t.kind == GT_TOK_ERR)
            return gt_cli_usage(c, "%s", err.msg);
        if (t.kind != GT_TOK_OPT)
            return gt_cli_usage(c, "unexpected argument '%s'", t.val ? t.val : "--");
        if (!t.opt->key) {
            *all = 1;
            continue;
        }
        gt_sb_printf(q, "%s%s=", q->len ? "&" : "", t.opt->key);
        gt_cli_urlenc(q, t.val);
    }
}

/* Fetch the pages into *jobs (one page unless all); *more says a page was left. */
static int fetch_jobs(gt_cli *c, const char *query, int all, json_t *jobs, int *more) {
    long long after = 0;
    do {
        gt_sb path;
        json_t *page = NULL;
        gt_sb_init(&path);
        gt_sb_printf(&path, "/v1/jobs%s%s", *query ? "?" : "", query);
        if (after)
            gt_sb_printf(&path, "%safter=%lld", *query ? "&" : "?", after);
        int rc = gt_cli_request(c, "GET", gt_sb_str(&path), NULL, &page);
        gt_sb_free(&path);
        if (rc != 0)
            return rc;
        json_array_extend(jobs, json_object_get(page, "jobs"));
        json_t *next = json_object_get(page, "next");
        after = json_is_integer(next) ? (long long)json_integer_value(next) : 0;
        json_decref(page);
    } while (all && after > 0);
    *more = after > 0;
    return 0;
}

int gt_cli_cmd_jobs(gt_cli *c, int argc, char **argv) {
    gt_sb q;
    gt_sb_init(&q);
    int all = 0, more = 0;
    int rc = jobs_query(c, argc, argv, &q, &all);
    json_t *jobs = json_array();
    if (rc == 0)
        rc = fetch_jobs(c, gt_sb_str(&q), all, jobs, &more);
    if (rc == 0 && c->json && !all) {
        gt_cli_print_last(c);
    } else if (rc == 0 && c->json) {
        json_t *doc = json_pack("{sOsn}", "jobs", jobs, "next");
        gt_cli_print_json(doc);
        json_decref(doc);
    } else if (rc == 0) {
        gt_table *t = gt_cli_jobs_table(jobs, gt_cli_now());
        gt_table_print(t);
        gt_table_free(t);
        if (more)
            gt_cli_say("more jobs than shown: use --all, or --limit N");
    }
    json_decref(jobs);
    gt_sb_free(&q);
    return rc;
}
