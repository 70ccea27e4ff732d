/* SPDX-License-Identifier: MIT
 * gantry wait ID...: poll until every job has finished.
 *
 * Design notes
 *  1. Exit 0 when every job completed, 1 when any failed or was cancelled, 124 when
 *     --timeout ran out first (as timeout(1) does); an API error's own code otherwise.
 *     Waiting for one job exits as the job did, as srun does: the failing rank's exit
 *     code, 128 + its signal, and a code each for the causes the agent names (a table).
 *  2. Each job is read until it finishes, then left alone; a line is printed as each
 *     one finishes, so a long wait shows progress.
 *  3. Between reads it follows the controller's events (GET /v1/events with wait): the
 *     jobs are read again as soon as one of them changes state, not on a timer. A controller
 *     without events (an older one) is read every --interval instead. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/fmt.h"

const gt_opt gt_cli_wait_opts[] = {
    {"--timeout", 0, GT_OPT_DURATION, "SECONDS", "give up after this long (exit 124)", 0, 315360000,
     NULL, NULL},
    {"--interval", 0, GT_OPT_DURATION, "SECONDS",
     "time between reads when the controller has no events (default 1)", 0, 3600, NULL, NULL},
    {0},
};

typedef struct {
    long long *ids;
    json_t **done; /* the finished job, NULL while it runs */
    int n;
    double timeout_s, interval_s;
} waitset;

static int parse(gt_cli *c, int argc, char **argv, waitset *w) {
    gt_opt_args a = {argc, argv, 1};
    gt_error err;
    for (;;) {
        gt_opt_tok t = gt_opt_next(&a, gt_cli_wait_opts, NULL, &err);
        if (t.kind == GT_TOK_END)
            return w->n ? 0 : gt_cli_usage(c, "missing ID");
        if (t.kind == GT_TOK_ERR)
            return gt_cli_usage(c, "%s", err.msg);
        if (t.kind == GT_TOK_REST)
            continue;
        if (t.kind == GT_TOK_ARG) {
            int rc = gt_cli_job_id(c, t.val, &w->ids[w->n++]);
            if (rc)
                return rc;
        } else if (strcmp(t.opt->name, "--timeout") == 0) {
            w->timeout_s = (double)t.n / 1000.0;
        } else {
            w->interval_s = t.n < 100 ? 0.1 : (double)t.n / 1000.0; /* no busy loop */
        }
    }
}

/* The causes an agent names first in a failure's reason (docs/nodes.md), and their codes. */
static const struct {
    const char *cause;
    int exit;
} causes[] = {
    {"TIMEOUT", GT_CLI_EXIT_TIME_LIMIT},
    {"OUT_OF_MEMORY", GT_CLI_EXIT_OOM},
};

/* A failed run's exit code (note 1); 0 when it tells nothing. */
static int failure_exit(const json_t *f) {
    const char *why = gt_cli_jstr(f, "reason", "");
    for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++) {
        size_t n = strlen(causes[i].cause);
        if (strncmp(why, causes[i].cause, n) == 0 && (why[n] == ':' || why[n] == 0))
            return causes[i].exit;
    }
    long long sig = gt_cli_jint(f, "signal"), code = gt_cli_jint(f, "exit_code");
    if (sig > 0 && sig < 128)
        return 128 + (int)sig;
    return code > 0 && code < 256 ? (int)code : 0;
}

int gt_cli_wait_exit(const json_t *job) {
    const char *st = gt_cli_jstr(job, "state", "");
    size_t i;
    const json_t *u;
    if (strcmp(st, "completed") == 0)
        return 0;
    if (strcmp(st, "failed") != 0)
        return GT_CLI_EXIT_JOB_FAILED;
    json_array_foreach(json_object_get(job, "placement"), i, u) {
        int x = failure_exit(json_object_get(u, "failure"));
        if (x)
            return x;
    }
    return GT_CLI_EXIT_JOB_FAILED;
}

static int finished(const char *state) {
    return state && (strcmp(state, "completed") == 0 || strcmp(state, "failed") == 0 ||
                     strcmp(state, "cancelled") == 0);
}

