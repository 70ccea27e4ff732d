/* SPDX-License-Identifier: MIT
 * A task array's tasks one by one (core/tasks.c): each task's own retry budget and its
 * back-off, cancelling a range of tasks, aftercorr between two arrays, and snapshots of
 * all of it. gt_sched_check runs after every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

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

/* An array of n one-core tasks. */
static gt_jobspec array(int n) {
    gt_jobspec sp;
    gt_jobspec_init(&sp);
    snprintf(sp.tenant, sizeof sp.tenant, "t");
    sp.kind = GT_KIND_TASKS;
    sp.tasks = n;
    sp.gpus = 0;
    sp.cpus = 1;
    return sp;
}

static uint32_t submit(gt_sched *s, gt_jobspec sp, gt_time now) {
    gt_error err;
    uint32_t j = gt_sched_submit(s, &sp, now, &err);
    if (j == GT_NONE)
        fail_msg("submit: %s: %s", err.where, err.msg);
    check(s);
    return j;
}

static gt_job_info info(const gt_sched *s, uint32_t j) {
    gt_job_info ji;
    assert_true(gt_sched_job(s, j, &ji));
    return ji;
}

/* What runs: per job, the running units' (unit, gen) by task index. */
typedef struct {
    uint32_t unit[64], gen[64];
    uint8_t on[64];
} runs_t;

static void apply(runs_t *r, const gt_decision *d, size_t n, uint32_t job, uint32_t *started) {
    for (size_t i = 0; i < n; i++) {
        if (d[i].job != job)
            continue;
        assert_true(d[i].index < 64);
        if (d[i].type == GT_DEC_START) {
            assert_false(r->on[d[i].index]); /* never two runs of one task */
            r->on[d[i].index] = 1, r->unit[d[i].index] = d[i].unit, r->gen[d[i].index] = d[i].gen;
            if (started)
                (*started)++;
        } else {
            r->on[d[i].index] = 0;
        }
    }
}

static uint32_t pass(gt_sched *s, gt_time now, runs_t *r, uint32_t job) {
    size_t n;
    const gt_decision *d = gt_sched_pass(s, now, &n);
    check(s);
    uint32_t started = 0;
    apply(r, d, n, job, &started);
    return started;
}

static void end_task(gt_sched *s, runs_t *r, uint32_t job, uint32_t i, gt_time now, int ok) {
    assert_true(r->on[i]);
    assert_true(gt_sched_unit_done(s, job, r->unit[i], r->gen[i], now, ok));
    r->on[i] = 0;
    check(s);
}

/* max_restarts is each task's own: task 1's retry does not use up task 0's, and task 0
 * fails for good only after its own two. */
static void test_own_retry_budget(void **st) {
    (void)st;
    gt_config *c = fixture_fleet(0, 0, 0, 0, 0, 1); /* one node of 32 cores */
    gt_sched *s = new_sched(c);
    gt_jobspec sp = array(3);
    sp.max_restarts = 2;
    uint32_t j = submit(s, sp, 0);
    runs_t r = {0};
    assert_int_equal(pass(s, 1, &r, j), 3);
    end_task(s, &r, j, 1, 2, 0); /* task 1: first failure, retried */
    assert_int_equal(pass(s, 3, &r, j), 1);
    assert_true(r.on[1]);
    for (int k = 0; k < 2; k++) { /* task 0: two failures, both retried */
        end_task(s, &r, j, 0, 4 + k, 0);
        assert_int_equal(pass(s, 5 + k, &r, j), 1);
        assert_true(r.on[0]);
    }
    end_task(s, &r, j, 0, 10, 0); /* its third: over */
    assert_int_equal(pass(s, 11, &r, j), 0);
    end_task(s, &r, j, 1, 12, 1);
    end_task(s, &r, j, 2, 13, 1);
    gt_job_info ji = info(s, j);
    assert_int_equal(ji.state, GT_JOB_FAILED);
    assert_int_equal(ji.units_failed, 1);
    assert_int_equal(ji.units_done, 3);
    assert_int_equal(ji.restarts, 3);
    gt_sched_free(s);
    gt_config_free(c);
}

