/* SPDX-License-Identifier: MIT
 * gantryd's own settings: the `server:` section of the cluster config
 * (docs/cluster-config.md#server). The core reads the fleet, tenants and scheduler; this
 * file declares the server section's keys to the core's parser (gt_cfg_section), so the
 * section is read as strictly and its errors name file:line:column like the rest, while
 * the core, the simulator and the CLI know nothing of it. */
#ifndef GT_CTLD_SERVER_CONFIG_H
#define GT_CTLD_SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "util/error.h"

/* Paths are names without spaces; relative ones are relative to gantryd's working
 * directory. */
typedef struct {
    char listen[64];        /* "ADDRESS:PORT"; default "127.0.0.1:7070" */
    char data_dir[256];     /* journal and generated tokens; default "gantry-data" */
    char tokens[256];       /* tokens file; empty: DATA_DIR/tokens, created on first start */
    int heartbeat_s;        /* agents heartbeat this often; default 5 */
    int node_timeout_s;     /* a node silent this long is marked down; default 30 */
    int64_t snapshot_every; /* snapshot (and compact the journal) after this many entries;
                               default 1,000,000; 0: only at shutdown */
} gt_server_conf;

void gt_server_conf_defaults(gt_server_conf *s);

/* gt_config_parse, and the server section into *server (the defaults where the text has no
 * section or leaves a key out). On error *cfg is NULL, *server holds the defaults and err
 * names file:line:column and the key ("server.node_timeout_s: must be longer than
 * heartbeat_s (5)"). */
gt_err gt_ctld_config_parse(const char *text, size_t len, const char *name, gt_config **cfg,
                            gt_server_conf *server, gt_error *err);

#endif
