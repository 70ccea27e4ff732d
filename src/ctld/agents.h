/* SPDX-License-Identifier: MIT
 * Agents as the controller sees them (agents.c). Locking: the agents array grows under
 * gt_ctld.agents_mu and its entries are never freed while gantryd runs; an agent's queue,
 * seq, gone flag and parked poll are under its own mu (HTTP threads poll, the state thread
 * appends); nodes and alive are the state thread's; last_seen is atomic. */
#ifndef GT_CTLD_AGENTS_H
#define GT_CTLD_AGENTS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ctld/request.h"
#include "sys/http_server.h"

/* ---- agents (agents.c) ---- */
typedef struct ctld_item {
    uint64_t seq;
    char *json; /* one assignment item {"op": "start"|"stop", ...} (owned) */
    struct ctld_item *next;
} ctld_item;

typedef struct {
    char id[64], url[160], host[64];
    uint64_t session;
    _Atomic int64_t last_seen; /* monotonic ms of the last heartbeat or call */
    uint32_t *nodes;           /* topo vertices it serves (state thread) */
    uint32_t nnodes;
    int alive; /* state thread: its nodes are up */
    int mps;   /* it runs a CUDA MPS control daemon (shares of a GPU are enforced) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t seq; /* last item's seq (mu) */
    ctld_item *head, *tail;
    int gone;    /* superseded or the controller stops (mu): pollers return */
    int removed; /* its node left its pool (pools.c): heartbeats get 410 and it stops */
    /* The parked long-poll (mu): answered when items come, the agent goes, or at its
     * deadline (ctld_agents_check). At most one per agent. */
    gt_http_later *waiter;
    uint64_t waiter_since;
    int64_t waiter_deadline; /* monotonic ms */
} ctld_agent;

/* agents.c */
/* Queue an item for the agent of `node` (takes json); agents see it after ctld_agents_flush,
 * which the state thread calls once the batch is committed. */
void ctld_agent_push(gt_ctld *c, uint32_t node, char *json);
void ctld_agents_flush(gt_ctld *c);
/* HTTP-thread side: heartbeat and long-poll (no state-thread round trip). */
void ctld_agent_heartbeat(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp);
void ctld_agent_poll(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp);
void ctld_agents_check(gt_ctld *c, int64_t now_mono, int64_t t);
void ctld_exec_register(gt_ctld *c, ctld_req *r, int64_t t);
void ctld_exec_events(gt_ctld *c, ctld_req *r, int64_t t);
ctld_agent *ctld_agent_by_session(gt_ctld *c, const char *id, uint64_t session);
void ctld_agents_free(gt_ctld *c);
void ctld_agents_wake_all(gt_ctld *c);

#endif
