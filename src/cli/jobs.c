/* SPDX-License-Identifier: MIT
 * gantry jobs: the job list, as squeue shows it.
 *
 * Design notes
 *  1. By default the active jobs (pending, held ones included, and running); --state
 *     names others, --all every state. Each state is one filtered listing of the API,
 *     every page of it (`next`), and the jobs are shown newest first.
 *  2. --me keeps the jobs whose `user` is the token's (GET /v1/whoami): the controller
 *     knows a job's user only when its token is bound to one, or an admin named it.
 *  3. --format picks the columns (jobcols.c); --noheader and --parsable change how the
 *     table is written, not what is in it. --json prints the jobs as one document,
 *     {"jobs": [...], "next": null}, in the same order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/fmt.h"
#include "cli/view.h"

static const char *const kinds[] = {"train", "serve", "tasks", NULL};

/* The API's states, with squeue's codes for them. */
static const struct {
    const char *name, *code;
} states[] = {
    {"pending", "PD"}, {"running", "R"}, {"completed", "CD"}, {"failed", "F"}, {"cancelled", "CA"}};
#define NSTATES (sizeof states / sizeof states[0])
#define ACTIVE (1u << 0 | 1u << 1)
#define EVERY ((1u << NSTATES) - 1)

const gt_opt gt_cli_jobs_opts[] = {
    {"--state", 't', GT_OPT_STRING, "STATES",
     "pending, running, completed, failed, cancelled or all, comma-separated", 0, 0, NULL, NULL},
    {"--all", 0, GT_OPT_SWITCH, NULL, "every state (default: pending and running)", 0, 0, NULL,
     NULL},
    {"--me", 0, GT_OPT_SWITCH, NULL, "only the jobs of the token's Unix user", 0, 0, NULL, NULL},
    {"--tenant", 0, GT_OPT_STRING, "TENANT", "only this tenant's jobs", 0, 0, NULL, "tenant"},
    {"--kind", 0, GT_OPT_CHOICE, "KIND", "train, serve or tasks", 0, 0, kinds, "kind"},
    {"--limit", 0, GT_OPT_INT, "N", "show the newest N jobs only", 1, 1000000000, NULL, NULL},
    {"--format", 'o', GT_OPT_STRING, "COLUMNS",
     "the columns, comma-separated (a wrong name lists them)", 0, 0, NULL, NULL},
    {"--noheader", 0, GT_OPT_SWITCH, NULL, "no header line", 0, 0, NULL, NULL},
    {"--parsable", 0, GT_OPT_SWITCH, NULL, "cells separated by '|', without padding", 0, 0, NULL,
     NULL},
    {0},
};

typedef struct {
    unsigned states; /* bit i: states[i]; 0: not given */
    int all, me, noheader, parsable;
    long long limit; /* 0: every job */
    const char *format;
    gt_sb query; /* tenant=...&kind=... */
} jobs_args;

/* One name of --state: its bits, or 0 when unknown. */
static unsigned state_bits(const char *p, size_t len) {
    if (len == 3 && strncasecmp(p, "all", 3) == 0)
        return EVERY;
    for (size_t i = 0; i < NSTATES; i++)
        if ((strlen(states[i].name) == len && strncasecmp(p, states[i].name, len) == 0) ||
            (strlen(states[i].code) == len && strncasecmp(p, states[i].code, len) == 0))
            return 1u << i;
    return 0;
}

/* "pending,R,all" into a set of states; 0 or a usage error's exit code. */
static int parse_states(gt_cli *c, const char *list, unsigned *set) {
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        unsigned bits = state_bits(p, len);
        if (!bits)
            return gt_cli_usage(c,
                                "--state: unknown state '%.*s' (the states: pending, running, "
                                "completed, failed, cancelled, all; or PD, R, CD, F, CA)",
                                (int)len, p);
        *set |= bits;
        p += len;
        if (!*p)
            return 0;
    }
}

static int apply(gt_cli *c, const gt_opt_tok *t, jobs_args *o) {
    const char *name = t->opt->name;
    if (t->opt->key) {
        gt_sb_printf(&o->query, "%s%s=", o->query.len ? "&" : "", t->opt->key);
        gt_cli_urlenc(&o->query, t->val);
    } else if (strcmp(name, "--state") == 0) {
        return parse_states(c, t->val, &o->states);
    } else if (strcmp(name, "--limit") == 0) {
        o->limit = t->n;
    } else if (strcmp(name, "--format") == 0) {
        o->format = t->val;
    } else if (strcmp(name, "--all") == 0) {
        o->all = 1;
    } else if (strcmp(name, "--me") == 0) {
        o->me = 1;
    } else if (strcmp(name, "--noheader") == 0) {
        o->noheader = 1;
    } else {
        o->parsable = 1;
    }
    return 0;
}

static int parse(gt_cli *c, int argc, char **argv, jobs_args *o) {
    gt_opt_args a = {argc, argv, 1};
    gt_error err;
    for (;;) {
        gt_opt_tok t = gt_opt_next(&a, gt_cli_jobs_opts, NULL, &err);
        if (t.kind == GT_TOK_END)
            return 0;
        if (t.kind == GT_TOK_ERR)
            return gt_cli_usage(c, "%s", err.msg);
        if (t.kind != GT_TOK_OPT)
            return gt_cli_usage(c, "unexpected argument '%s'", t.val ? t.val : "--");
        int rc = apply(c, &t, o);
        if (rc)
            return rc;
    }
}

/* One listing (state: NULL for any) onto jobs, newest first: every page of it, or only
 * until `limit` jobs (0: no limit) came, *cut set when more were left. */
