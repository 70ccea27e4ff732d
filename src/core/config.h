/* SPDX-License-Identifier: MIT
 * The cluster config (YAML, see docs/cluster-config.md): the fleet, listed literally and/or
 * generated from a few numbers, the tenants with their quotas and shares, the runtime
 * slowdown per span level, and scheduler settings. Parsed from memory (the caller reads
 * the file), so the core stays free of I/O. */
#ifndef GT_CORE_CONFIG_H
#define GT_CORE_CONFIG_H

#include <stddef.h>

#include "core/jobspec.h"
#include "core/topo.h"

typedef struct {
    char name[48];
    int64_t quota_gpus; /* guaranteed GPUs; 0: none */
    int64_t limit_gpus; /* hard cap on GPUs held; 0: no cap */
    double share;       /* fair-share weight, > 0; default 1 */
} gt_tenant_conf;

typedef struct {
    int backfill_depth;            /* most queued jobs examined per pass; default 1000 */
    gt_time fairshare_halflife_ms; /* usage half-life; default 7 days */
    gt_time preempt_grace_ms;      /* SIGTERM -> SIGKILL grace; default 30 s */
    gt_time preempt_exempt_ms;     /* running work younger than this is no victim; 15 min */
} gt_sched_conf;

/* The controller's own settings (the `server:` section; gantry-sim ignores it). Paths are
 * names without spaces; relative ones are relative to gantryd's working directory. */
typedef struct {
    char listen[64];        /* "ADDRESS:PORT"; default "127.0.0.1:7070" */
    char data_dir[256];     /* journal and generated tokens; default "gantry-data" */
    char tokens[256];       /* tokens file; empty: DATA_DIR/tokens, created on first start */
    int heartbeat_s;        /* agents heartbeat this often; default 5 */
    int node_timeout_s;     /* a node silent this long is marked down; default 30 */
    int64_t snapshot_every; /* snapshot (and compact the journal) after this many entries;
                               default 1,000,000; 0: only at shutdown */
} gt_server_conf;

#define GT_MAX_TENANTS 1024

typedef struct {
    gt_topo *topo;           /* owned, finalized */
    gt_tenant_conf *tenants; /* owned */
    int ntenants;
    /* Runtime factor for a gang whose span is level l (index into topo->level_names).
     * Defaults: node 1.0, domain 1.0, block 1.10, cluster 1.25 (docs/simulator.md);
     * levels with other names default to 1.0. */
    double slowdown[GT_MAX_LEVELS];
    gt_sched_conf sched;
    gt_server_conf server;
} gt_config;

/* Parse YAML text; `name` is used in error locations ("fleet.yaml:12:3: ..."). On success
 * *out is a new config the caller frees with gt_config_free. On error *out is NULL. */
gt_err gt_config_parse(const char *text, size_t len, const char *name, gt_config **out,
                       gt_error *err);
void gt_config_free(gt_config *c);
void gt_sched_conf_defaults(gt_sched_conf *s);
void gt_server_conf_defaults(gt_server_conf *s);

#endif
