/* SPDX-License-Identifier: MIT
 * The scheduler: exact scenarios for gangs, backfill, preemption, quota reclaim, node loss,
 * fair share, services and task arrays, plus a randomised invariant test and determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/sched.h"
#include "fixture.h"
#include "util/rng.h"
#include "util/strbuf.h"

#define MIN(m) ((gt_time)(m)*60000)

static void check(const gt_sched *s) {
    gt_error err;
    if (gt_sched_check(s, &err) != GT_E_OK)
        fail_msg("invariant: %s: %s", err.where, err.msg);
}

static gt_jobspec train(const char *tenant, int gpus, int prio, gt_time est_ms) {
    gt_jobspec sp;
    gt_jobspec_init(&sp);
    snprintf(sp.tenant, sizeof sp.tenant, "%s", tenant);
    sp.gpus = gpus;
    sp.priority = prio;
    sp.estimate_ms = est_ms;
    return sp;
}

static uint32_t submit(gt_sched *s, gt_jobspec sp, gt_time now) {
    gt_error err;
    uint32_t j = gt_sched_submit(s, &sp, now, &err);
    if (j == GT_NONE)
        fail_msg("submit: %s: %s", err.where, err.msg);
    return j;
}

static gt_job_state state(const gt_sched *s, uint32_t j) {
    gt_job_info ji;
    assert_true(gt_sched_job(s, j, &ji));
    return ji.state;
}

/* The first decision of `type` for job j, or NULL. */
static const gt_decision *find(const gt_decision *d, size_t n, int type, uint32_t j) {
    for (size_t i = 0; i < n; i++)
        if (d[i].type == type && d[i].job == j)
            return &d[i];
    return NULL;
}

static gt_sched *new_sched(gt_config *c, const char *policy) {
    gt_policy p;
    assert_true(gt_policy_by_name(policy, &p));
    gt_sched *s = gt_sched_new(c, &p);
    assert_non_null(s);
    return s;
}

static void test_gang_all_or_nothing(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 2, 2, 4, 16, 0); /* 16 GPUs */
    gt_sched *s = new_sched(c, "gantry");
    uint32_t a = submit(s, train("t", 12, 1, 0), 0), b = submit(s, train("t", 8, 1, 0), 0);
    size_t n;
    const gt_decision *d = gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].job, a);
    assert_string_equal(c->topo->level_names[d[0].span_level], "block");
    uint32_t ns;
    const gt_slot *sl = gt_sched_unit_slots(s, a, d[0].unit, d[0].gen, &ns);
    assert_int_equal(ns, 3);
    for (uint32_t i = 0; i < ns; i++)
        assert_int_equal(sl[i].mask, 0xf);
    assert_int_equal(state(s, b), GT_JOB_PENDING);
    assert_int_equal(c->topo->gpus_free[0], 4); /* no partial gang for b */
    check(s);
    assert_true(gt_sched_unit_done(s, a, d[0].unit, d[0].gen, 100, 1));
    assert_false(gt_sched_unit_done(s, a, d[0].unit, d[0].gen, 100, 1)); /* stale */
    assert_int_equal(state(s, a), GT_JOB_COMPLETED);
    d = gt_sched_pass(s, 100, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].job, b);
    assert_string_equal(c->topo->level_names[d[0].span_level], "domain");
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

static void test_backfill_respects_reservation(void **state_) {
    (void)state_;
    const char *pols[] = {"fifo-bf", "fifo"};
    for (int p = 0; p < 2; p++) {
        gt_config *c = fixture_fleet(1, 2, 2, 4, 16, 0);
        gt_sched *s = new_sched(c, pols[p]);
        uint32_t a = submit(s, train("t", 12, 1, 100000), 0);
        size_t n;
        gt_sched_pass(s, 0, &n);
        uint32_t b = submit(s, train("t", 16, 1, 100000), 1); /* head: waits for a */
        uint32_t d = submit(s, train("t", 4, 1, 200000), 2);  /* would delay b */
        uint32_t e = submit(s, train("t", 4, 1, 50000), 3);   /* ends before a does */
        const gt_decision *dec = gt_sched_pass(s, 3, &n);
        assert_int_equal(state(s, a), GT_JOB_RUNNING);
        assert_int_equal(state(s, b), GT_JOB_PENDING);
        assert_int_equal(state(s, d), GT_JOB_PENDING);
        if (p == 0) {
            assert_int_equal(n, 1);
            assert_int_equal(dec[0].job, e);
        } else {
            assert_int_equal(n, 0); /* strict FIFO: nothing passes the blocked head */
            assert_int_equal(state(s, e), GT_JOB_PENDING);
        }
        check(s);
        gt_sched_free(s);
        gt_config_free(c);
    }
}

/* Two low jobs started at 0 and 20 min; a high one arrives at `at`. */
static gt_sched *preempt_setup(gt_config *c, gt_time at, uint32_t *l1, uint32_t *l2, uint32_t *h) {
    gt_sched *s = new_sched(c, "gantry");
    size_t n;
    *l1 = submit(s, train("t", 4, GT_PRIO_LOW, 0), 0);
    gt_sched_pass(s, 0, &n);
    *l2 = submit(s, train("t", 4, GT_PRIO_LOW, 0), MIN(20));
    gt_sched_pass(s, MIN(20), &n);
    *h = submit(s, train("t", 4, GT_PRIO_HIGH, 0), at);
    return s;
}

