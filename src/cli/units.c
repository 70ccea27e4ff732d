/* SPDX-License-Identifier: MIT
 * gantry units ID: a job's units (its tasks, replicas or gang) with their state, restarts,
 * node and how the failed ones failed, from GET /v1/jobs/ID/units, page after page, so
 * that every failed task of a large array can be found (--state failed).
 *
 * Design notes
 *  1. --state goes to the controller as it is (it checks the names); --limit stops after
 *     N units are printed, else every page is read.
 *  2. With --json, one document {"job", "total", "units": [...]} of every page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/fmt.h"
#include "cli/table.h"

const gt_opt gt_cli_units_opts[] = {
    {"--state", 't', GT_OPT_STRING, "STATES",
     "pending, running, done, failed, stopped, comma-separated (default all)", 0, 0, NULL, NULL},
    {"--limit", 0, GT_OPT_INT, "N", "show the first N units only", 1, 1000000000, NULL, NULL},
    {0},
};

typedef struct {
    long long id, limit;
    const char *state;
} units_args;

static void units_opt(void *ctx, const gt_opt_tok *t) {
    units_args *o = ctx;
    if (strcmp(t->opt->name, "--state") == 0)
        o->state = t->val;
    else
        o->limit = t->n;
}

/* One unit's row: UNIT STATE RESTARTS NODES EXIT REASON. */
static void add_row(gt_table *t, const json_t *u) {
    const json_t *f = json_object_get(u, "failure"), *nodes = json_object_get(u, "nodes");
    gt_table_add(t, "%lld", gt_cli_jint(u, "unit"));
    gt_table_add(t, "%s", gt_cli_jstr(u, "state", "-"));
    gt_table_add(t, "%lld", gt_cli_jint(u, "restarts"));
    gt_sb where;
    gt_sb_init(&where);
    for (size_t i = 0; i < json_array_size(nodes); i++)
        gt_sb_printf(&where, "%s%s", i ? "," : "",
                     gt_cli_jstr(json_array_get(nodes, i), "node", "?"));
    gt_table_add(t, "%s", where.len ? gt_sb_str(&where) : "-");
    gt_sb_free(&where);
    if (f && gt_cli_jint(f, "signal"))
        gt_table_add(t, "signal %lld", gt_cli_jint(f, "signal"));
    else if (f)
        gt_table_add(t, "%lld", gt_cli_jint(f, "exit_code"));
    else
        gt_table_add(t, "-");
    const char *why = f ? gt_cli_jstr(f, "reason", "") : "";
    gt_table_add(t, "%s", *why ? why : "-");
}

/* Every page (or until `limit` units) into units; 0 or an exit code. */
static int fetch(gt_cli *c, const units_args *o, json_t *units, long long *total) {
    long long after = -1;
    for (;;) {
        gt_sb path;
        gt_sb_init(&path);
        gt_sb_printf(&path, "/v1/jobs/%lld/units?limit=1000", o->id);
        if (after >= 0)
            gt_sb_printf(&path, "&after=%lld", after);
        if (o->state) {
            gt_sb_printf(&path, "&state=");
            gt_cli_urlenc(&path, o->state);
        }
        json_t *page = NULL;
        int rc = gt_cli_request(c, "GET", gt_sb_str(&path), NULL, &page);
        gt_sb_free(&path);
        if (rc)
            return rc;
        *total = gt_cli_jint(page, "total");
        json_t *got = json_object_get(page, "units"), *next = json_object_get(page, "next");
        for (size_t i = 0; i < json_array_size(got); i++)
            if (o->limit == 0 || (long long)json_array_size(units) < o->limit)
                json_array_append(units, json_array_get(got, i));
        int more = json_is_integer(next) &&
                   (o->limit == 0 || (long long)json_array_size(units) < o->limit);
        after = more ? json_integer_value(next) : -1;
        json_decref(page);
        if (!more)
            return 0;
    }
}

int gt_cli_cmd_units(gt_cli *c, int argc, char **argv) {
    units_args o = {0};
    long long total = 0;
    int rc = gt_cli_id_and_opts(c, argc, argv, gt_cli_units_opts, &o.id, units_opt, &o);
    json_t *units = json_array();
    if (rc == 0)
        rc = fetch(c, &o, units, &total);
    if (rc == 0 && c->json) {
        json_t *doc = json_pack("{sI sI sO}", "job", (json_int_t)o.id, "total", (json_int_t)total,
                                "units", units);
        gt_cli_print_json(doc);
        json_decref(doc);
    } else if (rc == 0) {
        static const char *const heads[] = {"UNIT", "STATE", "RESTARTS", "NODES", "EXIT", "REASON"};
        gt_table *t = gt_table_new(6, heads, "llrlrl");
        for (size_t i = 0; t && i < json_array_size(units); i++)
            add_row(t, json_array_get(units, i));
        if (t)
            gt_table_print(t);
        gt_table_free(t);
        fprintf(stderr, "%zu of the job's %lld units%s%s\n", json_array_size(units), total,
                o.state ? " in state " : "", o.state ? o.state : "");
    }
    json_decref(units);
    return rc;
}
