/* SPDX-License-Identifier: MIT
 * The `server:` section (see server_config.h): its keys as a table for the core's parser,
 * the defaults, and the one check across keys. */
#include "ctld/server_config.h"

#include <stdio.h>
#include <string.h>

/* The section as the parser fills it: integers are int64_t there. */
typedef struct {
    char listen[64], data_dir[256], tokens[256];
    int64_t heartbeat_s, node_timeout_s, snapshot_every;
} server_raw;

static const gt_cfg_key server_keys[] = {
    {"listen", GT_CFG_NAME, 0, 64, offsetof(server_raw, listen)},
    {"data_dir", GT_CFG_NAME, 0, 256, offsetof(server_raw, data_dir)},
    {"tokens", GT_CFG_NAME, 0, 256, offsetof(server_raw, tokens)},
    {"heartbeat_s", GT_CFG_INT, 1, 3600, offsetof(server_raw, heartbeat_s)},
    {"node_timeout_s", GT_CFG_INT, 2, 86400, offsetof(server_raw, node_timeout_s)},
    {"snapshot_every", GT_CFG_INT, 0, 1000000000, offsetof(server_raw, snapshot_every)},
};

void gt_server_conf_defaults(gt_server_conf *s) {
    memset(s, 0, sizeof *s);
    snprintf(s->listen, sizeof s->listen, "127.0.0.1:7070");
    snprintf(s->data_dir, sizeof s->data_dir, "gantry-data");
    s->heartbeat_s = 5;
    s->node_timeout_s = 30;
    s->snapshot_every = 1000000;
}

/* A node must be allowed to miss a heartbeat before it is marked down. */
static const char *check(const void *dst, char *why, size_t size) {
    const server_raw *r = dst;
    if (r->node_timeout_s > r->heartbeat_s)
        return NULL;
    snprintf(why, size, "server.node_timeout_s: must be longer than heartbeat_s (%lld)",
             (long long)r->heartbeat_s);
    return "node_timeout_s";
}

gt_err gt_ctld_config_parse(const char *text, size_t len, const char *name, gt_config **cfg,
                            gt_server_conf *server, gt_error *err) {
    gt_server_conf_defaults(server);
    server_raw r = {.heartbeat_s = server->heartbeat_s,
                    .node_timeout_s = server->node_timeout_s,
                    .snapshot_every = server->snapshot_every};
    memcpy(r.listen, server->listen, sizeof r.listen);
    memcpy(r.data_dir, server->data_dir, sizeof r.data_dir);
    gt_cfg_section sec = {"server", server_keys, sizeof server_keys / sizeof server_keys[0], &r,
                          check};
    gt_err e = gt_config_parse_sections(text, len, name, &sec, 1, cfg, err);
    if (e)
        return e;
    memcpy(server->listen, r.listen, sizeof server->listen);
    memcpy(server->data_dir, r.data_dir, sizeof server->data_dir);
    memcpy(server->tokens, r.tokens, sizeof server->tokens);
    server->heartbeat_s = (int)r.heartbeat_s;
    server->node_timeout_s = (int)r.node_timeout_s;
    server->snapshot_every = r.snapshot_every;
    return GT_E_OK;
}
