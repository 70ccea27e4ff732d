/* SPDX-License-Identifier: MIT
 * Services keep their replicas up (core/replicas.c): a replica that ends is started again
 * after a back-off that doubles with each failure in a row, on the node it ran on when that
 * node still has room; one that keeps failing makes the service degraded until it has gone
 * a window without failing; a service whose replicas all back off waits with reason
 * "backoff" and blocks nobody; a snapshot keeps all of it. replicas.min preempts as one
 * request; a service that cannot preempt holds back none of its tenant's other jobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/sched.h"
#include "fixture.h"
#include "util/strbuf.h"

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

static gt_jobspec service(int min, int max, int gpus) {
    gt_jobspec sp;
    gt_jobspec_init(&sp);
    sp.kind = GT_KIND_SERVE;
    sp.gpus = gpus;
    sp.replicas_min = min;
    sp.replicas_max = max;
    sp.restart_backoff_ms = 1000;
    sp.restart_window_ms = 60000;
    sp.max_restarts = 2;
    return sp;
}

static uint32_t submit(gt_sched *s, gt_jobspec sp) {
    gt_error err;
    uint32_t j = gt_sched_submit(s, &sp, 0, &err);
    if (j == GT_NONE)
        fail_msg("submit: %s", err.msg);
    return j;
}

/* Run a pass at t; the START decision for replica `index` of job j, or NULL. */
static const gt_decision *pass_start(gt_sched *s, gt_time t, uint32_t j, uint32_t index) {
    size_t n;
    const gt_decision *d = gt_sched_pass(s, t, &n);
    check(s);
    for (size_t i = 0; i < n; i++)
        if (d[i].type == GT_DEC_START && d[i].job == j && d[i].index == index)
            return &d[i];
    return NULL;
}

static uint32_t node_of(const gt_sched *s, const gt_decision *d) {
    uint32_t n;
    const gt_slot *sl = gt_sched_unit_slots(s, d->job, d->unit, d->gen, &n);
    assert_non_null(sl);
    return sl[0].node;
}

static void test_replica_restarts_with_backoff(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 2, 4, 16, 0);
    gt_sched *s = new_sched(c);
    uint32_t j = submit(s, service(1, 2, 1));
    size_t n;
    const gt_decision *d = gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 2);
    gt_decision a = d[0].index == 0 ? d[0] : d[1];
    uint32_t first_node = node_of(s, &a);

    /* It crashes at 100: pending again, not before 1100. */
    assert_int_equal(gt_sched_unit_done(s, j, a.unit, a.gen, 100, 0), 1);
    check(s);
    gt_job_info ji;
    gt_sched_job(s, j, &ji);
    assert_int_equal(ji.state, GT_JOB_RUNNING); /* the other replica runs on */
    assert_int_equal(ji.units_pending, 1);
    assert_int_equal(ji.units_done, 0);
    assert_null(pass_start(s, 500, j, 0));
    d = pass_start(s, 1100, j, 0);
    assert_non_null(d);
    assert_int_equal(node_of(s, d), first_node); /* back where it ran */
    a = *d;

    /* Again at 1200: 2 s of back-off now; then 4 s. */
    gt_sched_unit_done(s, j, a.unit, a.gen, 1200, 0);
    assert_null(pass_start(s, 3199, j, 0));
    a = *pass_start(s, 3200, j, 0);
    gt_service_info si;
    assert_true(gt_sched_service(s, j, 3200, &si));
    assert_false(si.degraded);                        /* 2 failures: not more than max_restarts */
    gt_sched_unit_done(s, j, a.unit, a.gen, 3300, 1); /* exiting 0 is no way out either */
    assert_true(gt_sched_service(s, j, 3300, &si));
    assert_true(si.degraded);
    assert_int_equal(si.worst, 0);
    assert_int_equal(si.worst_failures, 3);
    assert_int_equal(si.restarts, 3);
    assert_null(pass_start(s, 7299, j, 0));
    a = *pass_start(s, 7300, j, 0);
    gt_replica_info ri;
    assert_true(gt_sched_replica(s, j, 0, &ri));
    assert_int_equal(ri.restarts, 3);
    assert_int_equal(ri.failures, 3);
    assert_true(gt_sched_replica(s, j, 1, &ri));
    assert_int_equal(ri.restarts, 0);
    assert_false(gt_sched_replica(s, j, 3, &ri)); /* 2 replicas and 1 spare slot */
    /* A window without failing heals it. */
    assert_true(gt_sched_service(s, j, 3300 + 60000, &si));
    assert_false(si.degraded);
    /* Ending the service ends it: no restart. */
    gt_sched_job_end(s, j, GT_JOB_CANCELLED, 8000, &n);
    assert_int_equal(n, 2);
    assert_null(pass_start(s, 100000, j, 0));
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