/* restart_backoff_s: a failed task waits its back-off (reason backoff, nothing else held
 * back), doubling with each retry of that task. */
static void test_retry_backoff(void **st) {
    (void)st;
    gt_config *c = fixture_fleet(0, 0, 0, 0, 0, 1);
    gt_sched *s = new_sched(c);
    gt_jobspec sp = array(2);
    sp.max_restarts = 3;
    sp.restart_backoff_ms = 1000;
    uint32_t j = submit(s, sp, 0);
    runs_t r = {0};
    assert_int_equal(pass(s, 1, &r, j), 2);
    end_task(s, &r, j, 0, 10, 0);
    end_task(s, &r, j, 1, 10, 1);
    gt_job_info ji = info(s, j);
    assert_int_equal(ji.state, GT_JOB_PENDING);
    assert_int_equal(ji.tasks_backoff, 1);
    uint32_t other = submit(s, array(1), 20);
    runs_t ro = {0};
    assert_int_equal(pass(s, 500, &ro, other), 1); /* not held back by the waiting task */
    assert_int_equal(info(s, j).wait, GT_WAIT_BACKOFF);
    assert_int_equal(pass(s, 1009, &r, j), 0);
    assert_int_equal(pass(s, 1010, &r, j), 1);
    end_task(s, &r, j, 0, 2000, 0); /* second failure: 2 s */
    assert_int_equal(pass(s, 3999, &r, j), 0);
    assert_int_equal(pass(s, 4000, &r, j), 1);
    end_task(s, &r, j, 0, 5000, 1);
    assert_int_equal(info(s, j).state, GT_JOB_COMPLETED);
    gt_sched_free(s);
    gt_config_free(c);
}

/* Cancel tasks 2-6 of ten while 0-3 run: 2 and 3 stop, 4-6 never start, the rest goes on;
 * the job completes with 5 cancelled. A requeued task in a range is cancelled too. */