static void test_preempt_lower_priority_least_lost_work(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 2, 4, 16, 0); /* 8 GPUs */
    uint32_t l1, l2, h;
    size_t n;
    gt_sched *s = preempt_setup(c, MIN(40), &l1, &l2, &h);
    const gt_decision *d = gt_sched_pass(s, MIN(40), &n);
    assert_int_equal(n, 2);
    assert_int_equal(d[0].type, GT_DEC_STOP);
    assert_int_equal(d[0].job, l2); /* 4 GPUs x 20 min lost, not 4 x 40 min */
    assert_int_equal(d[0].reason, GT_WHY_PREEMPTED);
    assert_int_equal(d[1].type, GT_DEC_START);
    assert_int_equal(d[1].job, h);
    gt_job_info ji;
    gt_sched_job(s, l2, &ji);
    assert_int_equal(ji.state, GT_JOB_PENDING);
    assert_int_equal(ji.restarts, 1);
    assert_int_equal(ji.preemptions, 1);
    assert_int_equal(state(s, l1), GT_JOB_RUNNING);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
    /* At 30 min l2 is 10 minutes old, inside the 15-minute exemption: l1 goes instead. */
    c = fixture_fleet(1, 1, 2, 4, 16, 0);
    s = preempt_setup(c, MIN(30), &l1, &l2, &h);
    d = gt_sched_pass(s, MIN(30), &n);
    assert_non_null(find(d, n, GT_DEC_STOP, l1));
    assert_null(find(d, n, GT_DEC_STOP, l2));
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

static void test_quota_reclaim(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 2, 4, 16, 0);
    c->ntenants = 2;
    c->tenants = calloc(2, sizeof *c->tenants);
    snprintf(c->tenants[0].name, sizeof c->tenants[0].name, "a");
    snprintf(c->tenants[1].name, sizeof c->tenants[1].name, "b");
    c->tenants[0].quota_gpus = c->tenants[1].quota_gpus = 4;
    c->tenants[0].share = c->tenants[1].share = 1;
    gt_sched *s = new_sched(c, "gantry");
    size_t n;
    uint32_t b1 = submit(s, train("b", 4, 1, 0), 0), b2 = submit(s, train("b", 4, 1, 0), 0);
    gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 2);
    assert_int_equal(c->topo->borrowed[0], 4); /* b's second job borrows a's quota */
    uint32_t a1 = submit(s, train("a", 4, 1, 0), MIN(20));
    const gt_decision *d = gt_sched_pass(s, MIN(20), &n);
    assert_non_null(find(d, n, GT_DEC_STOP, b2));
    assert_null(find(d, n, GT_DEC_STOP, b1));
    assert_non_null(find(d, n, GT_DEC_START, a1));
    assert_int_equal(c->topo->borrowed[0], 0);
    /* b is at its quota now: another job of b's cannot reclaim anything. */
    uint32_t b3 = submit(s, train("b", 4, 1, 0), MIN(60));
    d = gt_sched_pass(s, MIN(60), &n);
    assert_null(find(d, n, GT_DEC_START, b3));
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

static void test_node_down_requeues_whole_gang(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 2, 2, 4, 16, 0);
    gt_sched *s = new_sched(c, "gantry");
    size_t n;
    uint32_t g = submit(s, train("t", 8, 1, 0), 0);
    const gt_decision *d = gt_sched_pass(s, 0, &n);
    uint32_t ns;
    const gt_slot *sl = gt_sched_unit_slots(s, g, d[0].unit, d[0].gen, &ns);
    assert_int_equal(ns, 2);
    uint32_t victim = sl[1].node;
    d = gt_sched_node_state(s, victim, GT_NODE_DOWN, 50, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].reason, GT_WHY_NODE_DOWN);
    gt_job_info ji;
    gt_sched_job(s, g, &ji);
    assert_int_equal(ji.state, GT_JOB_PENDING);
    assert_int_equal(ji.restarts, 1);
    assert_int_equal(c->topo->gpus_free[0], 12); /* 16 minus the down node */
    check(s);
    d = gt_sched_pass(s, 60, &n);
    assert_int_equal(n, 1);
    sl = gt_sched_unit_slots(s, g, d[0].unit, d[0].gen, &ns);
    for (uint32_t i = 0; i < ns; i++)
        assert_true(sl[i].node != victim);
    /* Draining keeps work running but places nothing new there. */
    gt_sched_node_state(s, sl[0].node, GT_NODE_DRAINING, 70, &n);
    assert_int_equal(n, 0);
    assert_int_equal(state(s, g), GT_JOB_RUNNING);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

static void test_fair_share_orders_tenants(void **state_) {
    (void)state_;
    const char *pols[] = {"gantry", "fifo-bf"};
    for (int p = 0; p < 2; p++) {
        gt_config *c = fixture_fleet(1, 1, 1, 4, 16, 0); /* 4 GPUs */
        gt_sched *s = new_sched(c, pols[p]);
        size_t n;
        uint32_t x1 = submit(s, train("x", 4, 1, 0), 0);
        const gt_decision *d = gt_sched_pass(s, 0, &n);
        uint32_t x2 = submit(s, train("x", 4, 1, 0), 1000);
        uint32_t y1 = submit(s, train("y", 4, 1, 0), 2000);
        gt_sched_pass(s, 2000, &n);
        gt_sched_unit_done(s, x1, d[0].unit, d[0].gen, 3600000, 1);
        d = gt_sched_pass(s, 3600000, &n);
        assert_int_equal(n, 1);
        /* x used the fleet for an hour: y goes first under fair share. */
        assert_int_equal(d[0].job, p == 0 ? y1 : x2);
        if (p == 0) {
            gt_tenant_info tx, ty;
            gt_sched_tenant(s, 0, &tx);
            gt_sched_tenant(s, 1, &ty);
            assert_true(tx.fairshare < ty.fairshare);
        }
        gt_sched_free(s);
        gt_config_free(c);
    }
}

/* Tenants with equal fair-share factors (no usage yet) are merged by submission time. */
static void test_equal_share_merges_by_submit(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 1, 4, 16, 0); /* 4 GPUs */
    gt_sched *s = new_sched(c, "gantry");
    size_t n;
    uint32_t blocker = submit(s, train("z", 4, GT_PRIO_HIGH, 0), 0);
    gt_sched_pass(s, 0, &n);
    uint32_t a1 = submit(s, train("a", 4, 1, 0), 1), b1 = submit(s, train("b", 4, 1, 0), 2);
    uint32_t a2 = submit(s, train("a", 4, 1, 0), 3), b2 = submit(s, train("b", 4, 1, 0), 4);
    uint32_t want[] = {a1, b1, a2, b2};
    gt_time now = 10;
    for (int k = 0; k < 4; k++, now += 10) {
        /* End whatever runs (blocker first, then each started job) and see who is next. */
        for (uint32_t j = 0; j < gt_sched_njobs(s); j++)
            if (state(s, j) == GT_JOB_RUNNING)
                gt_sched_job_end(s, j, GT_JOB_COMPLETED, now, &n);
        const gt_decision *d = gt_sched_pass(s, now, &n);
        assert_int_equal(n, 1);
        assert_int_equal(d[0].job, want[k]);
    }
    assert_int_equal(state(s, blocker), GT_JOB_COMPLETED);
    gt_sched_free(s);
    gt_config_free(c);
}

