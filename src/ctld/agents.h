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
    uint64_t session;          /* random (agent_auth.c); with id, names it in every call */
    const ctld_principal *who; /* the credential it registered with: its calls need it */
    char logs_key[33];         /* random: the controller's token for its logs endpoint */
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
/* agent_auth.c: agents act only for themselves (the notes are there). */
/* The agent named by id and session that `who` registered, for a call of it (any thread;
 * takes agents_mu). NULL with err: no id (invalid), no such session (not_found), or a
 * session of another credential (forbidden). */
ctld_agent *ctld_agent_of(gt_ctld *c, const ctld_principal *who, const char *id, uint64_t session,
                          gt_error *err);
/* A new session number: random, non-zero, below 2^63 (a JSON integer), unused. agents_mu
 * held. 0 when the kernel gives no random bytes. */
uint64_t ctld_session_new(gt_ctld *c);
/* May `who` register node n (topo vertex v)? A node's own credential registers only that
 * node; the shared node token only nodes without their own. GT_E_FORBIDDEN with err. State
 * thread. */
gt_err ctld_register_allowed(gt_ctld *c, const ctld_principal *who, const gt_proto_node *n,
                             uint32_t v, const char *where, gt_error *err);
/* Why agent a may not report ev (a unit's run not placed on its nodes), in why; NULL when
 * it may. State thread. */
const char *ctld_event_foreign(gt_ctld *c, const ctld_agent *a, const gt_proto_event *ev, char *why,
                               size_t len);
void ctld_agents_free(gt_ctld *c);
void ctld_agents_wake_all(gt_ctld *c);

#endif
