/* SPDX-License-Identifier: MIT
 * A node's lifecycle as a table. gt_sched_node_state names the event for the state its
 * caller asks for (core_node_ev_toward) and core_node_event checks it here before the
 * fleet's accounting follows (gt_topo_set_state, which writes gt_topo.n_state; the
 * scheduler changes a node's state through core_node_event only). gt_topo_finalize makes
 * every node UP; snapshot restore copies saved states.
 *
 *            DRAIN                 DOWN
 *   UP ──────────────▶ DRAINING ──────────▶ DOWN
 *   ▲  ◀───── UP ────────┘  ▲               │ │
 *   │                       └──── DRAIN ────┘ │
 *   └────────────────── UP ───────────────────┘     and UP ──DOWN──▶ DOWN
 *
 *                   UP          DRAIN         DOWN      (the table, by event)
 *   from UP         (UP)        DRAINING      DOWN
 *   from DRAINING   UP          (DRAINING)    DOWN
 *   from DOWN       UP          DRAINING      (DOWN)    (parenthesised: no change)
 *
 *   UP     its agent registered (from DOWN), or a resume (from DRAINING)
 *   DRAIN  gantry drain (from UP); from DOWN: an "up" journal entry with "draining": true
 *          (ctld/apply.c op_up reads the flag; nothing writes it today)
 *   DOWN   its heartbeat stopped, a simulated failure, or gantryd starting (every node is
 *          DOWN until its agent registers)
 *
 * Every event is allowed from every state: an event toward the state the node is in
 * changes nothing (a second drain keeps the node draining with a new reason, a resume of a
 * node that is up, DOWN for a node that is down: gantryd checks before it asks, the
 * scheduler's API does not). The table is still the one place that says so, and where a
 * move that becomes wrong is taken out. What a move does besides the state (DOWN stops the
 * node's units) is gt_sched_node_state's part. */
#include <assert.h>

#include "core/sched_int.h"

#define U (1u << GT_NODE_UP)
#define DR (1u << GT_NODE_DRAINING)
#define DN (1u << GT_NODE_DOWN)

static const struct {
    uint8_t from; /* mask of the states the event may come from */
    uint8_t to;
} table[CORE_NODE__NEVENTS] = {
    [CORE_NODE_UP] = {U | DR | DN, GT_NODE_UP},
    [CORE_NODE_DRAIN] = {U | DR | DN, GT_NODE_DRAINING},
    [CORE_NODE_DOWN] = {U | DR | DN, GT_NODE_DOWN},
};

#define NSTATES (GT_NODE_DOWN + 1)

int core_node_transition(uint8_t from, core_node_ev ev, uint8_t *to) {
    if ((unsigned)ev >= CORE_NODE__NEVENTS || from >= NSTATES || !(table[ev].from >> from & 1))
        return 0;
    *to = table[ev].to;
    return 1;
}

core_node_ev core_node_ev_toward(gt_node_state st) {
    switch (st) {
    case GT_NODE_UP:
        return CORE_NODE_UP;
    case GT_NODE_DRAINING:
        return CORE_NODE_DRAIN;
    case GT_NODE_DOWN:
        return CORE_NODE_DOWN;
    }
    return CORE_NODE__NEVENTS;
}

void core_node_event(gt_sched *s, uint32_t node, core_node_ev ev) {
    uint8_t to = 0;
    int ok = core_node_transition(s->topo->n_state[node], ev, &to);
    assert(ok && "node lifecycle: event not allowed in this state");
    if (!ok)
        return; /* release builds: the state stays as it was */
    gt_topo_set_state(s->topo, node, (gt_node_state)to);
}