static void test_serve_min_replicas_start_together(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 3, 4, 16, 0); /* 12 GPUs */
    gt_sched *s = new_sched(c, "gantry");
    size_t n;
    uint32_t blocker = submit(s, train("t", 8, 1, 0), 0);
    gt_sched_pass(s, 0, &n);
    gt_jobspec sv = train("t", 4, 1, 0);
    sv.kind = GT_KIND_SERVE;
    sv.replicas_min = 2;
    sv.replicas_max = 3;
    uint32_t v = submit(s, sv, 1);
    gt_sched_pass(s, 1, &n);
    assert_int_equal(n, 0); /* one node free: min 2 cannot start, and none starts alone */
    assert_int_equal(state(s, v), GT_JOB_PENDING);
    gt_sched_job_end(s, blocker, GT_JOB_CANCELLED, 2, &n);
    assert_int_equal(n, 1);
    assert_int_equal(state(s, blocker), GT_JOB_CANCELLED);
    gt_sched_pass(s, 2, &n);
    assert_int_equal(n, 3); /* min 2 together, then the surplus replica */
    gt_job_info ji;
    gt_sched_job(s, v, &ji);
    assert_int_equal(ji.units_running, 3);
    assert_int_equal(c->topo->borrowed[0], 12); /* no quota: everything borrows */
    check(s);
    gt_sched_job_end(s, v, GT_JOB_COMPLETED, 10, &n);
    assert_int_equal(n, 3);
    assert_int_equal(c->topo->gpus_free[0], 12);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

static void test_task_array_fills_cpu_nodes(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 1, 4, 64, 2); /* 2 CPU nodes x 32 cores */
    gt_sched *s = new_sched(c, "gantry");
    gt_jobspec tk = train("t", 0, 0, 0);
    tk.kind = GT_KIND_TASKS;
    tk.tasks = 10;
    tk.cpus = 16;
    uint32_t j = submit(s, tk, 0);
    size_t n;
    const gt_decision *d = gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 4);
    uint32_t u = d[0].unit, gen = d[0].gen;
    gt_job_info ji;
    gt_sched_job(s, j, &ji);
    assert_int_equal(ji.units_running, 4);
    assert_int_equal(ji.units_pending, 6);
    assert_int_equal(c->topo->gpus_free[0], 4); /* GPU node untouched */
    gt_sched_unit_done(s, j, u, gen, 10, 1);
    d = gt_sched_pass(s, 10, &n);
    assert_int_equal(n, 1);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

static void test_hold_release(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 1, 4, 64, 0); /* one 4-GPU node */
    gt_sched *s = new_sched(c, "gantry");
    gt_error err;
    size_t n;
    uint32_t a = submit(s, train("t", 4, 1, 0), 0), b = submit(s, train("t", 4, 1, 0), 1);
    assert_int_equal(gt_sched_hold(s, a, &err), GT_E_OK);
    assert_int_equal(gt_sched_hold(s, a, &err), GT_E_STATE); /* already held */
    const gt_decision *d = gt_sched_pass(s, 2, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].job, b); /* a waits although it came first */
    gt_job_info ji;
    gt_sched_job(s, a, &ji);
    assert_true(ji.held);
    assert_int_equal(ji.state, GT_JOB_PENDING);
    check(s);
    assert_int_equal(gt_sched_release(s, a, &err), GT_E_OK);
    gt_sched_job_end(s, b, GT_JOB_COMPLETED, 3, &n);
    d = gt_sched_pass(s, 3, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].job, a);
    assert_int_equal(gt_sched_hold(s, b, &err), GT_E_STATE); /* finished */
    assert_int_equal(gt_sched_release(s, 99, &err), GT_E_NOT_FOUND);
    /* A held task array keeps its running tasks and starts no more. */
    gt_jobspec tk = train("t", 0, 0, 0);
    tk.kind = GT_KIND_TASKS;
    tk.tasks = 8;
    tk.cpus = 16;
    gt_sched_job_end(s, a, GT_JOB_COMPLETED, 4, &n);
    uint32_t t = submit(s, tk, 4);
    d = gt_sched_pass(s, 4, &n);
    assert_int_equal(n, 4); /* 64 cores / 16 */
    uint32_t u = d[0].unit, gen = d[0].gen;
    assert_int_equal(gt_sched_hold(s, t, &err), GT_E_OK);
    assert_true(gt_sched_unit_done(s, t, u, gen, 5, 1)); /* room for one more task ... */
    gt_sched_pass(s, 5, &n);
    assert_int_equal(n, 0); /* ... but the array is held */
    gt_sched_job(s, t, &ji);
    assert_int_equal(ji.units_running, 3);
    assert_int_equal(ji.units_pending, 4);
    assert_int_equal(gt_sched_release(s, t, &err), GT_E_OK);
    gt_sched_pass(s, 6, &n);
    assert_int_equal(n, 1);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

static gt_wait_reason wait_of(const gt_sched *s, uint32_t j) {
    gt_job_info ji;
    assert_true(gt_sched_job(s, j, &ji));
    return ji.wait;
}