static void test_backoff_waits_without_blocking(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 1, 4, 16, 0); /* one node of 4 GPUs */
    gt_sched *s = new_sched(c);
    uint32_t svc = submit(s, service(1, 1, 4));
    size_t n;
    const gt_decision *d = gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 1);
    gt_decision a = d[0];
    gt_sched_unit_done(s, svc, a.unit, a.gen, 10, 0);
    gt_job_info ji;
    gt_sched_job(s, svc, &ji);
    assert_int_equal(ji.state, GT_JOB_PENDING);
    /* A job behind it takes the node while the service backs off... */
    gt_jobspec t;
    gt_jobspec_init(&t);
    t.kind = GT_KIND_TASKS;
    t.gpus = 4;
    t.estimate_ms = 500;
    uint32_t task = submit(s, t);
    assert_non_null(pass_start(s, 20, task, 0));
    gt_sched_job(s, svc, &ji);
    assert_int_equal(ji.wait, GT_WAIT_BACKOFF);
    assert_string_equal(gt_wait_reason_name(ji.wait), "backoff");
    gt_service_info si;
    gt_sched_service(s, svc, 20, &si);
    assert_int_equal(si.backoff_until, 1010);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

/* The gang of replicas.min starts only when each of them is past its back-off. */
static void test_min_gang_waits_for_backoff(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 2, 4, 16, 0);
    gt_sched *s = new_sched(c);
    uint32_t j = submit(s, service(2, 2, 4));
    size_t n;
    const gt_decision *d = gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 2);
    gt_decision a = d[0], b = d[1];
    gt_sched_unit_done(s, j, a.unit, a.gen, 100, 0);
    gt_sched_unit_done(s, j, b.unit, b.gen, 600, 0);
    gt_sched_pass(s, 1200, &n); /* a is past its back-off, b not yet (1600) */
    assert_int_equal(n, 0);
    gt_sched_pass(s, 1600, &n);
    assert_int_equal(n, 2);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

/* A snapshot keeps each replica's count and back-off. */
static void test_snapshot_keeps_replicas(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 1, 4, 16, 0);
    gt_sched *s = new_sched(c);
    uint32_t j = submit(s, service(1, 1, 1));
    size_t n;
    gt_decision a = gt_sched_pass(s, 0, &n)[0];
    gt_sched_unit_done(s, j, a.unit, a.gen, 50, 0);
    gt_sb sb;
    gt_sb_init(&sb);
    gt_sched_save(s, &sb);
    gt_config *c2 = fixture_fleet(1, 1, 1, 4, 16, 0);
    gt_sched *s2 = new_sched(c2);
    gt_error err;
    assert_int_equal(gt_sched_load(s2, sb.s, sb.len, &err), GT_E_OK);
    check(s2);
    gt_replica_info ri;
    assert_true(gt_sched_replica(s2, j, 0, &ri));
    assert_int_equal(ri.restarts, 1);
    assert_int_equal(ri.not_before, 1050);
    assert_null(pass_start(s2, 1049, j, 0));
    assert_non_null(pass_start(s2, 1050, j, 0));
    gt_sb_free(&sb);
    gt_sched_free(s2);
    gt_config_free(c2);
    gt_sched_free(s);
    gt_config_free(c);
}