static int fetch(gt_cli *c, const char *query, const char *state, long long limit, json_t *jobs,
                 int *cut) {
    long long after = -1;
    size_t before = json_array_size(jobs);
    do {
        gt_sb path;
        json_t *page = NULL;
        gt_sb_init(&path);
        gt_sb_printf(&path, "/v1/jobs?order=desc&limit=1000%s%s", *query ? "&" : "", query);
        if (state)
            gt_sb_printf(&path, "&state=%s", state);
        if (after >= 0)
            gt_sb_printf(&path, "&after=%lld", after);
        int rc = gt_cli_request(c, "GET", gt_sb_str(&path), NULL, &page);
        gt_sb_free(&path);
        if (rc != 0)
            return rc;
        json_array_extend(jobs, json_object_get(page, "jobs"));
        json_t *next = json_object_get(page, "next");
        after = json_is_integer(next) ? (long long)json_integer_value(next) : -1;
        json_decref(page);
    } while (after >= 0 && (limit == 0 || (long long)(json_array_size(jobs) - before) < limit));
    *cut |= after >= 0;
    return 0;
}

static int newest_first(const void *a, const void *b) {
    long long x = gt_cli_jint(*(json_t *const *)a, "id"),
              y = gt_cli_jint(*(json_t *const *)b, "id");
    return (x < y) - (x > y);
}

/* The jobs sorted newest first, each id once, the first `limit` (0: all) of those that
 * `user` (NULL: anyone's) runs, into a new array; *matched counts those before the limit. */
static json_t *select_jobs(json_t *jobs, const char *user, long long limit, size_t *matched) {
    size_t n = json_array_size(jobs), k = 0;
    json_t **v = calloc(n ? n : 1, sizeof *v), *out = json_array();
    for (size_t i = 0; v && i < n; i++) {
        json_t *j = json_array_get(jobs, i);
        if (!user || strcmp(gt_cli_job_str(j, "user", ""), user) == 0)
            v[k++] = j;
    }
    if (v)
        qsort(v, k, sizeof *v, newest_first);
    /* Each state is listed by its own requests: a job that moved from one to the next in
     * between comes twice (sorted by id, the copies are neighbours). */
    size_t w = 0;
    for (size_t i = 0; v && i < k; i++)
        if (w == 0 || gt_cli_jint(v[i], "id") != gt_cli_jint(v[w - 1], "id"))
            v[w++] = v[i];
    k = w;
    *matched = k;
    for (size_t i = 0; v && i < k && (limit == 0 || (long long)i < limit); i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

/* The token's Unix user for --me into user; 0 or an exit code. */
static int my_user(gt_cli *c, char *user, size_t len) {
    json_t *me = NULL;
    int rc = gt_cli_request(c, "GET", "/v1/whoami", NULL, &me);
    const char *u = gt_cli_jstr(me, "user", NULL);
    if (rc == 0 && !u)
        rc = gt_cli_usage(c,
                          "--me: this token is not bound to a Unix user, so no job is known "
                          "as yours (its tenant's: --tenant %s)",
                          gt_cli_jstr(me, "tenant", "TENANT"));
    if (rc == 0)
        snprintf(user, len, "%s", u);
    json_decref(me);
    return rc;
}

static void print(gt_cli *c, const jobs_args *o, json_t *jobs) {
    if (c->json) {
        json_t *doc = json_pack("{sOsn}", "jobs", jobs, "next");
        gt_cli_print_json(doc);
        json_decref(doc);
        return;
    }
    gt_error err;
    gt_table *t = gt_cli_jobs_table(jobs, gt_cli_now(), o->format, &err);
    gt_table_style(t, o->noheader, o->parsable ? "|" : NULL);
    gt_table_print(t);
    gt_table_free(t);
}

/* Fetch what o selects, then show it. */
static int list(gt_cli *c, const jobs_args *o) {
    unsigned set = o->states ? o->states : o->all ? EVERY : ACTIVE;
    char user[64] = "";
    gt_error err;
    gt_table *check = gt_cli_jobs_table(NULL, 0, o->format, &err); /* before any request */
    if (!check)
        return gt_cli_usage(c, "--format: %s", err.msg);
    gt_table_free(check);
    int rc = o->me ? my_user(c, user, sizeof user) : 0, cut = 0;
    /* Each listing comes newest first: with --limit N (and no --me, which filters after)
     * its newest N are all that can be shown, so no more of it is fetched. */
    long long each = o->me ? 0 : o->limit;
    size_t matched = 0;
    json_t *all = json_array();
    for (size_t i = 0; rc == 0 && i < NSTATES; i++)
        if (set != EVERY && (set >> i & 1))
            rc = fetch(c, gt_sb_str(&o->query), states[i].name, each, all, &cut);
    if (rc == 0 && set == EVERY)
        rc = fetch(c, gt_sb_str(&o->query), NULL, each, all, &cut);
    json_t *jobs = rc == 0 ? select_jobs(all, o->me ? user : NULL, o->limit, &matched) : NULL;
    if (jobs) {
        print(c, o, jobs);
        if (cut || json_array_size(jobs) < matched)
            gt_cli_say("the newest %zu jobs shown (--limit)", json_array_size(jobs));
    }
    json_decref(jobs);
    json_decref(all);
    return rc;
}

int gt_cli_cmd_jobs(gt_cli *c, int argc, char **argv) {
    jobs_args o = {0};
    o.format = GT_CLI_JOBS_FORMAT;
    gt_sb_init(&o.query);
    int rc = parse(c, argc, argv, &o);
    if (rc == 0)
        rc = list(c, &o);
    gt_sb_free(&o.query);
    return rc;
}