/* Why a pending job waits: held, quota, resources, priority; none once it runs or ends. */
static void test_wait_reason(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 2, 2, 4, 16, 0); /* 2 domains x 2 nodes x 4 GPUs */
    c->ntenants = 2;
    c->tenants = calloc(2, sizeof *c->tenants);
    snprintf(c->tenants[0].name, sizeof c->tenants[0].name, "a");
    snprintf(c->tenants[1].name, sizeof c->tenants[1].name, "capped");
    c->tenants[0].share = c->tenants[1].share = 1;
    c->tenants[1].limit_gpus = 4;
    gt_sched *s = new_sched(c, "fifo"); /* no backfill: nothing passes a blocked job */
    gt_error err;
    size_t n;
    uint32_t big = submit(s, train("a", 12, 1, 0), 0);
    assert_int_equal(wait_of(s, big), GT_WAIT_PRIORITY); /* no pass yet */
    gt_sched_pass(s, 1, &n);
    assert_int_equal(wait_of(s, big), GT_WAIT_NONE); /* running */
    uint32_t wide = submit(s, train("a", 8, 1, 0), 2), small = submit(s, train("a", 4, 1, 0), 2);
    uint32_t held = submit(s, train("a", 4, 1, 0), 2);
    assert_int_equal(gt_sched_hold(s, held, &err), GT_E_OK);
    gt_sched_pass(s, 3, &n);
    assert_int_equal(n, 0);
    assert_int_equal(wait_of(s, wide), GT_WAIT_RESOURCES);
    assert_int_equal(wait_of(s, small), GT_WAIT_PRIORITY); /* fits, but behind `wide` */
    assert_int_equal(wait_of(s, held), GT_WAIT_HELD);
    const char *const names[] = {"",         "priority", "held", "quota",     "resources",
                                 "topology", "backoff",  "idle", "dependency"};
    for (int r = 0; r < GT_WAIT__COUNT; r++)
        assert_string_equal(gt_wait_reason_name((gt_wait_reason)r), names[r]);
    assert_string_equal(gt_wait_reason_name(GT_WAIT__COUNT), "");
    gt_sched_job_end(s, big, GT_JOB_CANCELLED, 4, &n);
    gt_sched_job_end(s, wide, GT_JOB_CANCELLED, 4, &n);
    gt_sched_job_end(s, small, GT_JOB_CANCELLED, 4, &n);
    gt_sched_job_end(s, held, GT_JOB_CANCELLED, 4, &n);
    assert_int_equal(wait_of(s, held), GT_WAIT_NONE); /* ended */
    /* A tenant at its limit: its next job waits for quota, though GPUs are free. */
    uint32_t q1 = submit(s, train("capped", 4, 1, 0), 5),
             q2 = submit(s, train("capped", 4, 1, 0), 5);
    gt_sched_pass(s, 6, &n);
    assert_int_equal(n, 1);
    assert_int_equal(wait_of(s, q1), GT_WAIT_NONE);
    assert_int_equal(wait_of(s, q2), GT_WAIT_QUOTA);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

/* The domain a running unit's first node is in. */
static uint32_t domain_of(const gt_sched *s, const gt_decision *d) {
    uint32_t ns;
    const gt_slot *sl = gt_sched_unit_slots(s, d->job, d->unit, d->gen, &ns);
    assert_non_null(sl);
    return gt_sched_topo(s)->parent[sl[0].node];
}

/* Free GPUs on two nodes of two domains: a gang within one domain waits for topology, a
 * larger one for resources. */
static void test_wait_reason_topology(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 2, 2, 4, 16, 0);
    gt_sched *s = new_sched(c, "gantry");
    size_t n;
    for (int i = 0; i < 4; i++)
        submit(s, train("t", 4, 1, 0), 0);
    const gt_decision *d = gt_sched_pass(s, 1, &n);
    assert_int_equal(n, 4);
    gt_decision first = d[0], other = d[0];
    for (size_t i = 1; i < n; i++)
        if (domain_of(s, &d[i]) != domain_of(s, &first))
            other = d[i];
    assert_true(domain_of(s, &other) != domain_of(s, &first));
    assert_true(gt_sched_unit_done(s, first.job, first.unit, first.gen, 2, 1));
    assert_true(gt_sched_unit_done(s, other.job, other.unit, other.gen, 2, 1));
    gt_jobspec sp = train("t", 8, 1, 0);
    sp.gpus_per_node = 4;
    snprintf(sp.within, sizeof sp.within, "domain");
    uint32_t within = submit(s, sp, 3);
    sp = train("t", 12, 1, 0);
    sp.gpus_per_node = 4;
    uint32_t large = submit(s, sp, 3);
    gt_sched_pass(s, 4, &n);
    assert_int_equal(n, 0);
    assert_int_equal(wait_of(s, within), GT_WAIT_TOPOLOGY);
    assert_int_equal(wait_of(s, large), GT_WAIT_RESOURCES);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

static void test_rejects_impossible(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 2, 4, 16, 0);
    gt_sched *s = new_sched(c, "gantry");
    gt_error err;
    gt_jobspec sp = train("t", 12, 1, 0);
    assert_true(gt_sched_submit(s, &sp, 0, &err) == GT_NONE);
    assert_int_equal(err.code, GT_E_IMPOSSIBLE);
    sp = train("t", 4, 1, 0);
    snprintf(sp.gpu_model, sizeof sp.gpu_model, "B200");
    assert_true(gt_sched_submit(s, &sp, 0, &err) == GT_NONE);
    assert_non_null(strstr(err.msg, "B200"));
    sp = train("t", 4, 1, 0);
    snprintf(sp.within, sizeof sp.within, "rack");
    assert_true(gt_sched_submit(s, &sp, 0, &err) == GT_NONE);
    assert_int_equal(err.code, GT_E_INVALID);
    sp = train("t", 0, 1, 0);
    assert_true(gt_sched_submit(s, &sp, 0, &err) == GT_NONE); /* train without GPUs or cpus */
    assert_int_equal(gt_sched_njobs(s), 0);
    gt_sched_free(s);
    gt_config_free(c);
}

/* ---- randomised: thousands of operations, invariants after each ---- */

typedef struct {
    uint32_t job, unit, gen;
} run_t;

typedef struct {
    run_t *v;
    size_t n, cap;
    uint64_t hash;
} runs_t;