static const gt_decision *find(const gt_decision *d, size_t n, int type, uint32_t j) {
    for (size_t i = 0; i < n; i++)
        if (d[i].type == type && d[i].job == j)
            return &d[i];
    return NULL;
}

static size_t count(const gt_decision *d, size_t n, int type, uint32_t j) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += d[i].type == type && d[i].job == j;
    return k;
}

static gt_jobspec tasks(const char *tenant, int n, int gpus, int prio) {
    gt_jobspec t;
    gt_jobspec_init(&t);
    snprintf(t.tenant, sizeof t.tenant, "%s", tenant);
    t.kind = GT_KIND_TASKS;
    t.tasks = n;
    t.gpus = gpus;
    t.priority = prio;
    return t;
}

#define HOUR (3600 * 1000)

/* replicas.min of a high-priority service preempt low-priority work as one request. */
static void test_min_gang_preempts(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 2, 4, 16, 0);
    gt_sched *s = new_sched(c);
    uint32_t low = submit(s, tasks("default", 2, 4, GT_PRIO_LOW));
    size_t n;
    gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 2);
    gt_jobspec sp = service(2, 2, 4);
    sp.priority = GT_PRIO_HIGH;
    uint32_t svc = submit(s, sp);
    const gt_decision *d = gt_sched_pass(s, HOUR, &n);
    assert_int_equal(count(d, n, GT_DEC_STOP, low), 2);
    assert_int_equal(count(d, n, GT_DEC_START, svc), 2);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

/* A service that cannot preempt holds no reservation: its tenant's next job reclaims the
 * quota another tenant borrows. */
static void test_blocked_service_lets_tenant_reclaim(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 2, 4, 16, 0);
    c->ntenants = 2;
    c->tenants = calloc(2, sizeof *c->tenants);
    snprintf(c->tenants[0].name, sizeof c->tenants[0].name, "a");
    snprintf(c->tenants[1].name, sizeof c->tenants[1].name, "b");
    c->tenants[0].quota_gpus = c->tenants[1].quota_gpus = 4;
    c->tenants[0].share = c->tenants[1].share = 1;
    gt_sched *s = new_sched(c);
    uint32_t b = submit(s, tasks("b", 2, 4, GT_PRIO_NORMAL)); /* b borrows a's 4 GPUs */
    size_t n;
    gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 2);
    gt_jobspec sp = service(2, 2, 4); /* 8 GPUs: beyond a's quota, cannot reclaim */
    snprintf(sp.tenant, sizeof sp.tenant, "a");
    uint32_t svc = submit(s, sp), a = submit(s, tasks("a", 1, 4, GT_PRIO_NORMAL));
    const gt_decision *d = gt_sched_pass(s, HOUR, &n);
    assert_null(find(d, n, GT_DEC_START, svc));
    assert_int_equal(count(d, n, GT_DEC_STOP, b), 1);
    assert_non_null(find(d, n, GT_DEC_START, a));
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

/* gt_sched_scale: the pass starts up to the wanted count; a scale-down stops the replicas
 * named first, with no back-off and no restart counted; the count stays within
 * replicas.min .. replicas.max. */
