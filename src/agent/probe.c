/* SPDX-License-Identifier: MIT
 * A probe's verdict over time: the thresholds and timings of gt_proto_probe applied to the
 * results that come back. Pure (time is an argument), so tests drive it with a fake clock.
 *
 *   UNKNOWN ──success_threshold passes in a row──▶ PASSING
 *      │                                          ▲     │
 *      └──failure_threshold failures in a row──▶ FAILING ◀┘ (the same rule both ways)
 *
 * The first check runs initial_delay_ms after the unit started, the next one period_ms
 * after the previous result came back (one check at a time). A readiness probe's replica
 * is ready only while PASSING; a liveness probe restarts its replica on FAILING (UNKNOWN
 * counts as alive). */
#include <stdio.h>
#include <string.h>

#include "agent/agent_int.h"

void agent_probe_init(agent_probe *p, const gt_proto_probe *cfg, int64_t started_ms) {
    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    p->state = cfg->kind == GT_PROTO_PROBE_NONE ? AGENT_PROBE_PASSING : AGENT_PROBE_UNKNOWN;
    p->next_ms = started_ms + cfg->initial_delay_ms;
}

int agent_probe_due(const agent_probe *p, int64_t now) {
    return p->cfg && p->cfg->kind != GT_PROTO_PROBE_NONE && !p->out && now >= p->next_ms;
}

int agent_probe_result(agent_probe *p, int ok, const char *detail, int64_t now) {
    p->out = 0;
    p->next_ms = now + p->cfg->period_ms;
    p->checks++;
    agent_probe_state before = p->state;
    if (ok) {
        p->fails = 0;
        if (++p->passes >= p->cfg->success_threshold)
            p->state = AGENT_PROBE_PASSING;
    } else {
        p->passes = 0;
        snprintf(p->detail, sizeof p->detail, "%s", detail ? detail : "failed");
        if (++p->fails >= p->cfg->failure_threshold)
            p->state = AGENT_PROBE_FAILING;
    }
    return p->state != before;
}
