/* SPDX-License-Identifier: MIT
 * gantry nodes, drain, resume, tenants, cluster: the fleet's side of docs/api.md.
 * Each is one GET or POST and a view (view.h); --json prints the answer as it came. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/fmt.h"
#include "cli/view.h"

/* GET path; with --json print it, else hand the document to show(). */
static int get_and_show(gt_cli *c, int argc, char **argv, const char *path,
                        void (*show)(const json_t *doc)) {
    int rc = gt_cli_nargs(c, argc, argv, 0, 0, "argument");
    json_t *doc = NULL;
    if (rc == 0)
        rc = gt_cli_request(c, "GET", path, NULL, &doc);
    if (rc == 0 && c->json)
        gt_cli_print_last(c);
    else if (rc == 0)
        show(doc);
    json_decref(doc);
    return rc;
}

static void print_table(gt_table *t) {
    gt_table_print(t);
    gt_table_free(t);
}

static void show_nodes(const json_t *doc) {
    print_table(gt_cli_nodes_table(json_object_get(doc, "nodes"), gt_cli_now()));
}

static void show_tenants(const json_t *doc) {
    print_table(gt_cli_tenants_table(json_object_get(doc, "tenants")));
}

static void show_cluster(const json_t *doc) {
    gt_sb b;
    gt_sb_init(&b);
    print_table(gt_cli_levels_table(doc));
    gt_sb_putc(&b, '\n');
    gt_cli_counts(&b, "nodes", json_object_get(doc, "nodes"));
    gt_cli_counts(&b, "jobs", json_object_get(doc, "jobs"));
    fputs(gt_sb_str(&b), stdout);
    gt_sb_free(&b);
}

int gt_cli_cmd_nodes(gt_cli *c, int argc, char **argv) {
    return get_and_show(c, argc, argv, "/v1/nodes", show_nodes);
}

int gt_cli_cmd_tenants(gt_cli *c, int argc, char **argv) {
    return get_and_show(c, argc, argv, "/v1/tenants", show_tenants);
}

int gt_cli_cmd_cluster(gt_cli *c, int argc, char **argv) {
    return get_and_show(c, argc, argv, "/v1/cluster", show_cluster);
}

static int node_action(gt_cli *c, int argc, char **argv, const char *action) {
    int rc = gt_cli_nargs(c, argc, argv, 1, 1, "NODE");
    if (rc)
        return rc;
    gt_sb path;
    json_t *node = NULL;
    gt_sb_init(&path);
    gt_sb_puts(&path, "/v1/nodes/");
    gt_cli_urlenc(&path, argv[1]);
    gt_sb_printf(&path, "/%s", action);
    rc = gt_cli_request(c, "POST", gt_sb_str(&path), NULL, &node);
    if (rc == 0 && c->json)
        gt_cli_print_last(c);
    else if (rc == 0)
        printf("node %s: %s\n", gt_cli_jstr(node, "name", argv[1]),
               gt_cli_jstr(node, "state", "-"));
    json_decref(node);
    gt_sb_free(&path);
    return rc;
}

int gt_cli_cmd_drain(gt_cli *c, int argc, char **argv) {
    return node_action(c, argc, argv, "drain");
}

int gt_cli_cmd_resume(gt_cli *c, int argc, char **argv) {
    return node_action(c, argc, argv, "resume");
}