static void test_scale(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 1, 4, 16, 0);
    gt_sched *s = new_sched(c);
    uint32_t j = submit(s, service(1, 4, 1));
    size_t n;
    gt_error err;
    gt_sched_scale(s, j, 1, NULL, 0, 0, &n, &err);
    assert_int_equal(n, 0);
    gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 1);
    gt_sched_scale(s, j, 3, NULL, 0, 10, &n, &err);
    const gt_decision *d = gt_sched_pass(s, 10, &n);
    assert_int_equal(count(d, n, GT_DEC_START, j), 2);
    gt_sched_pass(s, 20, &n);
    assert_int_equal(n, 0); /* three run: no more */
    gt_service_info si;
    gt_sched_service(s, j, 20, &si);
    assert_int_equal(si.desired, 3);
    const uint32_t order[] = {2, 0};
    d = gt_sched_scale(s, j, 1, order, 2, 30, &n, &err);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(d[i].type, GT_DEC_STOP);
        assert_int_equal(d[i].reason, GT_WHY_SCALED);
        assert_int_equal(d[i].index, order[i]);
    }
    check(s);
    gt_sched_pass(s, 5000, &n);
    assert_int_equal(n, 0);
    gt_replica_info ri;
    gt_sched_replica(s, j, 2, &ri);
    assert_int_equal(ri.restarts, 0);
    assert_int_equal(ri.not_before, 0);
    gt_job_info ji;
    gt_sched_job(s, j, &ji);
    assert_int_equal(ji.state, GT_JOB_RUNNING);
    assert_int_equal(ji.units_running, 1);
    /* Within min .. max; ended or not a service: refused. */
    gt_sched_scale(s, j, 0, NULL, 0, 40, &n, &err);
    gt_sched_service(s, j, 40, &si);
    assert_int_equal(si.desired, 1);
    gt_sched_scale(s, j, 99, NULL, 0, 40, &n, &err);
    gt_sched_service(s, j, 40, &si);
    assert_int_equal(si.desired, 4);
    uint32_t t = submit(s, tasks("default", 1, 0, GT_PRIO_NORMAL));
    gt_sched_scale(s, t, 2, NULL, 0, 40, &n, &err);
    assert_int_equal(err.code, GT_E_INVALID);
    gt_sched_job_end(s, j, GT_JOB_CANCELLED, 50, &n);
    gt_sched_scale(s, j, 2, NULL, 0, 60, &n, &err);
    assert_int_equal(err.code, GT_E_STATE);
    assert_int_equal(n, 0);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

/* A rolling update's core: surge lets a spare slot start beside the wanted replicas;
 * replace stops one and makes it pending again, with no back-off and no restart counted;
 * surge back to 0 stops what runs beyond the count. */
static void test_surge_and_replace(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 1, 4, 16, 0);
    gt_sched *s = new_sched(c);
    uint32_t j = submit(s, service(2, 2, 1));
    size_t n;
    gt_error err;
    gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 2);
    gt_sched_pass(s, 10, &n);
    assert_int_equal(n, 0); /* the spare slot stays idle */
    gt_job_info ji;
    gt_sched_job(s, j, &ji);
    assert_int_equal(ji.units, 2);
    assert_int_equal(ji.units_pending, 0);
    gt_sched_surge(s, j, 5, 20, &n, &err); /* at most max_surge (1) */
    const gt_decision *d = gt_sched_pass(s, 20, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].index, 2);
    gt_sched_job(s, j, &ji);
    assert_int_equal(ji.units, 3);
    assert_int_equal(ji.units_running, 3);
    d = gt_sched_replace(s, j, 0, 30, &n, &err);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].reason, GT_WHY_REPLACED);
    assert_int_equal(d[0].index, 0);
    d = gt_sched_pass(s, 30, &n); /* at once: no back-off */
    assert_int_equal(n, 1);
    assert_int_equal(d[0].index, 0);
    gt_replica_info ri;
    gt_sched_replica(s, j, 0, &ri);
    assert_int_equal(ri.restarts, 0);
    gt_sched_replace(s, j, 1, 40, &n, &err);
    gt_sched_replace(s, j, 1, 40, &n, &err); /* not running any more */
    assert_int_equal(err.code, GT_E_STATE);
    gt_sched_pass(s, 45, &n);
    assert_int_equal(n, 1); /* replica 1 again: three run */
    d = gt_sched_surge(s, j, 0, 50, &n, &err);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].index, 2); /* the highest goes */
    gt_sched_pass(s, 60, &n);
    assert_int_equal(n, 0);
    gt_sched_job(s, j, &ji);
    assert_int_equal(ji.units_running, 2);
    assert_int_equal(ji.units, 2);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

/* The domain vertex above the node a decision placed. */
static uint32_t domain_of(const gt_sched *s, const gt_decision *d) {
    return gt_sched_topo(s)->parent[node_of(s, d)];
}

