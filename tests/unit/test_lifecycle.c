/* SPDX-License-Identifier: MIT
 * The core's state machines: the job's (core/lifecycle.c), the unit's
 * (core/unit_lifecycle.c) and the node's (core/node_lifecycle.c). Every (state, event) pair
 * of each table is checked against the diagram in its file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/sched_int.h"

static void test_every_pair(void **state) {
    (void)state;
    static const int want[GT_JOB__NSTATES][CORE_JOB__NEVENTS] = {
        /*           START            RUN              WAIT             DONE
                     FAIL             CANCEL           END */
        [GT_JOB_PENDING] = {GT_JOB_RUNNING, GT_JOB_RUNNING, GT_JOB_PENDING, -1, -1,
                            GT_JOB_CANCELLED, GT_JOB_COMPLETED},
        [GT_JOB_RUNNING] = {GT_JOB_RUNNING, GT_JOB_RUNNING, GT_JOB_PENDING, GT_JOB_COMPLETED,
                            GT_JOB_FAILED, GT_JOB_CANCELLED, GT_JOB_COMPLETED},
        [GT_JOB_COMPLETED] = {-1, -1, -1, -1, -1, -1, -1},
        [GT_JOB_FAILED] = {-1, -1, -1, -1, -1, -1, -1},
        [GT_JOB_CANCELLED] = {-1, -1, -1, -1, -1, -1, -1},
    };
    for (int st = 0; st < GT_JOB__NSTATES; st++)
        for (int ev = 0; ev < CORE_JOB__NEVENTS; ev++) {
            uint8_t to = 99;
            int ok = core_job_transition((uint8_t)st, (core_job_ev)ev, &to);
            if (ok != (want[st][ev] >= 0) || (ok && to != want[st][ev]))
                fail_msg("state %d event %d: allowed %d to %d, want %d", st, ev, ok, to,
                         want[st][ev]);
        }
    uint8_t to = 0;
    assert_false(core_job_transition(GT_JOB__NSTATES, CORE_JOB_START, &to));
    assert_false(core_job_transition(GT_JOB_PENDING, CORE_JOB__NEVENTS, &to));
}

/* The unit's table: START from PENDING, DROP from PENDING or RUNNING, the rest from
 * RUNNING only; DONE, FAILED and DROPPED have no way out. */
static void test_unit_every_pair(void **state) {
    (void)state;
    enum { P = CORE_UNIT_PENDING, R = CORE_UNIT_RUNNING, D = CORE_UNIT_DONE };
    enum { F = CORE_UNIT_FAILED, X = CORE_UNIT_DROPPED };
    static const int want[CORE_UNIT__NSTATES][CORE_UNIT__NEVENTS] = {
        /*     START  REQUEUE  RESTART  EXIT  FAIL  END  DROP */
        [P] = {R, -1, -1, -1, -1, -1, X},   [R] = {-1, P, P, D, F, D, X},
        [D] = {-1, -1, -1, -1, -1, -1, -1}, [F] = {-1, -1, -1, -1, -1, -1, -1},
        [X] = {-1, -1, -1, -1, -1, -1, -1},
    };
    int allowed = 0;
    for (int st = 0; st < CORE_UNIT__NSTATES; st++)
        for (int ev = 0; ev < CORE_UNIT__NEVENTS; ev++) {
            uint8_t to = 99;
            int ok = core_unit_transition((uint8_t)st, (core_unit_ev)ev, &to);
            if (ok != (want[st][ev] >= 0) || (ok && to != want[st][ev]))
                fail_msg("unit state %d event %d: allowed %d to %d, want %d", st, ev, ok, to,
                         want[st][ev]);
            allowed += ok;
        }
    assert_int_equal(allowed, 8);
    uint8_t to = 0;
    assert_false(core_unit_transition(CORE_UNIT__NSTATES, CORE_UNIT_START, &to));
    assert_false(core_unit_transition(CORE_UNIT_PENDING, CORE_UNIT__NEVENTS, &to));
}

/* The node's table allows every move (see node_lifecycle.c for why); only states and
 * events out of range are refused. Each event leads to its one state. */
static void test_node_every_pair(void **state) {
    (void)state;
    static const uint8_t want[CORE_NODE__NEVENTS] = {
        [CORE_NODE_UP] = GT_NODE_UP,
        [CORE_NODE_DRAIN] = GT_NODE_DRAINING,
        [CORE_NODE_DOWN] = GT_NODE_DOWN,
    };
    for (int st = GT_NODE_UP; st <= GT_NODE_DOWN; st++)
        for (int ev = 0; ev < CORE_NODE__NEVENTS; ev++) {
            uint8_t to = 99;
            if (!core_node_transition((uint8_t)st, (core_node_ev)ev, &to) || to != want[ev])
                fail_msg("node state %d event %d: to %d, want %d", st, ev, to, want[ev]);
        }
    uint8_t to = 0;
    assert_false(core_node_transition(GT_NODE_DOWN + 1, CORE_NODE_UP, &to));
    assert_false(core_node_transition(GT_NODE_UP, CORE_NODE__NEVENTS, &to));
    for (int st = GT_NODE_UP; st <= GT_NODE_DOWN; st++)
        assert_int_equal(want[core_node_ev_toward((gt_node_state)st)], st);
    assert_int_equal(core_node_ev_toward((gt_node_state)(GT_NODE_DOWN + 1)), CORE_NODE__NEVENTS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pair),
        cmocka_unit_test(test_unit_every_pair),
        cmocka_unit_test(test_node_every_pair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
