/* SPDX-License-Identifier: MIT
 * A rank's lifecycle on the agent, as a table of the moves it may make:
 *
 *   NEW ──spawned──▶ RUNNING ──exited──▶ ENDED ──event queued──▶ QUEUED ──acked──▶ ACKED
 *    │                                    ▲                        │
 *    └──── could not start, or stopped ───┘                        └─ (a lost session:
 *          before it started                                           queued again) ─▶ QUEUED
 *
 *   A rank adopted after a restart starts RUNNING (its process found), or ENDED (gone),
 *   or ACKED (its exit was acknowledged before the restart).
 *
 * ENDED: its exit status is known; QUEUED: its exit event is waiting for the controller's
 * answer; ACKED: the controller has it in its journal. agent_rank_to is the only writer of
 * a_rank.state; a move the table does not allow is a bug (an assertion in debug builds;
 * release builds keep the state). */
#include <assert.h>

#include "agent/agent_int.h"

#define BIT(s) (1u << (s))

/* allowed[to]: the states a rank may come from */
static const unsigned allowed[AGENT_RANK__N] = {
    [AGENT_RANK_NEW] = 0,
    [AGENT_RANK_RUNNING] = BIT(AGENT_RANK_NEW),
    [AGENT_RANK_ENDED] = BIT(AGENT_RANK_NEW) | BIT(AGENT_RANK_RUNNING),
    [AGENT_RANK_QUEUED] = BIT(AGENT_RANK_ENDED) | BIT(AGENT_RANK_QUEUED),
    [AGENT_RANK_ACKED] = BIT(AGENT_RANK_QUEUED) | BIT(AGENT_RANK_NEW) | BIT(AGENT_RANK_RUNNING) |
                         BIT(AGENT_RANK_ENDED), /* adoption of an acknowledged rank */
};

int agent_rank_can(agent_rank_state from, agent_rank_state to) {
    return (unsigned)from < AGENT_RANK__N && (unsigned)to < AGENT_RANK__N &&
           (allowed[to] >> from & 1);
}

void agent_rank_to(a_rank *r, agent_rank_state to) {
    int ok = agent_rank_can((agent_rank_state)r->state, to);
    assert(ok && "rank lifecycle: move not allowed");
    if (ok)
        r->state = (uint8_t)to;
}