static void track(runs_t *r, const gt_decision *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        r->hash = (r->hash ^ (d[i].type + 7u * d[i].job + 131u * d[i].unit)) * 1099511628211ULL;
        if (d[i].type != GT_DEC_START)
            continue;
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 64;
            r->v = realloc(r->v, r->cap * sizeof *r->v);
        }
        r->v[r->n++] = (run_t){d[i].job, d[i].unit, d[i].gen};
    }
}

static gt_jobspec random_spec(gt_rng *g) {
    static const char *tenants[] = {"a", "b", "c"};
    gt_jobspec sp = train(tenants[gt_rng_below(g, 3)], 1 << gt_rng_below(g, 5),
                          (int)gt_rng_below(g, GT_NPRIO), (gt_time)gt_rng_below(g, 5000));
    switch (gt_rng_below(g, 5)) {
    case 4: /* shares of one GPU: tasks or replicas */
        sp.kind = gt_rng_below(g, 2) ? GT_KIND_TASKS : GT_KIND_SERVE;
        sp.gpus = 1;
        sp.gpu_milli = 1 + (int)gt_rng_below(g, 999);
        sp.cpus = 1 + (int)gt_rng_below(g, 4);
        if (sp.kind == GT_KIND_TASKS)
            sp.tasks = 1 + (int)gt_rng_below(g, 8);
        else
            sp.replicas_max = 1 + (int)gt_rng_below(g, 3);
        break;
    case 0:
        sp.kind = GT_KIND_SERVE;
        sp.gpus = 1 + (int)gt_rng_below(g, 4);
        sp.replicas_min = 1 + (int)gt_rng_below(g, 2);
        sp.replicas_max = sp.replicas_min + (int)gt_rng_below(g, 2);
        break;
    case 1:
        sp.kind = GT_KIND_TASKS;
        sp.gpus = gt_rng_below(g, 3) == 0;
        sp.cpus = 1 + (int)gt_rng_below(g, 16);
        sp.tasks = 1 + (int)gt_rng_below(g, 6);
        break;
    default:
        if (gt_rng_below(g, 4) == 0)
            snprintf(sp.within, sizeof sp.within, "domain");
    }
    return sp;
}

/* An array of 1-GPU tasks of tenant a, submitted at time 0. */
static uint32_t submit_tasks(gt_sched *s, int tasks, int max_restarts) {
    gt_jobspec sp = train("a", 1, GT_PRIO_NORMAL, 0);
    sp.kind = GT_KIND_TASKS;
    sp.tasks = tasks;
    sp.max_restarts = max_restarts;
    gt_error err;
    return gt_sched_submit(s, &sp, 0, &err);
}

/* Units carry their index in the job: tasks are numbered 0..N-1, and a task that is
 * requeued starts again under its own number. */
static void test_unit_indices(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 2, 4, 32, 0);
    gt_sched *s = new_sched(c, "gantry");
    uint32_t j = submit_tasks(s, 6, 0);
    size_t n;
    const gt_decision *d = gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 6);
    uint32_t seen = 0, node0 = GT_NONE, on_node0 = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(d[i].index < 6);
        seen |= 1u << d[i].index;
        uint32_t ns;
        const gt_slot *sl = gt_sched_unit_slots(s, j, d[i].unit, d[i].gen, &ns);
        if (node0 == GT_NONE)
            node0 = sl[0].node;
        if (sl[0].node == node0)
            on_node0 |= 1u << d[i].index;
    }
    assert_int_equal(seen, 0x3f);
    d = gt_sched_node_state(s, node0, GT_NODE_DOWN, 10, &n);
    assert_true(n > 0);
    d = gt_sched_pass(s, 20, &n);
    uint32_t again = 0;
    for (size_t i = 0; i < n; i++)
        again |= 1u << d[i].index;
    /* Requeued tasks start again under their own numbers (as many as fit on node 1). */
    assert_true(again != 0);
    assert_int_equal(again & ~on_node0, 0);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

/* A failed unit starts again while the job has restarts left, under the same task number;
 * then the job fails. */
static void test_max_restarts(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 1, 4, 32, 0);
    gt_sched *s = new_sched(c, "gantry");
    uint32_t j = submit_tasks(s, 2, 2);
    size_t n;
    const gt_decision *d = gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 2);
    uint32_t idx = d[0].index, u = d[0].unit, gen = d[0].gen;
    assert_true(gt_sched_unit_done(s, j, d[1].unit, d[1].gen, 1, 1)); /* the other task: ok */
    gt_job_info ji;
    for (int attempt = 0; attempt < 3; attempt++) {
        assert_true(gt_sched_unit_done(s, j, u, gen, 10 + attempt, 0)); /* fails */
        assert_true(gt_sched_job(s, j, &ji));
        if (attempt == 2)
            break;
        assert_int_equal(ji.state, GT_JOB_PENDING);
        assert_int_equal(ji.restarts, (uint32_t)attempt + 1);
        d = gt_sched_pass(s, 20 + attempt, &n);
        assert_int_equal(n, 1);
        assert_int_equal(d[0].index, idx); /* its own task number again */
        u = d[0].unit;
        gen = d[0].gen;
        check(s);
    }
    assert_int_equal(ji.state, GT_JOB_FAILED); /* out of restarts */
    assert_int_equal(ji.restarts, 2);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

static gt_config *random_config(void) {
    gt_config *c = fixture_fleet(2, 2, 3, 4, 32, 3);
    c->ntenants = 2;
    c->tenants = calloc(2, sizeof *c->tenants);
    snprintf(c->tenants[0].name, 48, "a");
    snprintf(c->tenants[1].name, 48, "b");
    c->tenants[0].quota_gpus = 16;
    c->tenants[1].quota_gpus = 8;
    c->tenants[1].limit_gpus = 12; /* checked by gt_sched_check after every few operations */
    c->tenants[0].share = c->tenants[1].share = 1;
    return c;
}

/* Save s, load the snapshot into a scheduler on a fresh copy of the config, free the old
 * one: the run must go on exactly as if nothing happened. */