static void test_cancel_range(void **st) {
    (void)st;
    gt_config *c = fixture_fleet(0, 0, 0, 0, 0, 1);
    gt_sched *s = new_sched(c);
    gt_jobspec sp = array(10);
    sp.max_restarts = 1;
    sp.max_running = 4;
    uint32_t j = submit(s, sp, 0);
    runs_t r = {0};
    assert_int_equal(pass(s, 1, &r, j), 4);
    uint32_t nc;
    size_t n;
    gt_error err;
    const gt_decision *d = gt_sched_cancel_tasks(s, j, 2, 6, 2, &nc, &n, &err);
    assert_non_null(d);
    check(s);
    assert_int_equal(nc, 5);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(d[i].type, GT_DEC_STOP);
        assert_int_equal(d[i].reason, GT_WHY_CANCELLED);
        assert_true(d[i].index == 2 || d[i].index == 3);
    }
    apply(&r, d, n, j, NULL);
    gt_task_info ti;
    assert_true(gt_sched_task(s, j, 4, &ti));
    assert_int_equal(ti.state, GT_TASK_CANCELLED);
    assert_true(gt_sched_task(s, j, 0, &ti));
    assert_int_equal(ti.state, GT_TASK_OPEN);
    assert_false(gt_sched_task(s, j, 10, &ti));
    gt_job_info ji = info(s, j);
    assert_int_equal(ji.units_cancelled, 5);
    assert_int_equal(ji.units_running, 2);
    assert_int_equal(ji.units_pending, 3);
    assert_int_equal(pass(s, 3, &r, j), 2); /* 7 and 8 */
    assert_true(r.on[7] && r.on[8]);
    end_task(s, &r, j, 8, 4, 0); /* requeued: its index waits in the list */
    assert_true(gt_sched_task(s, j, 8, &ti));
    assert_int_equal(ti.state, GT_TASK_OPEN);
    assert_int_equal(ti.restarts, 1);
    d = gt_sched_cancel_tasks(s, j, 8, 8, 5, &nc, &n, &err);
    assert_non_null(d);
    assert_int_equal(nc, 1);
    assert_int_equal(n, 0);
    check(s);
    /* again: nothing changes; errors name the range */
    assert_non_null(gt_sched_cancel_tasks(s, j, 2, 6, 5, &nc, &n, &err));
    assert_int_equal(nc, 0);
    assert_null(gt_sched_cancel_tasks(s, j, 5, 10, 5, &nc, &n, &err));
    assert_int_equal(err.code, GT_E_RANGE);
    assert_non_null(strstr(err.msg, "0-9"));
    assert_null(gt_sched_cancel_tasks(s, j, 6, 5, 5, &nc, &n, &err));
    assert_int_equal(pass(s, 6, &r, j), 1); /* 9 */
    assert_true(r.on[9]);
    for (uint32_t i = 0; i < 10; i++)
        if (r.on[i]) {
            assert_true(i < 2 || i > 8 || i == 7);
            end_task(s, &r, j, i, 7, 1);
        }
    ji = info(s, j);
    assert_int_equal(ji.state, GT_JOB_COMPLETED);
    assert_int_equal(ji.units_done, 4);
    assert_int_equal(ji.units_cancelled, 6);
    assert_null(gt_sched_cancel_tasks(s, j, 0, 0, 8, &nc, &n, &err));
    assert_int_equal(err.code, GT_E_STATE);
    /* every task cancelled before any ended: the job is cancelled */
    uint32_t k = submit(s, array(3), 9);
    assert_non_null(gt_sched_cancel_tasks(s, k, 0, 2, 10, &nc, &n, &err));
    assert_int_equal(info(s, k).state, GT_JOB_CANCELLED);
    gt_jobspec t;
    gt_jobspec_init(&t);
    t.gpus = 0;
    t.cpus = 1;
    uint32_t tr = submit(s, t, 11);
    assert_null(gt_sched_cancel_tasks(s, tr, 0, 0, 12, &nc, &n, &err));
    assert_int_equal(err.code, GT_E_INVALID);
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

static gt_jobspec corr_of(uint32_t a, int n) {
    gt_jobspec sp = array(n);
    sp.ndeps = 1;
    sp.dep_job[0] = a;
    sp.dep_type[0] = GT_DEP_AFTERCORR;
    return sp;
}

/* aftercorr: task i of B starts only after task i of A succeeded; a task of A that fails
 * for good or is cancelled drops B's; A cancelled drops the rest; B seeded at submit. */
