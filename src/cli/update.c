/* SPDX-License-Identifier: MIT
 * gantry update ID [--env K=V]... [-f FILE] [-- CMD ARGS...]: roll out a new version of a
 * service (PATCH /v1/jobs/ID). The new version's replicas start beside the old ones (up to
 * max_surge more), each old one is drained from the endpoints and stopped only once enough
 * new ones are ready (max_unavailable), and an update whose replicas do not become ready
 * within update_deadline_s is rolled back; `gantry show` follows it. --env adds to (or
 * with K= removes from) the service's environment; FILE (JSON or YAML) gives any of the
 * fields an update may change; a command after -- replaces the service's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/fmt.h"
#include "cli/spec.h"

const gt_opt gt_cli_update_opts[] = {
    {"--env", 'e', GT_OPT_KEYVAL, "K=V", "set K in the environment (K= removes it); repeatable", 0,
     0, NULL, NULL},
    {"--file", 'f', GT_OPT_STRING, "FILE", "the fields to change, as JSON or YAML", 0, 0, NULL,
     NULL},
    {0},
};

typedef struct {
    gt_cli *c;
    json_t *env; /* K -> V (null: remove) */
    const char *file;
    int bad;
} upd_args;

static void upd_opt(void *ctx, const gt_opt_tok *t) {
    upd_args *o = ctx;
    if (!strcmp(t->opt->name, "--file")) {
        o->file = t->val;
        return;
    }
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)t->n, t->val);
    const char *v = t->val + t->n + 1;
    json_object_set_new(o->env, key, *v ? json_string(v) : json_null());
}

/* The changes: FILE's fields, the env merged into the service's current one, argv. */
static int changes(upd_args *o, long long id, json_t *cmd, json_t **out) {
    json_t *ch = json_object();
    if (o->file) {
        size_t len = 0;
        const char *why = NULL;
        gt_error err = {0};
        char *text = gt_cli_slurp(o->file, &len, &why);
        int read = text != NULL;
        json_t *f = text ? gt_cli_yaml_to_json(text, len, o->file, &err) : NULL;
        free(text);
        if (!json_is_object(f)) {
            json_decref(f);
            json_decref(ch);
            if (!read)
                return gt_cli_usage(o->c, "cannot read '%s' (%s)", o->file, why);
            return gt_cli_usage(o->c, "%s: %s", err.where[0] ? err.where : o->file,
                                err.msg[0] ? err.msg : "expected an object of fields");
        }
        json_object_update(ch, f);
        json_decref(f);
    }
    if (json_object_size(o->env)) {
        char path[64];
        snprintf(path, sizeof path, "/v1/jobs/%lld", id);
        json_t *job = NULL;
        int rc = gt_cli_request(o->c, "GET", path, NULL, &job);
        if (rc) {
            json_decref(ch);
            return rc;
        }
        json_t *env = json_deep_copy(json_object_get(json_object_get(job, "spec"), "env"));
        if (!env)
            env = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(o->env, k, v) {
            if (json_is_null(v))
                json_object_del(env, k);
            else
                json_object_set(env, k, v);
        }
        json_object_set_new(ch, "env", env);
        json_decref(job);
    }
    if (cmd)
        json_object_set(ch, "command", cmd);
    *out = ch;
    return 0;
}

int gt_cli_cmd_update(gt_cli *c, int argc, char **argv) {
    upd_args o = {c, json_object(), NULL, 0};
    int dash = argc;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            dash = i;
            break;
        }
    json_t *cmd = NULL;
    if (dash < argc - 1) {
        cmd = json_array();
        for (int i = dash + 1; i < argc; i++)
            json_array_append_new(cmd, json_string(argv[i]));
    }
    long long id;
    int rc = gt_cli_id_and_opts(c, dash, argv, gt_cli_update_opts, &id, upd_opt, &o);
    json_t *ch = NULL;
    if (!rc && !o.file && !json_object_size(o.env) && !cmd)
        rc = gt_cli_usage(c, "nothing to change: give --env, --file or -- CMD");
    if (!rc)
        rc = changes(&o, id, cmd, &ch);
    char *body = ch ? json_dumps(ch, JSON_COMPACT) : NULL;
    char path[64];
    snprintf(path, sizeof path, "/v1/jobs/%lld", id);
    json_t *job = NULL;
    if (!rc && body && !(rc = gt_cli_request(c, "PATCH", path, body, &job))) {
        if (c->json)
            gt_cli_print_last(c);
        else
            printf("job %lld: rolling out version %lld\n", id, gt_cli_jint(job, "version"));
    }
    json_decref(job);
    free(body);
    json_decref(ch);
    json_decref(cmd);
    json_decref(o.env);
    return rc;
}
