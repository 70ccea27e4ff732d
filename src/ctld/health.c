/* SPDX-License-Identifier: MIT
 * Node health as the agents report it (POST /v1/agent/health; state thread). A node whose
 * health check fails is drained with the reason "health: WHY" (journaled like an operator's
 * drain, so it survives restarts), and nothing new starts there while its running work
 * finishes; once the check passes again a node drained that way is resumed. A node an
 * operator drained (any other reason) stays drained: only a person puts it back. The last
 * verdict of each node is kept in memory for the node's document ("health"). */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"

#define HEALTH_PREFIX "health: "

static int agent_serves(const ctld_agent *a, uint32_t v) {
    for (uint32_t i = 0; i < a->nnodes; i++)
        if (a->nodes[i] == v)
            return 1;
    return 0;
}

static void set_verdict(gt_ctld *c, uint32_t v, const gt_proto_node_health *n) {
    free(c->node_health[v]);
    c->node_health[v] = strdup(n->healthy ? "" : n->reason);
}

static void apply_verdict(gt_ctld *c, uint32_t v, const gt_proto_node_health *n, int64_t t) {
    const char *why = c->node_reason[v];
    int by_health = why && !strncmp(why, HEALTH_PREFIX, strlen(HEALTH_PREFIX));
    gt_node_state st = ctld_node_state(c, v);
    gt_error err;
    json_t *b = NULL;
    if (!n->healthy && st == GT_NODE_UP) {
        char reason[300];
        snprintf(reason, sizeof reason, HEALTH_PREFIX "%.256s",
                 n->reason[0] ? n->reason : "failed");
        b = json_pack("{s:s, s:s}", "node", n->node, "reason", reason);
        if (b && ctld_do(c, t, "drain", b, &err) == GT_E_OK)
            ctld_log_at(c, GT_LOG_WARNING, "node %s drained: %s", n->node, reason);
    } else if (n->healthy && st == GT_NODE_DRAINING && by_health) {
        b = json_pack("{s:s}", "node", n->node);
        if (b && ctld_do(c, t, "resume", b, &err) == GT_E_OK)
            ctld_log(c, "node %s resumed: its health check passes again", n->node);
    }
    json_decref(b);
}

void ctld_exec_node_health(gt_ctld *c, ctld_req *r, int64_t t) {
    gt_error e;
    ctld_agent *a = ctld_agent_of(c, r->who, r->health.agent, r->health.session, &e);
    if (!a) {
        ctld_answer_err(r, &e);
        return;
    }
    const gt_topo *topo = gt_sched_topo(c->sched);
    for (uint32_t i = 0; i < r->health.nnodes && !c->failed; i++) {
        const gt_proto_node_health *n = &r->health.nodes[i];
        uint32_t v = gt_topo_find(topo, n->node);
        if (v == GT_NONE || !agent_serves(a, v))
            continue; /* not this agent's node: nothing to say about it */
        set_verdict(c, v, n);
        apply_verdict(c, v, n, t);
    }
    ctld_answer_json(r, 200, json_object());
}

json_t *ctld_node_health_json(const gt_ctld *c, uint32_t v) {
    const char *h = c->node_health ? c->node_health[v] : NULL;
    if (!h)
        return json_null(); /* no health check reported */
    return json_pack("{s:b, s:s}", "healthy", !h[0], "reason", h);
}