/* 2 domains of 2 nodes of 4 GPUs, a 4-GPU batch job started on one node: its decision. */
static gt_decision start_batch(gt_sched *s, uint32_t *batch) {
    gt_jobspec t;
    gt_jobspec_init(&t);
    t.gpus = 4;
    *batch = submit(s, t);
    size_t n;
    gt_decision b = gt_sched_pass(s, 0, &n)[0];
    assert_int_equal(n, 1);
    return b;
}

/* Roles paired in sets: a decode replica goes only into its set's prefill replica's
 * domain, waits (reason topology) while that domain is full rather than go elsewhere, and
 * starts there once room comes; a snapshot keeps the pairing. */
static void test_paired_roles(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 2, 2, 4, 16, 0);
    gt_sched *s = new_sched(c);
    uint32_t batch;
    size_t n;
    gt_decision b = start_batch(s, &batch);
    uint32_t prefill = submit(s, service(1, 1, 4)), decode = submit(s, service(2, 2, 2));
    gt_error err;
    assert_int_equal(gt_sched_pair(s, prefill, decode, "domain", 1, 1, &err), GT_E_INVALID);
    assert_int_equal(gt_sched_pair(s, decode, prefill, "rack", 2, 1, &err), GT_E_INVALID);
    assert_int_equal(gt_sched_pair(s, decode, prefill, "domain", 0, 1, &err), GT_E_RANGE);
    assert_int_equal(gt_sched_pair(s, decode, prefill, "domain", 2, 1, &err), GT_E_OK);
    const gt_decision *d = gt_sched_pass(s, 10, &n);
    check(s);
    const gt_decision *p = find(d, n, GT_DEC_START, prefill);
    assert_non_null(p);
    assert_int_equal(domain_of(s, p), domain_of(s, &b));    /* best fit: the fuller domain */
    assert_int_equal(count(d, n, GT_DEC_START, decode), 0); /* the other domain is empty */
    gt_job_info ji;
    assert_true(gt_sched_job(s, decode, &ji));
    assert_int_equal(ji.wait, GT_WAIT_TOPOLOGY);
    gt_sched_unit_done(s, batch, b.unit, b.gen, 20, 1);
    d = gt_sched_pass(s, 20, &n);
    check(s);
    assert_int_equal(count(d, n, GT_DEC_START, decode), 2);
    gt_decision p0 = *p, d0 = *find(d, n, GT_DEC_START, decode);
    assert_int_equal(domain_of(s, &d0), domain_of(s, &p0));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(domain_of(s, &d[i]), domain_of(s, &p0));
    /* A snapshot keeps the pairing: a decode replica that ends starts again beside its
     * prefill replica, never in the empty domain. */
    gt_sb sb;
    gt_sb_init(&sb);
    gt_sched_save(s, &sb);
    gt_config *c2 = fixture_fleet(1, 2, 2, 4, 16, 0);
    gt_sched *s2 = new_sched(c2);
    assert_int_equal(gt_sched_load(s2, sb.s, sb.len, &err), GT_E_OK);
    gt_sched_unit_done(s2, decode, d0.unit, d0.gen, 30, 0);
    const gt_decision *again = pass_start(s2, 2000, decode, d0.index);
    assert_non_null(again);
    assert_int_equal(domain_of(s2, again), domain_of(s, &p0));
    gt_sb_free(&sb);
    gt_sched_free(s2);
    gt_config_free(c2);
    gt_sched_free(s);
    gt_config_free(c);
}