static gt_sched *snapshot_swap(gt_sched *s, gt_config **c, const char *policy) {
    gt_sb sb;
    gt_sb_init(&sb);
    gt_sched_save(s, &sb);
    assert_false(sb.oom);
    gt_config *c2 = random_config();
    gt_sched *s2 = new_sched(c2, policy);
    gt_error err = {0};
    if (gt_sched_load(s2, sb.s, sb.len, &err))
        fail_msg("load: %s", err.msg);
    /* A damaged snapshot is refused, not trusted. */
    gt_config *c3 = random_config();
    gt_sched *s3 = new_sched(c3, policy);
    assert_int_equal(gt_sched_load(s3, sb.s, sb.len - 1, &err), GT_E_PARSE);
    /* Another version's format is named as such. */
    char magic = sb.s[7];
    sb.s[7] = (char)(magic == '9' ? '0' : magic + 1);
    assert_int_equal(gt_sched_load(s3, sb.s, sb.len, &err), GT_E_PARSE);
    assert_non_null(strstr(err.msg, "another version of gantry"));
    sb.s[7] = magic;
    gt_sched_free(s3);
    gt_config_free(c3);
    gt_sb_free(&sb);
    gt_sched_free(s);
    gt_config_free(*c);
    *c = c2;
    check(s2);
    return s2;
}

static uint64_t random_run_snap(uint64_t seed, const char *policy, int snap_at) {
    gt_rng g;
    gt_rng_seed(&g, seed);
    gt_config *c = random_config();
    gt_sched *s = new_sched(c, policy);
    runs_t r = {0};
    gt_time now = 0;
    size_t n;
    for (int op = 0; op < 3000; op++) {
        now += (gt_time)gt_rng_below(&g, 1000);
        uint64_t what = gt_rng_below(&g, 20);
        if (what < 7) {
            gt_jobspec sp = random_spec(&g);
            gt_error err;
            gt_sched_submit(s, &sp, now, &err); /* impossible shapes may be refused */
        } else if (what < 13 && r.n) {
            size_t i = gt_rng_below(&g, r.n);
            gt_sched_unit_done(s, r.v[i].job, r.v[i].unit, r.v[i].gen, now,
                               gt_rng_below(&g, 10) != 0);
            r.v[i] = r.v[--r.n];
        } else if (what < 15) {
            uint32_t node = (uint32_t)gt_rng_below(&g, c->topo->nv);
            if (gt_topo_is_node(c->topo, node)) {
                const gt_decision *d =
                    gt_sched_node_state(s, node, (gt_node_state)gt_rng_below(&g, 3), now, &n);
                track(&r, d, n);
            }
        } else if (what >= 16 && gt_sched_njobs(s)) {
            uint32_t j = (uint32_t)gt_rng_below(&g, gt_sched_njobs(s));
            gt_error err;
            (what == 16 ? gt_sched_hold : gt_sched_release)(s, j, &err);
        } else if (what == 15 && gt_sched_njobs(s)) {
            uint32_t j = (uint32_t)gt_rng_below(&g, gt_sched_njobs(s));
            const gt_decision *d = gt_sched_job_end(s, j, GT_JOB_CANCELLED, now, &n);
            track(&r, d, n);
        }
        const gt_decision *d = gt_sched_pass(s, now, &n);
        track(&r, d, n);
        if (op % 7 == 0)
            check(s);
        if (op == snap_at || (snap_at < 0 && op == -snap_at))
            s = snapshot_swap(s, &c, policy);
    }
    /* Bring every node up and end every job: all resources come back. */
    for (uint32_t v = 0; v < c->topo->nv; v++)
        if (gt_topo_is_node(c->topo, v))
            gt_sched_node_state(s, v, GT_NODE_UP, now, &n);
    for (uint32_t j = 0; j < gt_sched_njobs(s); j++)
        gt_sched_job_end(s, j, GT_JOB_CANCELLED, now, &n);
    check(s);
    assert_int_equal(c->topo->gpus_free[0], c->topo->gpus_total[0]);
    assert_int_equal(c->topo->cpus_free[0], c->topo->cpus_total[0]);
    for (uint32_t t = 0; t < gt_sched_ntenants(s); t++) {
        gt_tenant_info ti;
        gt_sched_tenant(s, t, &ti);
        assert_int_equal(ti.gpus_held, 0);
    }
    gt_sched_stats st;
    gt_sched_get_stats(s, &st);
    assert_true(st.starts > 100); /* the run did real work */
    uint64_t h = r.hash;
    free(r.v);
    r.v = NULL;
    gt_sched_free(s);
    gt_config_free(c);
    return h;
}

static uint64_t random_run(uint64_t seed, const char *policy) {
    return random_run_snap(seed, policy, -1000000);
}

/* A snapshot taken at any point and loaded into a fresh scheduler continues the run with
 * exactly the same decisions (their hash over the whole run is equal). */
static void test_snapshot_continues_exactly(void **state_) {
    (void)state_;
    const char *pols[] = {"gantry", "fifo-bf"};
    for (int p = 0; p < 2; p++)
        for (int at = 0; at < 3000; at += 997)
            assert_true(random_run_snap(7, pols[p], at) == random_run(7, pols[p]));
}

static void test_random_invariants(void **state_) {
    (void)state_;
    const char *pols[] = {"gantry", "fifo", "fifo-bf", "gantry-firstfit"};
    for (int p = 0; p < 4; p++)
        for (uint64_t seed = 1; seed <= 3; seed++)
            random_run(seed, pols[p]);
}

static void test_deterministic(void **state_) {
    (void)state_;
    assert_true(random_run(99, "gantry") == random_run(99, "gantry"));
    assert_true(random_run(99, "gantry") != random_run(98, "gantry"));
}

/* GPUs off (missing or unhealthy): never free, even when the work that held one ends, so
 * nothing lands on them; put back, they are free again. */
