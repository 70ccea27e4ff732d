/* SPDX-License-Identifier: MIT
 * The core's state machines: the job's (core/lifecycle.c), the unit's
 * (core/unit_lifecycle.c) and the node's (core/node_lifecycle.c). Every (state, event) pair
 * of each table is checked against the diagram in its file; a forbidden event changes
 * nothing (release builds, where it does not assert); and a scheduler driven through
 * preemption, restarts, node down and up, drain and resume, cancel and end passes
 * gt_sched_check after every step, with each job's state and units by state as expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/sched_int.h"
#include "fixture.h"

#define MIN(m) ((gt_time)(m)*60000)

static void test_every_pair(void **state) {
    (void)state;
    static const int want[GT_JOB__NSTATES][CORE_JOB__NEVENTS] = {
        /*           START            RUN              WAIT             DONE
                     FAIL             CANCEL           END */
        /* DONE and FAIL from PENDING: a task array whose last pending tasks were cancelled */
        [GT_JOB_PENDING] = {GT_JOB_RUNNING, GT_JOB_RUNNING, GT_JOB_PENDING, GT_JOB_COMPLETED,
                            GT_JOB_FAILED, GT_JOB_CANCELLED, GT_JOB_COMPLETED},
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

static void unit_exits(gt_sched *s, uint32_t j, int ok, gt_time now) {
    uint32_t u = first_unit(s, j);
    assert_true(gt_sched_unit_done(s, j, u, s->units[u].gen, now, ok));
}

static void pass(gt_sched *s, gt_time now) {
    size_t n;
    gt_sched_pass(s, now, &n);
    check(s);
}

static uint32_t restarts(const gt_sched *s, uint32_t j) {
    gt_job_info ji;
    assert_true(gt_sched_job(s, j, &ji));
    return ji.restarts;
}

static gt_node_state node_state(const gt_sched *s, uint32_t v) {
    return (gt_node_state)s->topo->n_state[v];
}

/* Four nodes of 4 GPUs in one domain. B (tasks, 2 x 4 GPUs, one restart) starts at 0, A
 * (train, 8 GPUs, low priority) at 6 min; at 10 min C (train, 8 GPUs, high) preempts A,
 * the cheapest victim (8 GPUs x 4 min against 4 x 10 for each of B's tasks). */
static void test_sched_walk(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 4, 4, 16, 0);
    c->sched.preempt_exempt_ms = 0;
    gt_sched *s = new_sched(c);
    size_t n;
    uint32_t b = submit(s, GT_KIND_TASKS, 2, 4, GT_PRIO_NORMAL, 0);
    expect(s, b, GT_JOB_PENDING, 2, 0, 0, 0);
    pass(s, 0);
    expect(s, b, GT_JOB_RUNNING, 0, 2, 0, 0);
    uint32_t a = submit(s, GT_KIND_TRAIN, 1, 8, GT_PRIO_LOW, MIN(6));
    pass(s, MIN(6));
    expect(s, a, GT_JOB_RUNNING, 0, 1, 0, 0);
    uint32_t cj = submit(s, GT_KIND_TRAIN, 1, 8, GT_PRIO_HIGH, MIN(10));
    pass(s, MIN(10)); /* preemption: A's unit REQUEUE, C's START */
    expect(s, cj, GT_JOB_RUNNING, 0, 1, 0, 0);
    expect(s, a, GT_JOB_PENDING, 1, 0, 0, 0);
    expect(s, b, GT_JOB_RUNNING, 0, 2, 0, 0);
    assert_int_equal(restarts(s, a), 1);

    unit_exits(s, b, 0, MIN(11)); /* RESTART: a restart is left */
    expect(s, b, GT_JOB_RUNNING, 1, 1, 0, 0);
    assert_int_equal(restarts(s, b), 1);
    pass(s, MIN(11)); /* B (normal) before A (low): the task starts again */
    expect(s, b, GT_JOB_RUNNING, 0, 2, 0, 0);
    expect(s, a, GT_JOB_PENDING, 1, 0, 0, 0);

    uint32_t down = s->slots[s->units[first_unit(s, cj)].slot_head].s.node;
    const gt_decision *dec = gt_sched_node_state(s, down, GT_NODE_DOWN, MIN(12), &n);
    assert_int_equal(n, 1); /* C's gang: REQUEUE */
    assert_int_equal(dec[0].job, cj);
    assert_int_equal(dec[0].reason, GT_WHY_NODE_DOWN);
    assert_int_equal(node_state(s, down), GT_NODE_DOWN);
    assert_int_equal(restarts(s, cj), 1);
    expect(s, cj, GT_JOB_PENDING, 1, 0, 0, 0);
    uint32_t drained = s->slots[s->units[first_unit(s, b)].slot_head].s.node;
    gt_sched_node_state(s, drained, GT_NODE_DRAINING, MIN(13), &n);
    assert_int_equal(node_state(s, drained), GT_NODE_DRAINING);
    expect(s, b, GT_JOB_RUNNING, 0, 2, 0, 0); /* draining keeps running work */
    gt_sched_node_state(s, down, GT_NODE_UP, MIN(14), &n);
    assert_int_equal(node_state(s, down), GT_NODE_UP);
    pass(s, MIN(14)); /* C's 8 GPUs are free again: the node that came up and its other */
    expect(s, cj, GT_JOB_RUNNING, 0, 1, 0, 0);
    gt_sched_node_state(s, drained, GT_NODE_UP, MIN(15), &n);
    assert_int_equal(node_state(s, drained), GT_NODE_UP);
    check(s);

    unit_exits(s, b, 0, MIN(16)); /* FAIL: no restart left */
    expect(s, b, GT_JOB_RUNNING, 0, 1, 1, 1);
    pass(s, MIN(16)); /* A needs 8 GPUs, 4 are free, nothing lower to preempt */
    expect(s, a, GT_JOB_PENDING, 1, 0, 0, 0);
    unit_exits(s, b, 1, MIN(17)); /* EXIT: the job settles FAILED (a task failed) */
    expect(s, b, GT_JOB_FAILED, 0, 0, 2, 1);
    pass(s, MIN(17));
    expect(s, a, GT_JOB_RUNNING, 0, 1, 0, 0);
    gt_sched_job_end(s, a, GT_JOB_CANCELLED, MIN(18), &n); /* its unit: END */
    assert_int_equal(n, 1);
    expect(s, a, GT_JOB_CANCELLED, 0, 0, 1, 0);

    uint32_t d = submit(s, GT_KIND_SERVE, 3, 4, GT_PRIO_NORMAL, MIN(19));
    pass(s, MIN(19)); /* 8 GPUs free: two replicas of three */
    expect(s, d, GT_JOB_RUNNING, 1, 2, 0, 0);
    gt_sched_job_end(s, d, GT_JOB_COMPLETED, MIN(20), &n); /* END twice, DROP the third */
    assert_int_equal(n, 2);
    expect(s, d, GT_JOB_COMPLETED, 0, 0, 2, 0);
    unit_exits(s, cj, 1, MIN(21)); /* EXIT */
    expect(s, cj, GT_JOB_COMPLETED, 0, 0, 1, 0);

    gt_sched_stats st;
    gt_sched_get_stats(s, &st);
    assert_int_equal(st.running_units, 0);
    assert_int_equal(st.preemptions, 1);
    assert_int_equal(c->topo->gpus_free[0], 16);
    gt_sched_free(s);
    gt_config_free(c);
}

