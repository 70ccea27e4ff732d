/* SPDX-License-Identifier: MIT
 * The simulator's event queue: a binary min-heap by (time, insertion sequence), so events
 * at the same virtual time come out in the order they were pushed (determinism). */
#ifndef GT_SIM_SIMQ_H
#define GT_SIM_SIMQ_H

#include <stddef.h>
#include <stdint.h>

#include "core/jobspec.h"

/* NODE_DOWN / NODE_UP carry the node's vertex in `job`. */
enum { SIMQ_UNIT_OK = 0, SIMQ_UNIT_FAIL, SIMQ_JOB_END, SIMQ_NODE_DOWN, SIMQ_NODE_UP, SIMQ_SCALE };

typedef struct {
    gt_time t;
    uint64_t seq;
    uint32_t job, unit, gen;
    uint8_t type;
} simq_ev;

typedef struct {
    simq_ev *v;
    size_t n, cap;
    uint64_t seq;
} simq;

/* Returns 0 on OOM (the event is lost; the caller fails the run). */
int sim_q_push(simq *q, gt_time t, uint8_t type, uint32_t job, uint32_t unit, uint32_t gen);
/* Pop the earliest event into *e; 0 when empty. */
int sim_q_pop(simq *q, simq_ev *e);
/* Time of the earliest event, GT_TIME_NEVER when empty. */
gt_time sim_q_peek(const simq *q);
void sim_q_free(simq *q);

#endif
