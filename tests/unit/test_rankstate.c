/* SPDX-License-Identifier: MIT
 * agent/rankstate.c: a rank's lifecycle on the agent. Every (from, to) pair is checked
 * against the diagram there: forward along NEW, RUNNING, ENDED, QUEUED, ACKED; NEW may
 * end without running; QUEUED may be queued again; ACKED is final; adoption may jump to
 * ACKED; nothing goes back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "agent/agent_int.h"

static void test_every_move(void **state) {
    (void)state;
    enum {
        N = AGENT_RANK_NEW,
        R = AGENT_RANK_RUNNING,
        E = AGENT_RANK_ENDED,
        Q = AGENT_RANK_QUEUED,
        A = AGENT_RANK_ACKED
    };
    static const int ok[AGENT_RANK__N][AGENT_RANK__N] = {
        /* to:  N  R  E  Q  A */
        [N] = {0, 1, 1, 0, 1}, [R] = {0, 0, 1, 0, 1}, [E] = {0, 0, 0, 1, 1},
        [Q] = {0, 0, 0, 1, 1}, [A] = {0, 0, 0, 0, 0},
    };
    for (int from = 0; from < AGENT_RANK__N; from++)
        for (int to = 0; to < AGENT_RANK__N; to++)
            if (agent_rank_can((agent_rank_state)from, (agent_rank_state)to) != ok[from][to])
                fail_msg("%d -> %d: allowed %d, want %d", from, to,
                         agent_rank_can((agent_rank_state)from, (agent_rank_state)to),
                         ok[from][to]);
    assert_false(agent_rank_can(AGENT_RANK__N, AGENT_RANK_NEW));
    a_rank r = {0};
    agent_rank_to(&r, AGENT_RANK_RUNNING);
    agent_rank_to(&r, AGENT_RANK_ENDED);
    assert_true(agent_rank_ended(&r));
    agent_rank_to(&r, AGENT_RANK_QUEUED);
    agent_rank_to(&r, AGENT_RANK_ACKED);
    assert_int_equal(r.state, AGENT_RANK_ACKED);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_move)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