static void test_gpus_off(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 1, 4, 16, 0);
    gt_sched *s = new_sched(c, "gantry");
    uint32_t node = 0;
    while (!gt_topo_is_node(c->topo, node))
        node++;
    size_t n;
    uint32_t a = submit(s, train("t", 2, 1, 0), 0);
    const gt_decision *d = gt_sched_pass(s, 0, &n);
    gt_decision da = d[0];
    uint32_t ns;
    uint32_t held = gt_sched_unit_slots(s, a, da.unit, da.gen, &ns)[0].mask;
    uint32_t idle = 0xf & ~held;
    uint32_t off = (held & -held) | (idle & -idle); /* one held GPU, one idle */
    gt_error err;
    assert_int_equal(gt_sched_node_gpus_off(s, 99, off, &err), GT_E_NOT_FOUND);
    assert_int_equal(gt_sched_node_gpus_off(s, node, off, &err), GT_E_OK);
    check(s);
    assert_int_equal(c->topo->gpus_free[0], 1);
    uint32_t b = submit(s, train("t", 2, 1, 0), 1);
    d = gt_sched_pass(s, 1, &n);
    assert_int_equal(n, 0); /* 1 GPU free */
    gt_sched_unit_done(s, a, da.unit, da.gen, 2, 1);
    check(s);
    assert_int_equal(c->topo->gpus_free[0], 2); /* the held GPU that is off stays off */
    d = gt_sched_pass(s, 3, &n);
    assert_int_equal(n, 1);
    assert_int_equal(gt_sched_unit_slots(s, b, d[0].unit, d[0].gen, &ns)[0].mask & off, 0);
    assert_int_equal(gt_sched_node_gpus_off(s, node, 0, &err), GT_E_OK);
    check(s);
    assert_int_equal(c->topo->gpus_free[0], 2);
    gt_sched_free(s);
    gt_config_free(c);
}

/* Hot spares: a gang that loses a node starts again inside the same domain when a spare
 * node there has room, though best fit alone would pick the fuller domain. */
static void test_hot_spare(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 2, 4, 4, 16, 0);
    gt_sched *s = new_sched(c, "gantry");
    size_t n;
    gt_jobspec g = train("t", 8, 1, 0);
    g.gpus_per_node = 4;
    uint32_t gang = submit(s, g, 0);
    const gt_decision *d = gt_sched_pass(s, 0, &n);
    uint32_t ns;
    const gt_slot *sl = gt_sched_unit_slots(s, gang, d[0].unit, d[0].gen, &ns);
    uint32_t dom = c->topo->parent[sl[0].node], lost = sl[0].node;
    /* The other domain gets two nodes of other work (the gang's domain drained meanwhile,
     * so that it goes there): fuller than the gang's domain will be, with room for it. */
    uint32_t kids = c->topo->child0[dom], nk = c->topo->nchild[dom];
    for (uint32_t k = kids; k < kids + nk; k++)
        gt_sched_node_state(s, k, GT_NODE_DRAINING, 1, &n);
    gt_jobspec f = train("t", 8, 1, 0);
    f.gpus_per_node = 4;
    submit(s, f, 1);
    d = gt_sched_pass(s, 1, &n);
    assert_int_equal(n, 1);
    sl = gt_sched_unit_slots(s, d[0].job, d[0].unit, d[0].gen, &ns);
    assert_int_not_equal(c->topo->parent[sl[0].node], dom);
    for (uint32_t k = kids; k < kids + nk; k++)
        gt_sched_node_state(s, k, GT_NODE_UP, 1, &n);
    d = gt_sched_node_state(s, lost, GT_NODE_DOWN, 2, &n);
    assert_int_equal(n, 1);
    check(s);
    d = gt_sched_pass(s, 3, &n);
    assert_int_equal(n, 1);
    sl = gt_sched_unit_slots(s, gang, d[0].unit, d[0].gen, &ns);
    for (uint32_t i = 0; i < ns; i++) {
        assert_int_equal(c->topo->parent[sl[i].node], dom);
        assert_int_not_equal(sl[i].node, lost);
    }
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

/* Dependencies: afterok waits for the other job to complete, afterany for any end, after
 * for a start; afterok of a job that failed is never met: the job is cancelled, saying
 * which. A snapshot keeps waiting jobs waiting. */
static void test_dependencies(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 2, 4, 16, 0);
    gt_sched *s = new_sched(c, "gantry");
    size_t n;
    uint32_t a = submit(s, train("t", 1, 1, 0), 0), b = submit(s, train("t", 1, 1, 0), 0);
    gt_jobspec ok = train("t", 1, 1, 0), any = ok, after = ok, never = ok;
    ok.ndeps = any.ndeps = after.ndeps = never.ndeps = 1;
    ok.dep_job[0] = a, ok.dep_type[0] = GT_DEP_AFTEROK;
    any.dep_job[0] = b, any.dep_type[0] = GT_DEP_AFTERANY;
    after.dep_job[0] = b, after.dep_type[0] = GT_DEP_AFTER;
    never.dep_job[0] = b, never.dep_type[0] = GT_DEP_AFTEROK;
    gt_jobspec bad = ok;
    bad.dep_job[0] = 99;
    gt_error err;
    assert_int_equal(gt_sched_submit(s, &bad, 0, &err), GT_NONE);
    assert_int_equal(err.code, GT_E_NOT_FOUND);
    uint32_t jok = submit(s, ok, 0), jany = submit(s, any, 0), jnever = submit(s, never, 0);
    const gt_decision *d = gt_sched_pass(s, 1, &n);
    assert_int_equal(n, 2); /* a and b only */
    check(s);
    assert_int_equal(wait_of(s, jok), GT_WAIT_DEPENDENCY);
    uint32_t jafter = submit(s, after, 2); /* b has started: met at once */
    assert_int_equal(state(s, jafter), GT_JOB_PENDING);
    assert_int_not_equal(wait_of(s, jafter), GT_WAIT_DEPENDENCY);
    gt_decision da = d[0].job == a ? d[0] : d[1], db = d[0].job == b ? d[0] : d[1];
    gt_sb sb;
    gt_sb_init(&sb);
    gt_sched_save(s, &sb);
    gt_config *c2 = fixture_fleet(1, 1, 2, 4, 16, 0);
    gt_sched *s2 = new_sched(c2, "gantry");
    assert_int_equal(gt_sched_load(s2, sb.s, sb.len, &err), GT_E_OK);
    check(s2);
    assert_int_equal(wait_of(s2, jok), GT_WAIT_DEPENDENCY);
    gt_sb_free(&sb);
    gt_sched_free(s2);
    gt_config_free(c2);
    gt_sched_unit_done(s, a, da.unit, da.gen, 3, 1); /* a completes */
    gt_sched_unit_done(s, b, db.unit, db.gen, 3, 0); /* b fails */
    d = gt_sched_pass(s, 4, &n);
    check(s);
    assert_non_null(find(d, n, GT_DEC_START, jok));
    assert_non_null(find(d, n, GT_DEC_START, jany));
    assert_int_equal(state(s, jnever), GT_JOB_CANCELLED);
    gt_job_info ji;
    assert_true(gt_sched_job(s, jnever, &ji));
    assert_int_equal(ji.dep_broken, b);
    assert_int_equal(ji.dep_broken_type, GT_DEP_AFTEROK);
    assert_true(gt_sched_job(s, jok, &ji));
    assert_int_equal(ji.dep_broken, GT_NONE);
    gt_sched_free(s);
    gt_config_free(c);
}