static void test_aftercorr(void **st) {
    (void)st;
    gt_config *c = fixture_fleet(0, 0, 0, 0, 0, 1);
    gt_sched *s = new_sched(c);
    uint32_t a = submit(s, array(5), 0), b = submit(s, corr_of(a, 5), 0);
    runs_t ra = {0}, rb = {0};
    assert_int_equal(pass(s, 1, &ra, a), 5);
    assert_int_equal(pass(s, 2, &rb, b), 0);
    gt_job_info ji = info(s, b);
    assert_int_equal(ji.wait, GT_WAIT_DEPENDENCY);
    assert_int_equal(ji.tasks_unready, 5);
    end_task(s, &ra, a, 2, 3, 1);
    assert_int_equal(pass(s, 4, &rb, b), 1);
    assert_true(rb.on[2]);
    end_task(s, &ra, a, 0, 5, 0); /* fails for good: B's task 0 is dropped */
    ji = info(s, b);
    assert_int_equal(ji.units_cancelled, 1);
    assert_int_equal(ji.dep_broken, a);
    assert_int_equal(ji.dep_broken_type, GT_DEP_AFTERCORR);
    uint32_t nc;
    size_t n;
    gt_error err;
    assert_non_null(gt_sched_cancel_tasks(s, a, 4, 4, 6, &nc, &n, &err)); /* drops B's 4 */
    assert_int_equal(info(s, b).units_cancelled, 2);
    /* a third array seeded from A's tasks so far: 2 released, 0 and 4 dropped */
    uint32_t c3 = submit(s, corr_of(a, 5), 7);
    ji = info(s, c3);
    assert_int_equal(ji.units_cancelled, 2);
    assert_int_equal(ji.tasks_unready, 2);
    runs_t rc = {0};
    assert_int_equal(pass(s, 8, &rc, c3), 1);
    assert_true(rc.on[2]);
    /* A cancelled: B's and C's tasks 1 and 3 never run; they end with what ran */
    size_t nf;
    gt_sched_followers_changed(s, &nf); /* (what came before) */
    gt_sched_job_end(s, a, GT_JOB_CANCELLED, 9, &n);
    check(s);
    const uint32_t *fl = gt_sched_followers_changed(s, &nf);
    assert_int_equal(nf, 2); /* the controller tells their news */
    assert_true((fl[0] == b && fl[1] == c3) || (fl[0] == c3 && fl[1] == b));
    gt_sched_followers_changed(s, &nf);
    assert_int_equal(nf, 0);
    ji = info(s, b);
    assert_int_equal(ji.units_cancelled, 4);
    assert_int_equal(ji.units_pending, 0);
    end_task(s, &rb, b, 2, 10, 1);
    assert_int_equal(info(s, b).state, GT_JOB_COMPLETED);
    end_task(s, &rc, c3, 2, 10, 0);
    assert_int_equal(info(s, c3).state, GT_JOB_FAILED);
    /* following an ended array: what succeeded may run, the rest is dropped at once */
    uint32_t d4 = submit(s, corr_of(a, 5), 11);
    ji = info(s, d4);
    assert_int_equal(ji.state, GT_JOB_PENDING);
    assert_int_equal(ji.units_cancelled, 4);
    assert_int_equal(ji.units_pending, 1);
    uint32_t e = submit(s, array(2), 11);
    gt_sched_job_end(s, e, GT_JOB_CANCELLED, 11, &n);
    uint32_t f = submit(s, corr_of(e, 2), 11); /* nothing of e succeeded: cancelled */
    ji = info(s, f);
    assert_int_equal(ji.state, GT_JOB_CANCELLED);
    assert_int_equal(ji.units_cancelled, 2);
    assert_int_equal(ji.dep_broken, e);
    /* bad: other sizes, not an array, aftercorr outside an array, two of them */
    gt_jobspec bad = corr_of(a, 4);
    assert_int_equal(gt_sched_submit(s, &bad, 12, &err), GT_NONE);
    assert_int_equal(err.code, GT_E_INVALID);
    assert_non_null(strstr(err.msg, "same size"));
    gt_jobspec t;
    gt_jobspec_init(&t);
    t.gpus = 0;
    t.cpus = 1;
    uint32_t tr = submit(s, t, 12);
    bad = corr_of(tr, 1);
    assert_int_equal(gt_sched_submit(s, &bad, 12, &err), GT_NONE);
    assert_non_null(strstr(err.msg, "not a task array"));
    t.ndeps = 1;
    t.dep_job[0] = b;
    t.dep_type[0] = GT_DEP_AFTERCORR;
    assert_int_equal(gt_sched_submit(s, &t, 12, &err), GT_NONE);
    assert_non_null(strstr(err.msg, "only for kind tasks"));
    /* an array that failed without running (a replay on a smaller fleet) has no tasks */
    gt_jobspec gone = array(1);
    uint32_t g = gt_sched_submit_failed(s, &gone, 12);
    bad = corr_of(g, 1);
    assert_int_equal(gt_sched_submit(s, &bad, 12, &err), GT_NONE);
    assert_non_null(strstr(err.msg, "not a task array"));
    bad = corr_of(b, 5);
    bad.ndeps = 2;
    bad.dep_job[1] = b;
    bad.dep_type[1] = GT_DEP_AFTERCORR;
    assert_int_equal(gt_sched_submit(s, &bad, 12, &err), GT_NONE);
    assert_non_null(strstr(err.msg, "at most one aftercorr"));
    check(s);
    gt_sched_free(s);
    gt_config_free(c);
}

