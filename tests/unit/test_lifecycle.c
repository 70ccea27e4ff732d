/* SPDX-License-Identifier: MIT
 * core/lifecycle.c: the job state machine's table. Every (state, event) pair is checked
 * against the diagram in lifecycle.c: terminal states have no way out, DONE and FAIL come
 * only from RUNNING, the rest from PENDING or RUNNING, each to its one state. */
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

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_pair)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