/* A set whose subtree is full does not hold back the next set's replicas. */
static void test_paired_sets_start_where_room(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 2, 2, 4, 16, 0);
    gt_sched *s = new_sched(c);
    uint32_t batch;
    size_t n;
    gt_decision b = start_batch(s, &batch);
    uint32_t prefill = submit(s, service(2, 2, 4)), decode = submit(s, service(4, 4, 2));
    gt_error err;
    assert_int_equal(gt_sched_pair(s, decode, prefill, "domain", 2, 1, &err), GT_E_OK);
    const gt_decision *d = gt_sched_pass(s, 10, &n);
    check(s);
    uint32_t dom[2] = {GT_NONE, GT_NONE};
    for (size_t i = 0; i < n; i++)
        if (d[i].job == prefill)
            dom[d[i].index] = domain_of(s, &d[i]);
    assert_int_equal(dom[0], domain_of(s, &b)); /* set 0 shares the batch job's domain */
    assert_int_not_equal(dom[1], dom[0]);
    assert_int_equal(count(d, n, GT_DEC_START, decode), 2);
    for (size_t i = 0; i < n; i++)
        if (d[i].job == decode) {
            assert_true(d[i].index == 2 || d[i].index == 3);
            assert_int_equal(domain_of(s, &d[i]), dom[1]);
        }
    gt_sched_unit_done(s, batch, b.unit, b.gen, 20, 1);
    d = gt_sched_pass(s, 20, &n);
    check(s);
    assert_int_equal(count(d, n, GT_DEC_START, decode), 2);
    for (size_t i = 0; i < n; i++) {
        assert_true(d[i].index == 0 || d[i].index == 1);
        assert_int_equal(domain_of(s, &d[i]), dom[0]);
    }
    gt_sched_free(s);
    gt_config_free(c);
}

/* A rolling update that changes resources: replicas started afterwards get the new shape,
 * running ones keep theirs until replaced; a shape with another node count, or one the fleet
 * cannot hold, is refused and changes nothing. */
static void test_reshape(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 2, 4, 16, 0);
    gt_sched *s = new_sched(c);
    uint32_t j = submit(s, service(2, 2, 1));
    size_t n;
    const gt_decision *d = gt_sched_pass(s, 0, &n);
    assert_int_equal(n, 2);
    gt_decision r0 = d[0].index == 0 ? d[0] : d[1];
    gt_jobspec bigger = service(2, 2, 2), wide = service(2, 2, 8), huge = service(2, 2, 4);
    bigger.cpus = 3;
    wide.gpus_per_node = 4;
    huge.gpus_per_node = 4;
    huge.cpus = 64; /* no node has 64 cores */
    gt_error err;
    assert_int_equal(gt_sched_reshape(s, j, &wide, &err), GT_E_INVALID);
    assert_int_equal(gt_sched_reshape(s, j, &huge, &err), GT_E_IMPOSSIBLE);
    gt_job_info ji;
    assert_true(gt_sched_job(s, j, &ji));
    assert_int_equal(ji.shape.gpus_per_node, 1);
    assert_int_equal(gt_sched_reshape(s, j, &bigger, &err), GT_E_OK);
    check(s);
    uint32_t k;
    const gt_slot *sl = gt_sched_unit_slots(s, j, r0.unit, r0.gen, &k);
    assert_non_null(sl);
    assert_int_equal(__builtin_popcount(sl[0].mask), 1); /* running: as it started */
    d = gt_sched_replace(s, j, 0, 10, &n, &err);
    assert_int_equal(n, 1);
    const gt_decision *again = pass_start(s, 10, j, 0);
    assert_non_null(again);
    sl = gt_sched_unit_slots(s, j, again->unit, again->gen, &k);
    assert_int_equal(__builtin_popcount(sl[0].mask), 2);
    assert_int_equal(sl[0].cpus, 3);
    gt_jobspec t;
    gt_jobspec_init(&t);
    uint32_t train = submit(s, t);
    assert_int_equal(gt_sched_reshape(s, train, &bigger, &err), GT_E_INVALID);
    gt_sched_free(s);
    gt_config_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replica_restarts_with_backoff),
        cmocka_unit_test(test_backoff_waits_without_blocking),
        cmocka_unit_test(test_min_gang_waits_for_backoff),
        cmocka_unit_test(test_snapshot_keeps_replicas),
        cmocka_unit_test(test_min_gang_preempts),
        cmocka_unit_test(test_blocked_service_lets_tenant_reclaim),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_surge_and_replace),
        cmocka_unit_test(test_paired_roles),
        cmocka_unit_test(test_paired_sets_start_where_room),
        cmocka_unit_test(test_reshape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
