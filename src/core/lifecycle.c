/* SPDX-License-Identifier: MIT
 * A job's lifecycle as a table: every state change is an event, and the table says from
 * which states the event may come and what state it leads to. core_job_event is the only
 * writer of job_t.state (snapshot restore aside, which copies a saved state).
 *
 *                 START / RUN
 *   PENDING  ─────────────────▶  RUNNING ──DONE──▶ COMPLETED
 *      ▲  │                       │   │
 *      │  │◀──────── WAIT ────────┘   └──FAIL──▶ FAILED
 *      │  │
 *      │  └───── CANCEL (from either) ─────────▶ CANCELLED
 *      └─── (WAIT, RUN from PENDING: no change)   END (from either) ─▶ COMPLETED
 *
 *   START   a unit of the job started               RUN     units settled, some running
 *   WAIT    units settled: none running, some pending
 *   DONE    units settled: all done, none failed    FAIL    all done, some failed
 *   CANCEL  cancelled by a user                     END     ended (a service's end)
 *   (DONE and FAIL come from PENDING too: a task array whose last pending tasks were
 *   cancelled while none ran; CANCEL settles one none of whose tasks ended at all.)
 *
 * Terminal states (COMPLETED, FAILED, CANCELLED) have no way out. */
#include <assert.h>

#include "core/sched_int.h"

#define P (1u << GT_JOB_PENDING)
#define R (1u << GT_JOB_RUNNING)

static const struct {
    uint8_t from; /* mask of the states the event may come from */
    uint8_t to;
} table[CORE_JOB__NEVENTS] = {
    [CORE_JOB_START] = {P | R, GT_JOB_RUNNING}, [CORE_JOB_RUN] = {P | R, GT_JOB_RUNNING},
    [CORE_JOB_WAIT] = {P | R, GT_JOB_PENDING},  [CORE_JOB_DONE] = {P | R, GT_JOB_COMPLETED},
    [CORE_JOB_FAIL] = {P | R, GT_JOB_FAILED},   [CORE_JOB_CANCEL] = {P | R, GT_JOB_CANCELLED},
    [CORE_JOB_END] = {P | R, GT_JOB_COMPLETED},
};

int core_job_transition(uint8_t from, core_job_ev ev, uint8_t *to) {
    if ((unsigned)ev >= CORE_JOB__NEVENTS || from >= GT_JOB__NSTATES ||
        !(table[ev].from >> from & 1))
        return 0;
    *to = table[ev].to;
    return 1;
}

void core_job_event(gt_sched *s, job_t *jb, core_job_ev ev) {
    uint8_t to = jb->state;
    int ok = core_job_transition(jb->state, ev, &to);
    assert(ok && "job lifecycle: event not allowed in this state");
    if (!ok)
        return; /* release builds: the state stays as it was */
    s->st.jobs[jb->state][jb->kind]--;
    jb->state = to;
    s->st.jobs[to][jb->kind]++;
}
