/* SPDX-License-Identifier: MIT
 * gantry events [--job ID] [--since SEQ] [-f]: what happened in the cluster (GET
 * /v1/events), one line each: time, type, the job or node, its state, and the details
 * (unit, exit code, reason). -f follows: the controller holds each request until the next
 * event comes, so lines appear as things happen, until the user stops it. With --json, the
 * events as the API gives them, one per line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/fmt.h"

const gt_opt gt_cli_events_opts[] = {
    {"--job", 0, GT_OPT_INT, "ID", "only this job's events", 0, UINT32_MAX - 1, NULL, NULL},
    {"--since", 0, GT_OPT_INT, "SEQ", "only events after this number (default: all kept)", 0,
     INT64_MAX, NULL, NULL},
    {"--follow", 'f', GT_OPT_SWITCH, NULL, "keep printing events as they come", 0, 0, NULL, NULL},
    {0},
};

typedef struct {
    long long job, since;
    int follow;
} ev_args;

static void print_event(const gt_cli *c, const json_t *e) {
    if (c->json) {
        char *s = json_dumps(e, JSON_COMPACT);
        printf("%s\n", s ? s : "{}");
        free(s);
        return;
    }
    char when[64];
    gt_cli_fmt_time(json_number_value(json_object_get(e, "time")), when, sizeof when);
    const char *type = gt_cli_jstr(e, "type", "?");
    printf("%-20s %-12s", when, type);
    if (json_object_get(e, "job"))
        printf(" job %-6lld", gt_cli_jint(e, "job"));
    else
        printf(" node %-10s", gt_cli_jstr(e, "node", "?"));
    const char *state = gt_cli_jstr(e, "state", NULL);
    printf(" %s", state ? state : "");
    if (json_object_get(e, "unit"))
        printf(" unit %lld", gt_cli_jint(e, "unit"));
    if (!strcmp(type, "unit_ended") && state && !strcmp(state, "failed"))
        printf(" exit %lld signal %lld", gt_cli_jint(e, "exit_code"), gt_cli_jint(e, "signal"));
    static const char *const more[] = {"why", "reason", "failure", "from"};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        const char *v = gt_cli_jstr(e, more[i], NULL);
        if (v && *v)
            printf(" %s: %s", more[i], v);
    }
    if (json_object_get(e, "replicas"))
        printf(" %lld replica(s)", gt_cli_jint(e, "replicas"));
    printf("\n");
}

static int parse(const gt_cli *c, int argc, char **argv, ev_args *o) {
    gt_opt_args a = {argc, argv, 1};
    gt_error err;
    o->job = -1;
    for (;;) {
        gt_opt_tok t = gt_opt_next(&a, gt_cli_events_opts, NULL, &err);
        if (t.kind == GT_TOK_END)
            return 0;
        if (t.kind == GT_TOK_ERR)
            return gt_cli_usage(c, "%s", err.msg);
        if (t.kind == GT_TOK_ARG)
            return gt_cli_usage(c, "takes no arguments, got '%s'", t.val);
        if (!strcmp(t.opt->name, "--job"))
            o->job = t.n;
        else if (!strcmp(t.opt->name, "--since"))
            o->since = t.n;
        else
            o->follow = 1;
    }
}

int gt_cli_cmd_events(gt_cli *c, int argc, char **argv) {
    ev_args o = {0};
    int rc = parse(c, argc, argv, &o);
    /* A follow's request is answered within this long; the client waits a little longer. */
    long long wait_s = c->timeout_s <= 0 || c->timeout_s >= 25 ? 20
                       : c->timeout_s > 3                      ? (long long)c->timeout_s - 2
                                                               : 1;
    long long since = o.since;
    for (int first = 1; rc == 0; first = 0) {
        char path[200], job[40] = "";
        if (o.job >= 0)
            snprintf(job, sizeof job, "&job=%lld", o.job);
        if (first) /* the first request answers at once */
            snprintf(path, sizeof path, "/v1/events?since=%lld%s", since, job);
        else
            snprintf(path, sizeof path, "/v1/events?since=%lld%s&wait=%lld", since, job, wait_s);
        json_t *doc = NULL;
        if ((rc = gt_cli_request(c, "GET", path, NULL, &doc)))
            break;
        const json_t *evs = json_object_get(doc, "events");
        if (gt_cli_jint(doc, "lost") > 0)
            fprintf(stderr,
                    "gantry: %lld event(s) left the controller's memory before they were "
                    "read\n",
                    gt_cli_jint(doc, "lost"));
        for (size_t i = 0; i < json_array_size(evs); i++)
            print_event(c, json_array_get(evs, i));
        fflush(stdout);
        since = gt_cli_jint(doc, "next");
        json_decref(doc);
        if (!o.follow)
            break;
    }
    return rc;
}
