/* SPDX-License-Identifier: MIT
 * gantryd, the controller, as a library: start it on a config, stop it. main.c adds the
 * command line and signals; tests can run it in-process. */
#ifndef GT_CTLD_CTLD_H
#define GT_CTLD_CTLD_H

#include "core/config.h"
#include "ctld/server_config.h"
#include "util/error.h"

typedef struct gt_ctld gt_ctld;

typedef struct {
    const char *policy;          /* scheduling policy name; NULL: "gantry" */
    int quiet;                   /* no log lines on stderr */
    int journal_nosync;          /* tests and fuzzing only: do not fsync the journal */
    int accept_loss;             /* --accept-loss-after: start from the state after entry */
    long long accept_loss_after; /* this one, dropping what follows (ctld/damage.c) */
} gt_ctld_opts;

/* Open the journal in server->data_dir (creating it), replay it, listen on server->listen
 * and start the state thread. Takes ownership of cfg (also on error); copies *server.
 * NULL on error, err filled. */
gt_ctld *gt_ctld_start(gt_config *cfg, const gt_server_conf *server, const gt_ctld_opts *opts,
                       gt_error *err);
/* The port actually listened on (useful with port 0). */
int gt_ctld_port(const gt_ctld *c);
/* Block until gt_ctld_request_stop is called or the state thread dies; returns 0 on a clean
 * stop, 1 if the journal failed. */
int gt_ctld_wait(gt_ctld *c);
/* Ask the controller to stop (async-signal-safe). */
void gt_ctld_request_stop(gt_ctld *c);
/* Stop serving, finish the state thread, close the journal, free. NULL is fine. */
void gt_ctld_free(gt_ctld *c);

/* The config gantryd runs with no --config: one node named as gt_host_node_name says
 * (GANTRY_NODE, else the short host name: gantry-agent's default --node) with this machine's
 * CPUs and 90% of its memory and 4 fake GPUs, one tenant "default". Caller frees. */
char *gt_ctld_default_config(void);

#endif