/* The depends_on text names aftercorr and renders it back. */
static gt_err parse(const char *text, gt_jobspec *sp, gt_error *err) {
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    gt_err e = gt_jobspec_from_json(doc, "job", sp, err);
    json_decref(doc);
    return e;
}

static void test_aftercorr_text(void **st) {
    (void)st;
    gt_jobspec sp;
    gt_error err;
    assert_int_equal(parse("{\"kind\":\"tasks\",\"tasks\":4,\"gpus\":0,\"cpus\":1,"
                           "\"depends_on\":\"aftercorr:7\"}",
                           &sp, &err),
                     GT_E_OK);
    assert_int_equal(sp.ndeps, 1);
    assert_int_equal(sp.dep_type[0], GT_DEP_AFTERCORR);
    char buf[64];
    gt_jobspec_deps_str(&sp, buf, sizeof buf);
    assert_string_equal(buf, "aftercorr:7");
    assert_int_not_equal(parse("{\"gpus\":1,\"depends_on\":\"aftercorr:7\"}", &sp, &err), GT_E_OK);
    assert_non_null(strstr(err.msg, "only for kind tasks"));
}

static gt_sched *swap(gt_sched *s, gt_config **c) {
    gt_sb sb;
    gt_sb_init(&sb);
    gt_sched_save(s, &sb);
    assert_false(sb.oom);
    gt_config *c2 = fixture_fleet(0, 0, 0, 0, 0, 1);
    gt_sched *s2 = new_sched(c2);
    gt_error err;
    if (gt_sched_load(s2, sb.s, sb.len, &err))
        fail_msg("load: %s", err.msg);
    gt_sb_free(&sb);
    gt_sched_free(s);
    gt_config_free(*c);
    *c = c2;
    check(s2);
    return s2;
}

/* A snapshot keeps each task's restarts, its back-off and aftercorr's progress: the run
 * goes on as it would have. */
static void test_snapshot(void **st) {
    (void)st;
    gt_config *c = fixture_fleet(0, 0, 0, 0, 0, 1);
    gt_sched *s = new_sched(c);
    gt_jobspec sp = array(3);
    sp.max_restarts = 1;
    sp.restart_backoff_ms = 1000;
    uint32_t a = submit(s, sp, 0), b = submit(s, corr_of(a, 3), 0);
    runs_t ra = {0}, rb = {0};
    assert_int_equal(pass(s, 1, &ra, a), 3);
    end_task(s, &ra, a, 0, 10, 0); /* backs off until 1010 */
    end_task(s, &ra, a, 1, 10, 1); /* releases B's 1 */
    s = swap(s, &c);
    gt_job_info ji = info(s, a);
    assert_int_equal(ji.tasks_backoff, 1);
    assert_int_equal(info(s, b).tasks_unready, 2);
    assert_int_equal(pass(s, 500, &rb, b), 1);
    assert_true(rb.on[1]);
    assert_int_equal(pass(s, 1010, &ra, a), 1);
    assert_true(ra.on[0]);
    end_task(s, &ra, a, 0, 1100, 0); /* its budget is spent: B's 0 is dropped */
    assert_int_equal(info(s, a).units_failed, 1);
    assert_int_equal(info(s, b).units_cancelled, 1);
    gt_sched_free(s);
    gt_config_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_retry_budget), cmocka_unit_test(test_retry_backoff),
        cmocka_unit_test(test_cancel_range),     cmocka_unit_test(test_aftercorr),
        cmocka_unit_test(test_aftercorr_text),   cmocka_unit_test(test_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
