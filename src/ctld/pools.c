/* SPDX-License-Identifier: MIT
 * Node pools (state thread): the config's fleet may hold pool slots (a generate block
 * with `pool: NAME`), nodes no machine is bound to yet. An agent started with --pool NAME
 * registers under its own name; gantryd binds it to a free slot of that pool and tells it
 * the slot's name in the welcome ("renamed"), which the agent uses from then on. The
 * binding is journaled (op "join" {node, as}) and kept in snapshots, so a restarted
 * gantryd and a restarted agent find each other again: the agent always asks under its own
 * name, by which the slot it is bound to is found.
 *
 * `gantry node remove NAME` (POST /v1/nodes/NAME/remove, admin) drains the slot (op
 * "leaving"); once nothing runs on it, the slot is freed (op "leave": the node down, the
 * binding gone) and its agent's next heartbeat is answered 410, on which it stops. */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"

/* Slot v leaving or not; nleaving follows. */
void ctld_slot_leaving(gt_ctld *c, uint32_t v, int leaving) {
    if (c->slot_leaving[v] == (leaving != 0))
        return;
    c->slot_leaving[v] = leaving != 0;
    if (leaving)
        c->nleaving++;
    else
        c->nleaving--;
}

static int free_slot(const gt_ctld *c, uint32_t v, int pool) {
    const gt_topo *t = gt_sched_topo(c->sched);
    return t->n_pool[v] == pool + 1 && !c->slot_as[v] && !c->slot_leaving[v] &&
           c->node_agent[v] < 0;
}

uint32_t ctld_pool_slot(gt_ctld *c, const gt_proto_node *n, const char *where, gt_error *err) {
    const gt_topo *t = gt_sched_topo(c->sched);
    int pool = gt_topo_pool_index(t, n->pool);
    if (pool < 0)
        return gt_fail(err, GT_E_NOT_FOUND, where, "no pool '%.64s' in the cluster config",
                       n->pool),
               GT_NONE;
    uint32_t v = gt_topo_find(t, n->name);
    if (v != GT_NONE && gt_topo_is_node(t, v)) { /* a slot's name: it joined before */
        if (t->n_pool[v] != pool + 1)
            return gt_fail(err, GT_E_INVALID, where, "node '%.64s' is not in pool '%.64s'", n->name,
                           n->pool),
                   GT_NONE;
        if (c->slot_leaving[v])
            return gt_fail(err, GT_E_STATE, where, "node '%.64s' is leaving its pool", n->name),
                   GT_NONE;
        return v;
    }
    for (uint32_t x = 0; x < t->nv; x++) /* bound before under this name */
        if (c->slot_as[x] && !strcmp(c->slot_as[x], n->name) && t->n_pool[x] == pool + 1)
            return x;
    for (uint32_t x = 0; x < t->nv; x++)
        if (gt_topo_is_node(t, x) && free_slot(c, x, pool))
            return x;
    return gt_fail(err, GT_E_STATE, where, "pool '%.64s' has no free node: every one is taken",
                   n->pool),
           GT_NONE;
}

void ctld_pool_bind(gt_ctld *c, uint32_t v, const char *as, int64_t t) {
    if (c->slot_as[v] && !strcmp(c->slot_as[v], as))
        return;
    const char *slot = gt_topo_name(gt_sched_topo(c->sched), v);
    if (!strcmp(slot, as) && c->slot_as[v])
        return; /* it registered with the slot's own name */
    json_t *b = json_pack("{s:s, s:s}", "node", slot, "as", as);
    gt_error err;
    if (b && ctld_do(c, t, "join", b, &err) == GT_E_OK)
        ctld_log(c, "node %s joined pool %s as %s", as,
                 gt_sched_topo(c->sched)->pool_names[gt_sched_topo(c->sched)->n_pool[v] - 1], slot);
    json_decref(b);
}

static gt_err slot_of(gt_ctld *c, json_t *body, uint32_t *v, gt_error *err) {
    const gt_topo *t = gt_sched_topo(c->sched);
    const char *name = json_string_value(json_object_get(body, "node"));
    uint32_t x = name ? gt_topo_find(t, name) : GT_NONE;
    if (x == GT_NONE || !gt_topo_is_node(t, x) || !t->n_pool[x])
        return gt_fail(err, GT_E_NOT_FOUND, "node", "no pool node named '%.64s'", name ? name : "");
    *v = x;
    return GT_E_OK;
}

