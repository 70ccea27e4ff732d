/* SPDX-License-Identifier: MIT
 * gantry logs ID: a rank's stdout or stderr, from GET /v1/jobs/{id}/logs.
 *
 * Design notes
 *  1. Bytes are copied to stdout as they come (the output of a program is not JSON; --json
 *     changes nothing here). The next request starts at the X-Gantry-Offset the last
 *     answer gave, or at the bytes received so far when the header is missing.
 *  2. Without -f: read until an answer brings nothing new. With -f: poll every 300 ms
 *     until X-Gantry-Done: 1. A pending job is waited for first; while nothing comes the
 *     job's state is checked every 3 s, and a finished job ends the follow once its last
 *     bytes are read (a rank that never started never sends Done). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/fmt.h"

#define POLL_S 0.3
#define STATE_EVERY 10    /* idle polls between two looks at the job's state */
#define FOLLOW_RETRIES 30 /* answers 503 in a row (2 s apart) that -f waits through */

const gt_opt gt_cli_logs_opts[] = {
    {"--unit", 0, GT_OPT_INT, "U", "the unit: task or replica number (default 0)", 0, INT32_MAX,
     NULL, "unit"},
    {"--rank", 0, GT_OPT_INT, "R", "the rank within the unit (default 0)", 0, INT32_MAX, NULL,
     "rank"},
    {"--stderr", 0, GT_OPT_SWITCH, NULL, "the rank's stderr instead of its stdout", 0, 0, NULL,
     NULL},
    {"--follow", 'f', GT_OPT_SWITCH, NULL, "keep printing until the rank exits", 0, 0, NULL, NULL},
    {0},
};

typedef struct {
    long long id, unit, rank, offset;
    int err_stream, follow;
} logreq;

static void logs_opt(void *ctx, const gt_opt_tok *t) {
    logreq *r = ctx;
    const char *n = t->opt->name;
    if (strcmp(n, "--unit") == 0)
        r->unit = t->n;
    else if (strcmp(n, "--rank") == 0)
        r->rank = t->n;
    else if (strcmp(n, "--stderr") == 0)
        r->err_stream = 1;
    else
        r->follow = 1;
}

static int parse(gt_cli *c, int argc, char **argv, logreq *r) {
    return gt_cli_id_and_opts(c, argc, argv, gt_cli_logs_opts, &r->id, logs_opt, r);
}

/* The job's state ("" when the answer has none); an exit code on failure. */
static int job_state(gt_cli *c, long long id, char *state, size_t len) {
    char path[64];
    json_t *job = NULL;
    snprintf(path, sizeof path, "/v1/jobs/%lld", id);
    int rc = gt_cli_request(c, "GET", path, NULL, &job);
    snprintf(state, len, "%s", rc ? "" : gt_cli_jstr(job, "state", ""));
    json_decref(job);
    return rc;
}

/* One request from r->offset; copies the bytes out. *got: bytes, *done: Done header. */
static int fetch(gt_cli *c, logreq *r, size_t *got, int *done) {
    char path[192];
    snprintf(path, sizeof path, "/v1/jobs/%lld/logs?unit=%lld&rank=%lld&stream=%s&offset=%lld",
             r->id, r->unit, r->rank, r->err_stream ? "stderr" : "stdout", r->offset);
    int rc = gt_cli_send(c, "GET", path, NULL);
    if (rc)
        return rc;
    *got = c->last.body.len;
    *done = c->last.done;
    fwrite(gt_sb_str(&c->last.body), 1, *got, stdout);
    fflush(stdout);
    r->offset = c->last.offset >= 0 ? c->last.offset : r->offset + (long long)*got;
    return 0;
}

static int follow(gt_cli *c, logreq *r) {
    char st[32];
    int rc, done = 0, idle = 0, over = 0;
    while ((rc = job_state(c, r->id, st, sizeof st)) == 0 && strcmp(st, "pending") == 0)
        gt_cli_sleep(1.0);
    over = strcmp(st, "running") != 0;
    int retries = 0;
    for (size_t got = 0; rc == 0; gt_cli_sleep(got ? 0 : POLL_S)) {
        if ((rc = fetch(c, r, &got, &done)) != 0 && c->last.status == 503 &&
            ++retries <= FOLLOW_RETRIES) {
            gt_cli_sleep(2.0); /* the node's agent did not answer: try again a while */
            rc = 0;
            got = 0;
            continue;
        }
        if (rc != 0 || done)
            return rc;
        retries = 0;
        if (got) {
            idle = 0;
            continue;
        }
        if (over)
            return 0; /* finished, and everything there is has been read */
        if (++idle % STATE_EVERY == 0 && (rc = job_state(c, r->id, st, sizeof st)) == 0)
            over = strcmp(st, "running") != 0 && strcmp(st, "pending") != 0;
    }
    return rc;
}

int gt_cli_cmd_logs(gt_cli *c, int argc, char **argv) {
    logreq r = {0, 0, 0, 0, 0, 0};
    int rc = parse(c, argc, argv, &r), done = 0;
    size_t got = 1;
    if (rc || r.follow)
        return rc ? rc : follow(c, &r);
    while (rc == 0 && got > 0 && !done)
        rc = fetch(c, &r, &got, &done);
    return rc;
}
