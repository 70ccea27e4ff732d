/* SPDX-License-Identifier: MIT
 * A unit's lifecycle as a table. A unit is one piece of a job: a train job's gang, one
 * service replica, one task. A job counts its units by state (job_t.pending, running, done,
 * failed); a running unit also has a record (unit_t, running == 1) that holds its slots.
 * core_unit_event is the only writer of those counts and of unit_t.running (gt_sched_submit
 * aside, where every unit is born PENDING, and snapshot restore, which copies saved counts).
 *
 *                  START                        EXIT, END
 *   PENDING ───────────────────▶ RUNNING ───────────────────▶ DONE
 *    │   ▲                         │  │  │        FAIL
 *    │   └─── REQUEUE, RESTART ────┘  │  └───────────────────▶ FAILED
 *    │                                │           DROP
 *    │                                └──────────────────────▶ DROPPED
 *    └────────────────────── DROP ───────────────────────────▶ DROPPED
 *
 *   START    placed: the unit takes its slots (core_unit_start)
 *   REQUEUE  stopped by the scheduler (preempted, its node went down, its gang broke up)
 *   RESTART  exited with an error while its job has restarts left (spec.max_restarts)
 *   EXIT     exited with status 0            FAIL  exited with an error, no restart left
 *   END      its job ended or was cancelled while the unit ran
 *   DROP     it will not run: its job ended or was cancelled before it started (every
 *            pending unit of the job at once, or one task alone: core_unit_drop_one), or
 *            the scheduler stopped it for good
 *
 * DONE, FAILED and DROPPED have no way out. `done` counts DONE and FAILED units (every unit
 * that finished, as gt_job_info.units_done says), `failed` the FAILED ones, `dropped` the
 * DROPPED ones, so pending + running + done + dropped == units always.
 *
 * Which state a unit leaves is known from the call: START leaves PENDING (with the fresh
 * record to fill), DROP without a record leaves PENDING, every other call passes the
 * running unit's record and leaves RUNNING. A call whose state the table does not allow
 * the event from, or whose counts show no unit in that state, is a bug: an assertion in
 * debug builds; release builds change nothing. */
#include <assert.h>

#include "core/sched_int.h"

#define P (1u << CORE_UNIT_PENDING)
#define R (1u << CORE_UNIT_RUNNING)

static const struct {
    uint8_t from; /* mask of the states the event may come from */
    uint8_t to;
} table[CORE_UNIT__NEVENTS] = {
    [CORE_UNIT_START] = {P, CORE_UNIT_RUNNING},    [CORE_UNIT_REQUEUE] = {R, CORE_UNIT_PENDING},
    [CORE_UNIT_RESTART] = {R, CORE_UNIT_PENDING},  [CORE_UNIT_EXIT] = {R, CORE_UNIT_DONE},
    [CORE_UNIT_FAIL] = {R, CORE_UNIT_FAILED},      [CORE_UNIT_END] = {R, CORE_UNIT_DONE},
    [CORE_UNIT_DROP] = {P | R, CORE_UNIT_DROPPED},
};

int core_unit_transition(uint8_t from, core_unit_ev ev, uint8_t *to) {
    if ((unsigned)ev >= CORE_UNIT__NEVENTS || from >= CORE_UNIT__NSTATES ||
        !(table[ev].from >> from & 1))
        return 0;
    *to = table[ev].to;
    return 1;
}

/* The state the call moves a unit out of, and whether the counts hold such a unit. */
static uint8_t from_state(const job_t *jb, const unit_t *un, core_unit_ev ev, int *present) {
    if (ev == CORE_UNIT_START || !un) {
        /* START fills a fresh record; DROP without one takes every pending unit, if any */
        *present = un ? jb->pending > 0 : ev == CORE_UNIT_DROP;
        return CORE_UNIT_PENDING;
    }
    *present = un->running && jb->running > 0;
    return CORE_UNIT_RUNNING;
}

void core_unit_event(gt_sched *s, job_t *jb, unit_t *un, core_unit_ev ev) {
    int present = 0;
    uint8_t from = from_state(jb, un, ev, &present), to = from;
    int ok = present && core_unit_transition(from, ev, &to);
    assert(ok && "unit lifecycle: event not allowed in this state");
    if (!ok)
        return; /* release builds: the counts stay as they were */
    if (from == CORE_UNIT_RUNNING) {
        jb->running--;
        un->running = 0;
        s->st.running_units--;
    } else if (un) {
        jb->pending--;
    } else {
        jb->dropped += jb->pending; /* DROP without a record: every pending unit */
        jb->pending = 0;
        return;
    }
    if (to == CORE_UNIT_RUNNING) {
        jb->running++;
        un->running = 1;
        s->st.running_units++;
    } else if (to == CORE_UNIT_PENDING) {
        jb->pending++;
    } else if (to != CORE_UNIT_DROPPED) {
        jb->done++;
        jb->failed += to == CORE_UNIT_FAILED;
    } else {
        jb->dropped++;
    }
}

void core_unit_drop_one(gt_sched *s, job_t *jb) {
    (void)s;
    assert(jb->pending > 0 && "unit lifecycle: no pending unit to drop");
    if (jb->pending == 0)
        return;
    jb->pending--;
    jb->dropped++;
}