gt_err ctld_op_join(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    uint32_t v;
    const char *as = json_string_value(json_object_get(body, "as"));
    gt_err e = slot_of(c, body, &v, err);
    if (e || !as)
        return e ? e : gt_fail(err, GT_E_INVALID, "as", "expected the name it joined as");
    free(c->slot_as[v]);
    c->slot_as[v] = strdup(as);
    ctld_slot_leaving(c, v, 0);
    ctld_event(c, t, "node", GT_NONE,
               json_pack("{s:s, s:s, s:s}", "node", gt_topo_name(gt_sched_topo(c->sched), v),
                         "state", "joined", "as", as));
    return GT_E_OK;
}

gt_err ctld_op_leaving(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    (void)t;
    uint32_t v = GT_NONE;
    gt_err e = slot_of(c, body, &v, err);
    if (!e)
        ctld_slot_leaving(c, v, 1);
    return e;
}

gt_err ctld_op_leave(gt_ctld *c, int64_t t, json_t *body, gt_error *err) {
    uint32_t v = GT_NONE;
    gt_err e = slot_of(c, body, &v, err);
    if (e)
        return e;
    free(c->slot_as[v]);
    c->slot_as[v] = NULL;
    ctld_slot_leaving(c, v, 0);
    free(c->node_reason[v]);
    c->node_reason[v] = NULL;
    size_t n;
    const gt_decision *d = gt_sched_node_state(c->sched, v, GT_NODE_DOWN, t, &n);
    ctld_decisions(c, d, n, t);
    int32_t ai = c->node_agent[v];
    if (ai >= 0 && !c->replaying) {
        ctld_agent *a = c->agents[ai];
        pthread_mutex_lock(&a->mu);
        a->removed = 1; /* its heartbeats get 410: it stops */
        pthread_mutex_unlock(&a->mu);
        a->alive = 0;
        c->node_agent[v] = -1;
    }
    ctld_event(
        c, t, "node", GT_NONE,
        json_pack("{s:s, s:s}", "node", gt_topo_name(gt_sched_topo(c->sched), v), "state", "left"));
    c->dirty = 1;
    return GT_E_OK;
}

void ctld_pools_tick(gt_ctld *c, int64_t t) {
    const gt_topo *topo = gt_sched_topo(c->sched);
    for (uint32_t v = 0; c->nleaving && v < topo->nv && !c->failed; v++) {
        if (!c->slot_leaving[v] || ctld_noderuns_of(c, v)->n)
            continue;
        json_t *b = json_pack("{s:s}", "node", gt_topo_name(topo, v));
        gt_error err;
        if (b && ctld_do(c, t, "leave", b, &err) == GT_E_OK)
            ctld_log(c, "node %s left its pool", gt_topo_name(topo, v));
        json_decref(b);
    }
}

void ctld_exec_node_remove(gt_ctld *c, ctld_req *r, int64_t t) {
    gt_error e = {0};
    const gt_topo *topo = gt_sched_topo(c->sched);
    uint32_t v = gt_topo_find(topo, r->name);
    if (v == GT_NONE || !gt_topo_is_node(topo, v)) {
        gt_fail(&e, GT_E_NOT_FOUND, "node", "no node named '%.64s'", r->name);
        ctld_answer_err(r, &e);
        return;
    }
    if (!topo->n_pool[v]) {
        gt_fail(&e, GT_E_INVALID, "node",
                "'%.64s' is in the config's fleet, not in a pool: drain it and take it out of "
                "the config",
                r->name);
        ctld_answer_err(r, &e);
        return;
    }
    if (!c->slot_as[v] || c->slot_leaving[v]) {
        gt_fail(&e, GT_E_STATE, "node", "'%.64s' %s", r->name,
                c->slot_leaving[v] ? "is leaving already" : "is a free slot: no machine joined it");
        ctld_answer_err(r, &e);
        return;
    }
    json_t *b = json_pack("{s:s}", "node", r->name);
    gt_err err = ctld_do(c, t, "leaving", b, &e);
    json_decref(b);
    if (!err && ctld_node_state(c, v) == GT_NODE_UP) {
        b = json_pack("{s:s, s:s}", "node", r->name, "reason", "leaving its pool");
        err = ctld_do(c, t, "drain", b, &e);
        json_decref(b);
    }
    if (err)
        ctld_answer_err(r, &e);
    else
        ctld_answer_json(r, 200, ctld_node_json(c, v));
}

json_t *ctld_pool_json(const gt_ctld *c, uint32_t v) {
    const gt_topo *t = gt_sched_topo(c->sched);
    if (!t->n_pool[v])
        return json_null();
    return json_pack("{s:s, s:o, s:b}", "name", t->pool_names[t->n_pool[v] - 1], "joined_as",
                     c->slot_as[v] ? json_string(c->slot_as[v]) : json_null(), "leaving",
                     c->slot_leaving[v]);
}