/* A throttled array runs at most max_running tasks at once, and a task that ends lets the
 * next one start; the rest waits without holding back other jobs. */
static void test_throttled_array(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 4, 4, 16, 0);
    gt_sched *s = new_sched(c, "gantry");
    gt_jobspec a = train("t", 1, 1, 0);
    a.kind = GT_KIND_TASKS;
    a.tasks = 10;
    a.max_running = 3;
    uint32_t arr = submit(s, a, 0), other = submit(s, train("t", 1, 1, 0), 0);
    size_t n;
    const gt_decision *d = gt_sched_pass(s, 1, &n);
    check(s);
    size_t started = 0;
    gt_decision first = {0};
    for (size_t i = 0; i < n; i++)
        if (d[i].job == arr && d[i].type == GT_DEC_START)
            first = d[i], started++;
    assert_int_equal(started, 3);
    assert_non_null(find(d, n, GT_DEC_START, other)); /* not held back */
    gt_sched_unit_done(s, arr, first.unit, first.gen, 2, 1);
    d = gt_sched_pass(s, 3, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].job, arr);
    gt_job_info ji;
    gt_sched_job(s, arr, &ji);
    assert_int_equal(ji.units_running, 3);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

/* sched.max_starts_per_pass: a pass stops at its most decisions and says so; the next
 * goes on where it stopped, until everything that fits has started. */
static void test_pass_limit(void **state_) {
    (void)state_;
    gt_config *c = fixture_fleet(1, 1, 4, 4, 16, 0);
    c->sched.max_starts_per_pass = 20;
    gt_sched *s = new_sched(c, "gantry");
    gt_jobspec a = train("t", 0, 1, 0);
    a.kind = GT_KIND_TASKS;
    a.tasks = 50;
    a.cpus = 1;
    uint32_t arr = submit(s, a, 0), other = submit(s, a, 0);
    size_t n, want[] = {20, 20, 20, 4}; /* 64 cores: 50 of the array, 14 of the other */
    int more[] = {1, 1, 1, 0};
    for (int p = 0; p < 4; p++) {
        const gt_decision *d = gt_sched_pass(s, 1 + p, &n);
        check(s);
        assert_int_equal(n, want[p]);
        assert_int_equal(gt_sched_pass_truncated(s), more[p]);
        if (p < 2)
            assert_null(find(d, n, GT_DEC_START, other));
    }
    gt_job_info ji;
    gt_sched_job(s, arr, &ji);
    assert_int_equal(ji.units_running, 50);
    gt_sched_pass(s, 9, &n);
    assert_int_equal(n, 0);
    /* a limit set for the journal's replay wins over the config's (20) */
    gt_config *c2 = fixture_fleet(1, 1, 4, 4, 16, 0);
    c2->sched.max_starts_per_pass = 20;
    gt_sched *s2 = new_sched(c2, "gantry");
    submit(s2, a, 0);
    gt_sched_set_pass_limit(s2, 0); /* none */
    gt_sched_pass(s2, 1, &n);
    assert_int_equal(n, 50);
    assert_int_equal(gt_sched_pass_truncated(s2), 0);
    submit(s2, a, 2);
    gt_sched_set_pass_limit(s2, 7);
    gt_sched_pass(s2, 3, &n);
    assert_int_equal(n, 7);
    assert_int_equal(gt_sched_pass_truncated(s2), 1);
    gt_sched_free(s2);
    gt_config_free(c2);
    gt_sched_free(s);
    gt_config_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_limit),
        cmocka_unit_test(test_gang_all_or_nothing),
        cmocka_unit_test(test_snapshot_continues_exactly),
        cmocka_unit_test(test_unit_indices),
        cmocka_unit_test(test_max_restarts),
        cmocka_unit_test(test_backfill_respects_reservation),
        cmocka_unit_test(test_preempt_lower_priority_least_lost_work),
        cmocka_unit_test(test_quota_reclaim),
        cmocka_unit_test(test_node_down_requeues_whole_gang),
        cmocka_unit_test(test_gpus_off),
        cmocka_unit_test(test_hot_spare),
        cmocka_unit_test(test_dependencies),
        cmocka_unit_test(test_throttled_array),
        cmocka_unit_test(test_fair_share_orders_tenants),
        cmocka_unit_test(test_equal_share_merges_by_submit),
        cmocka_unit_test(test_serve_min_replicas_start_together),
        cmocka_unit_test(test_task_array_fills_cpu_nodes),
        cmocka_unit_test(test_hold_release),
        cmocka_unit_test(test_rejects_impossible),
        cmocka_unit_test(test_wait_reason),
        cmocka_unit_test(test_wait_reason_topology),
        cmocka_unit_test(test_random_invariants),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