/* A move the table forbids changes nothing. Debug builds assert instead, so this runs in
 * release builds only. */
static void test_forbidden_changes_nothing(void **state) {
    (void)state;
#ifndef NDEBUG
    skip();
#else
    gt_config *c = fixture_fleet(1, 1, 2, 4, 16, 0);
    gt_sched *s = new_sched(c);
    uint32_t j = submit(s, GT_KIND_TASKS, 2, 4, GT_PRIO_NORMAL, 0);
    job_t *jb = &s->jobs[j];
    core_job_event(s, jb, CORE_JOB__NEVENTS); /* no such event (PENDING allows every one) */
    expect(s, j, GT_JOB_PENDING, 2, 0, 0, 0);
    core_unit_event(s, jb, NULL, CORE_UNIT_EXIT); /* EXIT of a pending unit */
    expect(s, j, GT_JOB_PENDING, 2, 0, 0, 0);
    pass(s, 0);
    unit_exits(s, j, 1, 1);
    expect(s, j, GT_JOB_RUNNING, 0, 1, 1, 0);
    unit_t stale = s->units[first_unit(s, j)];
    stale.running = 0; /* a record that is not running */
    core_unit_event(s, jb, &stale, CORE_UNIT_FAIL);
    expect(s, j, GT_JOB_RUNNING, 0, 1, 1, 0);
    core_unit_event(s, jb, &s->units[first_unit(s, j)], CORE_UNIT_START); /* none pending */
    expect(s, j, GT_JOB_RUNNING, 0, 1, 1, 0);
    uint32_t v = gt_topo_find(c->topo, "b0d0n1");
    gt_sched_node_state(s, v, GT_NODE_DRAINING, 1, &(size_t){0});
    core_node_event(s, v, CORE_NODE__NEVENTS); /* no such event */
    assert_int_equal(node_state(s, v), GT_NODE_DRAINING);
    unit_exits(s, j, 1, 2);
    expect(s, j, GT_JOB_COMPLETED, 0, 0, 2, 0);
    core_job_event(s, jb, CORE_JOB_WAIT); /* no way out of COMPLETED */
    expect(s, j, GT_JOB_COMPLETED, 0, 0, 2, 0);
    gt_sched_free(s);
    gt_config_free(c);
#endif
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
        cmocka_unit_test(test_sched_walk),
        cmocka_unit_test(test_forbidden_changes_nothing),
        cmocka_unit_test(test_check_sees_broken_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