/* One round of polls; *left is how many jobs still run. */
static int poll_once(gt_cli *c, waitset *w, int *left) {
    *left = 0;
    for (int i = 0; i < w->n; i++) {
        if (w->done[i])
            continue;
        char path[64];
        json_t *job = NULL;
        snprintf(path, sizeof path, "/v1/jobs/%lld", w->ids[i]);
        int rc = gt_cli_request(c, "GET", path, NULL, &job);
        if (rc)
            return rc;
        const char *st = gt_cli_jstr(job, "state", NULL);
        if (!finished(st)) {
            json_decref(job);
            (*left)++;
            continue;
        }
        w->done[i] = job;
        if (!c->json) {
            printf("job %lld: %s\n", w->ids[i], st);
            fflush(stdout);
        }
    }
    return 0;
}

/* 1 when events says one of w's jobs changed state. */
static int about_mine(const waitset *w, const json_t *events) {
    for (size_t i = 0; i < json_array_size(events); i++) {
        const json_t *e = json_array_get(events, i);
        if (strcmp(gt_cli_jstr(e, "type", ""), "job"))
            continue;
        for (int k = 0; k < w->n; k++)
            if (!w->done[k] && gt_cli_jint(e, "job") == w->ids[k])
                return 1;
    }
    return 0;
}

/* Wait for an event about w's jobs (or up to `secs`): 0, or -1 when the controller has
 * no events (then the caller sleeps instead); *since moves on. */
static int wait_event(gt_cli *c, const waitset *w, long long *since, double secs) {
    char path[120];
    /* the controller answers within this long; the client waits a little longer */
    long long cap = c->timeout_s <= 0 || c->timeout_s >= 25 ? 20
                    : c->timeout_s > 3                      ? (long long)c->timeout_s - 2
                                                            : 1;
    long long s = secs < 1 ? 1 : secs > (double)cap ? cap : (long long)secs;
    snprintf(path, sizeof path, "/v1/events?since=%lld&wait=%lld", *since, s);
    json_t *doc = NULL;
    if (gt_cli_request_quiet(c, "GET", path, &doc))
        return -1;
    *since = gt_cli_jint(doc, "next");
    int mine = about_mine(w, json_object_get(doc, "events"));
    json_decref(doc);
    return mine ? 0 : 1;
}

static int wait_all(gt_cli *c, waitset *w) {
    double deadline = w->timeout_s > 0 ? gt_cli_now() + w->timeout_s : 0;
    int left = 0, rc, events = 1;
    long long since = INT64_MAX / 2; /* first: the latest event's number */
    char path[80];
    json_t *latest = NULL;
    snprintf(path, sizeof path, "/v1/events?since=%lld&limit=1", since);
    if (gt_cli_request_quiet(c, "GET", path, &latest))
        events = 0; /* an older controller: read every --interval */
    else
        since = gt_cli_jint(latest, "next");
    json_decref(latest);
    while ((rc = poll_once(c, w, &left)) == 0 && left > 0) {
        for (;;) {
            double now = gt_cli_now();
            if (deadline && now >= deadline) {
                gt_cli_say("%d job(s) still running after %g s (--timeout)", left, w->timeout_s);
                return GT_CLI_EXIT_TIMEOUT;
            }
            if (!events) {
                gt_cli_sleep(w->interval_s);
                break;
            }
            int got = wait_event(c, w, &since, deadline ? deadline - now : 20);
            if (got < 0)
                events = 0;
            if (got <= 0)
                break;
        }
    }
    if (rc)
        return rc;
    json_t *jobs = json_array();
    int all_ok = 1;
    for (int i = 0; i < w->n; i++) {
        all_ok &= strcmp(gt_cli_jstr(w->done[i], "state", ""), "completed") == 0;
        json_array_append(jobs, w->done[i]);
    }
    if (c->json) {
        json_t *doc = json_pack("{so}", "jobs", jobs);
        gt_cli_print_json(doc);
        json_decref(doc);
    } else {
        json_decref(jobs);
    }
    if (w->n == 1)
        return gt_cli_wait_exit(w->done[0]);
    return all_ok ? 0 : GT_CLI_EXIT_JOB_FAILED;
}

int gt_cli_cmd_wait(gt_cli *c, int argc, char **argv) {
    waitset w = {calloc((size_t)argc, sizeof(long long)), calloc((size_t)argc, sizeof(json_t *)), 0,
                 0, 1.0};
    int rc = w.ids && w.done ? parse(c, argc, argv, &w) : gt_err_exit(GT_E_NOMEM);
    if (rc == 0)
        rc = wait_all(c, &w);
    for (int i = 0; w.done && i < w.n; i++)
        json_decref(w.done[i]);
    free(w.ids);
    free(w.done);
    return rc;
}
