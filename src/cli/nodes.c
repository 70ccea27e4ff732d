/* SPDX-License-Identifier: MIT
 * gantry nodes, drain, resume, tenants, cluster: the fleet's side of docs/api.md.
 * Each is one GET or POST and a view (view.h); --json prints the answer as it came. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

const gt_opt gt_cli_drain_opts[] = {
    {"--reason", 'r', GT_OPT_STRING, "TEXT",
     "why (required; gantry nodes and gantry node show it until the node is resumed)", 0, 0, NULL,
     NULL},
    {0},
};

/* POST /v1/nodes/NODE/ACTION with body (may be NULL); prints the node's new state. */
static int node_action(gt_cli *c, const char *name, const char *action, const char *body) {
    int rc;
    gt_sb path;
    json_t *node = NULL;
    gt_sb_init(&path);
    gt_sb_puts(&path, "/v1/nodes/");
    gt_cli_urlenc(&path, name);
    gt_sb_printf(&path, "/%s", action);
    rc = gt_cli_request(c, "POST", gt_sb_str(&path), body, &node);
    if (rc == 0 && c->json)
        gt_cli_print_last(c);
    else if (rc == 0)
        printf("node %s: %s\n", gt_cli_jstr(node, "name", name), gt_cli_jstr(node, "state", "-"));
    json_decref(node);
    gt_sb_free(&path);
    return rc;
}

/* gantry drain NODE --reason TEXT: the reason is required (the operator after you needs it). */
int gt_cli_cmd_drain(gt_cli *c, int argc, char **argv) {
    gt_opt_args a = {argc, argv, 1};
    gt_error err;
    const char *node = NULL, *reason = NULL;
    for (gt_opt_tok t; (t = gt_opt_next(&a, gt_cli_drain_opts, NULL, &err)).kind != GT_TOK_END;) {
        if (t.kind == GT_TOK_ERR)
            return gt_cli_usage(c, "%s", err.msg);
        if (t.kind == GT_TOK_OPT)
            reason = t.val;
        else if (t.kind == GT_TOK_ARG && !node)
            node = t.val;
        else
            return gt_cli_usage(c, "unexpected argument '%s'", t.val ? t.val : "--");
    }
    if (!node)
        return gt_cli_usage(c, "missing NODE");
    if (!reason || !*reason)
        return gt_cli_usage(c, "--reason: say why the node is drained (shown in gantry nodes)");
    json_t *b = json_pack("{s:s}", "reason", reason);
    char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    if (!body)
        return gt_cli_usage(c, "--reason: not valid UTF-8 text");
    int rc = node_action(c, node, "drain", body);
    free(body);
    return rc;
}

int gt_cli_cmd_resume(gt_cli *c, int argc, char **argv) {
    int rc = gt_cli_nargs(c, argc, argv, 1, 1, "NODE");
    return rc ? rc : node_action(c, argv[1], "resume", NULL);
}

/* gantry node NAME: one node as `key: value` lines. */
int gt_cli_cmd_node(gt_cli *c, int argc, char **argv) {
    int remove = argc > 1 && !strcmp(argv[1], "remove");
    int rc = remove ? gt_cli_nargs(c, argc - 1, argv + 1, 1, 1, "NODE")
                    : gt_cli_nargs(c, argc, argv, 1, 1, "NODE");
    if (rc)
        return rc;
    gt_sb path;
    gt_sb_init(&path);
    gt_sb_puts(&path, "/v1/nodes/");
    gt_cli_urlenc(&path, argv[remove ? 2 : 1]);
    if (remove) /* a pool node leaves: drained, then freed once nothing runs on it */
        gt_sb_puts(&path, "/remove");
    json_t *n = NULL;
    rc = gt_cli_request(c, remove ? "POST" : "GET", gt_sb_str(&path), remove ? "{}" : NULL, &n);
    gt_sb_free(&path);
    if (rc == 0 && remove && !c->json) {
        printf("node %s: leaving its pool once its work is done\n", argv[2]);
        json_decref(n);
        return 0;
    }
    if (rc == 0 && c->json) {
        gt_cli_print_last(c);
    } else if (rc == 0) {
        static const char *const keys[] = {"name",      "path",      "state",          "reason",
                                           "gpus",      "gpus_free", "gpu_model",      "cpus",
                                           "cpus_free", "memory_mb", "memory_free_mb", "agent"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            const json_t *v = json_object_get(n, keys[i]);
            char k[24];
            snprintf(k, sizeof k, "%s:", keys[i]);
            if (json_is_integer(v))
                printf("%-16s%lld\n", k, (long long)json_integer_value(v));
            else
                printf("%-16s%s\n", k,
                       json_is_string(v) && *json_string_value(v) ? json_string_value(v) : "-");
        }
        const json_t *h = json_object_get(n, "health");
        if (json_is_object(h))
            printf("%-16s%s%s\n",
                   "health:", json_is_true(json_object_get(h, "healthy")) ? "passes" : "fails: ",
                   json_is_true(json_object_get(h, "healthy")) ? "" : gt_cli_jstr(h, "reason", ""));
        else
            printf("%-16s%s\n", "health:", "- (no health check)");
        const json_t *pool = json_object_get(n, "pool");
        if (json_is_object(pool))
            printf("%-16s%s, joined as %s%s\n", "pool:", gt_cli_jstr(pool, "name", "?"),
                   gt_cli_jstr(pool, "joined_as", "- (free)"),
                   json_is_true(json_object_get(pool, "leaving")) ? ", leaving" : "");
        const json_t *off = json_object_get(n, "gpus_off");
        if (json_array_size(off)) {
            printf("%-16s", "gpus off:");
            for (size_t i = 0; i < json_array_size(off); i++)
                printf("%s%lld", i ? "," : "",
                       (long long)json_integer_value(json_array_get(off, i)));
            printf(" (%s)\n", gt_cli_jstr(n, "gpus_off_reason", "?"));
        }
    }
    json_decref(n);
    return rc;
}
