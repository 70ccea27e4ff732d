/* SPDX-License-Identifier: MIT
 * gantry endpoints ID: where a service's ready replicas listen (GET
 * /v1/jobs/ID/endpoints): replica, node, host, port, every named port, ready since.
 * --watch prints the list again each time it changes (the controller holds each request
 * until the job's endpoint version moves), until the job ends or the user stops it; with
 * --json, one document per version, a line each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/fmt.h"
#include "cli/table.h"

const gt_opt gt_cli_endpoints_opts[] = {
    {"--watch", 'w', GT_OPT_SWITCH, NULL, "print the endpoints again at each change", 0, 0, NULL,
     NULL},
    {0},
};

typedef struct {
    long long id;
    int watch;
} ep_args;

static void ep_opt(void *ctx, const gt_opt_tok *t) {
    ((ep_args *)ctx)->watch = t->opt != NULL;
}

static void print_table(const json_t *doc) {
    static const char *const heads[] = {"ROLE", "REPLICA", "NODE",       "HOST",
                                        "PORT", "PORTS",   "READY_SINCE"};
    const json_t *eps = json_object_get(doc, "endpoints");
    gt_table *t = gt_table_new(7, heads, "lrllrll");
    for (size_t i = 0; t && i < json_array_size(eps); i++) {
        const json_t *e = json_array_get(eps, i), *ports = json_object_get(e, "ports");
        gt_table_add(t, "%s", gt_cli_jstr(e, "role", "-"));
        gt_table_add(t, "%lld", gt_cli_jint(e, "replica"));
        gt_table_add(t, "%s", gt_cli_jstr(e, "node", "-"));
        gt_table_add(t, "%s", gt_cli_jstr(e, "host", "-"));
        gt_table_add(t, "%lld", gt_cli_jint(e, "port"));
        gt_sb list;
        gt_sb_init(&list);
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)ports, k, v) {
            gt_sb_printf(&list, "%s%s=%lld", list.len ? "," : "", k,
                         (long long)json_integer_value(v));
        }
        gt_table_add(t, "%s", list.len ? gt_sb_str(&list) : "-");
        gt_sb_free(&list);
        char when[64];
        gt_cli_fmt_time(json_number_value(json_object_get(e, "ready_since")), when, sizeof when);
        gt_table_add(t, "%s", when);
    }
    if (t)
        gt_table_print(t);
    gt_table_free(t);
    fprintf(stderr, "job %lld (%s): %lld ready replica(s), version %lld\n", gt_cli_jint(doc, "job"),
            gt_cli_jstr(doc, "state", "?"), gt_cli_jint(doc, "ready"), gt_cli_jint(doc, "version"));
}

static void show(const gt_cli *c, const json_t *doc) {
    if (c->json) {
        char *s = json_dumps(doc, JSON_COMPACT);
        printf("%s\n", s ? s : "{}");
        free(s);
    } else {
        print_table(doc);
    }
    fflush(stdout);
}

int gt_cli_cmd_endpoints(gt_cli *c, int argc, char **argv) {
    ep_args o = {0};
    int rc = gt_cli_id_and_opts(c, argc, argv, gt_cli_endpoints_opts, &o.id, ep_opt, &o);
    /* A watch is answered within this long; the client waits a little longer. */
    long long wait_s = c->timeout_s <= 0 || c->timeout_s >= 25 ? 20
                       : c->timeout_s > 3                      ? (long long)c->timeout_s - 2
                                                               : 1;
    long long version = -1;
    while (rc == 0) {
        char path[160];
        if (version < 0)
            snprintf(path, sizeof path, "/v1/jobs/%lld/endpoints", o.id);
        else
            snprintf(path, sizeof path, "/v1/jobs/%lld/endpoints?watch=%lld&timeout_s=%lld", o.id,
                     version, wait_s);
        json_t *doc = NULL;
        if ((rc = gt_cli_request(c, "GET", path, NULL, &doc)))
            break;
        long long v = gt_cli_jint(doc, "version");
        const char *state = gt_cli_jstr(doc, "state", "");
        int over =
            !strcmp(state, "completed") || !strcmp(state, "failed") || !strcmp(state, "cancelled");
        if (v != version)
            show(c, doc);
        version = v;
        json_decref(doc);
        if (!o.watch || over)
            break;
    }
    return rc;
}
