/* SPDX-License-Identifier: MIT
 * Agents act only for themselves. Rules, each checked on every call:
 *
 *   1. A session is a random number (getrandom), not a counter: one cannot be guessed
 *      from another. Every call names its agent id and its session; a call without the id
 *      is refused (400), an id and session that do not go together are unknown (404).
 *   2. A session belongs to the credential that registered it: a call made with another
 *      token is refused (403), so the holder of one node's credential cannot act through
 *      another node's session.
 *   3. A node's own credential (role node:NAME) registers only NAME (a pool node: the name
 *      it joined as); the shared node token registers only nodes without their own
 *      credential, so a node that has one can be taken over only with it (403 otherwise).
 *   4. An event (started, exited, ready, metric, port) must be about a run placed on the
 *      reporting agent's node, and name that node: others are refused one by one (not
 *      applied, logged, listed in the answer's "refused"), the rest of the report applied.
 *      A refusal is never silent and ends nothing; an event about a run that is over or
 *      of an older start is left to the usual checks (it changes nothing).
 *
 * Not checked here: which rank of a unit an agent reports. A unit placed on two nodes can
 * be ended by either node's agent (a rank that fails ends the gang anyway). */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "sys/entropy.h"

uint64_t ctld_session_new(gt_ctld *c) {
    for (int tries = 0; tries < 16; tries++) {
        uint64_t s;
        if (gt_random_bytes(&s, sizeof s))
            return 0;
        s &= INT64_MAX; /* a JSON integer */
        if (s && s != UINT64_MAX && gt_u64map_get(&c->sessions, s) == UINT32_MAX)
            return s;
    }
    return 0;
}

ctld_agent *ctld_agent_of(gt_ctld *c, const ctld_principal *who, const char *id, uint64_t session,
                          gt_error *err) {
    if (!id || !*id) {
        gt_fail(err, GT_E_INVALID, "agent", "required: the agent id it registered with");
        return NULL;
    }
    ctld_agent *a = NULL;
    pthread_mutex_lock(&c->agents_mu);
    uint32_t i =
        session && session != UINT64_MAX ? gt_u64map_get(&c->sessions, session) : UINT32_MAX;
    if (i < c->nagents && c->agents[i]->session == session && !strcmp(c->agents[i]->id, id))
        a = c->agents[i];
    pthread_mutex_unlock(&c->agents_mu);
    if (!a) {
        gt_fail(err, GT_E_NOT_FOUND, "session", "no such agent session; register again");
        return NULL;
    }
    if (a->who != who) {
        gt_fail(err, GT_E_FORBIDDEN, "Authorization",
                "this agent session was registered with another node credential");
        return NULL;
    }
    return a;
}

/* Is node v the one `who` is for? Its name, or the name a pool node joined as. */
static int bound_here(const gt_ctld *c, const char *bound, const gt_proto_node *n, uint32_t v) {
    if (!strcmp(n->name, bound))
        return 1;
    return n->pool && c->slot_as[v] && !strcmp(c->slot_as[v], bound);
}

gt_err ctld_register_allowed(gt_ctld *c, const ctld_principal *who, const gt_proto_node *n,
                             uint32_t v, const char *where, gt_error *err) {
    if (!who) /* tests that drive the state thread without HTTP */
        return GT_E_OK;
    if (who->node[0] && !bound_here(c, who->node, n, v))
        return gt_fail(err, GT_E_FORBIDDEN, where,
                       "this token is the credential of node '%.63s': it cannot register as "
                       "'%.63s'",
                       who->node, n->name);
    const char *slot = gt_topo_name(gt_sched_topo(c->sched), v);
    const char *as = n->pool && c->slot_as[v] ? c->slot_as[v] : NULL;
    if (!who->node[0] &&
        (ctld_tokens_node_bound(&c->tokens, n->name) || ctld_tokens_node_bound(&c->tokens, slot) ||
         (as && ctld_tokens_node_bound(&c->tokens, as))))
        return gt_fail(err, GT_E_FORBIDDEN, where,
                       "node '%.63s' has its own credential (node:%.63s in the tokens file): "
                       "its agent must use it, not the shared node token",
                       n->name,
                       ctld_tokens_node_bound(&c->tokens, n->name)    ? n->name
                       : as && ctld_tokens_node_bound(&c->tokens, as) ? as
                                                                      : slot);
    return GT_E_OK;
}

static int serves(const ctld_agent *a, uint32_t v) {
    for (uint32_t i = 0; i < a->nnodes; i++)
        if (a->nodes[i] == v)
            return 1;
    return 0;
}

const char *ctld_event_foreign(gt_ctld *c, const ctld_agent *a, const gt_proto_event *ev, char *why,
                               size_t len) {
    const gt_topo *t = gt_sched_topo(c->sched);
    uint32_t v = ev->node ? gt_topo_find(t, ev->node) : GT_NONE;
    if (v == GT_NONE || !serves(a, v)) {
        snprintf(why, len, "node '%.63s' is not this agent's", ev->node ? ev->node : "");
        return why;
    }
    const ctld_run *r = ctld_run_find(c, ev->job, ev->unit);
    if (!r || r->gen != ev->gen || r->state != RUN_ACTIVE)
        return NULL; /* over, or an older start: the event changes nothing */
    for (uint32_t s = 0; s < r->nslots; s++)
        if (r->nodes[s] == v)
            return NULL;
    snprintf(why, len, "job %u unit %u does not run on node '%.63s'", ev->job, ev->unit, ev->node);
    return why;
}
