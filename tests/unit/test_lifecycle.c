/* SPDX-License-Identifier: MIT
 * The core's state machines: the job's (core/lifecycle.c), the unit's
 * (core/unit_lifecycle.c) and the node's (core/node_lifecycle.c). Every (state, event) pair
 * of each table is checked against the diagram in its file, and gt_sched_check sees units
 * that are out of place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/sched_int.h"
#include "fixture.h"

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

static void check(const gt_sched *s) {
    gt_error err;
    if (gt_sched_check(s, &err) != GT_E_OK)
        fail_msg("invariant: %s: %s", err.where, err.msg);
}

static gt_sched *new_sched(gt_config *c) {
    gt_policy p;
    assert_true(gt_policy_by_name("gantry", &p));
    gt_sched *s = gt_sched_new(c, &p);
    assert_non_null(s);
    return s;
}

static uint32_t submit(gt_sched *s, gt_kind kind, int units, int gpus, int prio, gt_time now) {
    gt_jobspec sp;
    gt_jobspec_init(&sp);
    sp.kind = kind;
    sp.gpus = gpus;
    sp.priority = prio;
    if (kind == GT_KIND_TASKS)
        sp.tasks = units, sp.max_restarts = 1;
    if (kind == GT_KIND_SERVE)
        sp.replicas_min = 1, sp.replicas_max = units;
    gt_error err;
    uint32_t j = gt_sched_submit(s, &sp, now, &err);
    if (j == GT_NONE)
        fail_msg("submit: %s: %s", err.where, err.msg);
    return j;
}

/* Job j's state and its units by state (pending, running, done, failed). */
static void expect(const gt_sched *s, uint32_t j, gt_job_state st, uint32_t pending,
                   uint32_t running, uint32_t done, uint32_t failed) {
    gt_job_info ji;
    assert_true(gt_sched_job(s, j, &ji));
    if (ji.state != st || ji.units_pending != pending || ji.units_running != running ||
        ji.units_done != done || ji.units_failed != failed)
        fail_msg("job %u: state %d units %u/%u/%u/%u, want %d %u/%u/%u/%u", j, ji.state,
                 ji.units_pending, ji.units_running, ji.units_done, ji.units_failed, st, pending,
                 running, done, failed);
    check(s);
}

/* The first running unit of job j (its record: index and gen for gt_sched_unit_done). */
static uint32_t first_unit(const gt_sched *s, uint32_t j) {
    uint32_t u = s->jobs[j].run_head;
    assert_int_not_equal(u, GT_NONE);
    return u;
}

static void pass(gt_sched *s, gt_time now) {
    size_t n;
    gt_sched_pass(s, now, &n);
    check(s);
}

/* gt_sched_check sees units out of place: each damage below, made to a consistent
 * scheduler and then undone, fails the check. */
static void test_check_sees_broken_units(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 4, 4, 16, 0);
    gt_sched *s = new_sched(c);
    uint32_t j = submit(s, GT_KIND_TASKS, 5, 4, GT_PRIO_NORMAL, 0); /* 4 run, 1 waits */
    pass(s, 0);
    expect(s, j, GT_JOB_RUNNING, 1, 4, 0, 0);
    job_t *jb = &s->jobs[j];
    unit_t *un = &s->units[first_unit(s, j)];
    gt_error err;
#define BROKEN(field, value)                                                                       \
    do {                                                                                           \
        __typeof__(field) keep = (field);                                                          \
        (field) = (value);                                                                         \
        assert_int_not_equal(gt_sched_check(s, &err), GT_E_OK);                                    \
        (field) = keep;                                                                            \
        check(s);                                                                                  \
    } while (0)
    BROKEN(s->st.running_units, 3u); /* stats */
    BROKEN(un->heap_pos, s->heap_n); /* out of the heap */
    BROKEN(jb->in_queue, 0);         /* listed but not marked */
    BROKEN(s->st.pending_jobs, 0);
    BROKEN(jb->failed, 1); /* failed > done */
    BROKEN(jb->done, jb->nunits + 1);
    BROKEN(s->slots[un->slot_head].unit, un->jnext); /* a slot naming another unit */
    BROKEN(s->unit_free, first_unit(s, j));          /* a running unit on the free list */
#undef BROKEN
    gt_sched_free(s);
    gt_config_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pair),
        cmocka_unit_test(test_unit_every_pair),
        cmocka_unit_test(test_node_every_pair),
        cmocka_unit_test(test_check_sees_broken_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
