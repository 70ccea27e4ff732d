/* SPDX-License-Identifier: MIT
 * The SQLite journal: entries come back in order with their times, a rollback leaves
 * nothing, and a snapshot compacts the log without ever reusing a sequence number (a
 * restart after compaction once numbered new entries from 1 again, behind the snapshot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/journal.h"

typedef struct {
    int n;
    int64_t seq[16], t[16];
    char op[16][16], body[16][32];
} seen_t;

static int collect(void *ctx, int64_t seq, int64_t t, const char *op, const char *body) {
    seen_t *s = ctx;
    if (s->n < 16) {
        s->seq[s->n] = seq;
        s->t[s->n] = t;
        snprintf(s->op[s->n], 16, "%s", op);
        snprintf(s->body[s->n], 32, "%s", body);
    }
    s->n++;
    return 0;
}

static void append(gt_journal *j, int64_t t, const char *op, const char *body) {
    gt_error err = {0};
    assert_int_equal(gt_journal_append(j, t, op, body, NULL, &err), GT_E_OK);
}

static void test_append_replay_rollback(void **state) {
    (void)state;
    gt_error err = {0};
    gt_journal *j = gt_journal_open(":memory:", 1, &err);
    assert_non_null(j);
    assert_int_equal(gt_journal_begin(j, &err), GT_E_OK);
    append(j, 10, "submit", "{\"a\":1}");
    append(j, 20, "pass", "{}");
    assert_int_equal(gt_journal_commit(j, &err), GT_E_OK);
    assert_int_equal(gt_journal_begin(j, &err), GT_E_OK);
    append(j, 30, "cancel", "{\"job\":0}");
    gt_journal_rollback(j);
    assert_int_equal(gt_journal_last_seq(j), 2);
    seen_t s = {0};
    assert_int_equal(gt_journal_replay(j, 0, collect, &s, &err), GT_E_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.seq[1], 2);
    assert_int_equal(s.t[1], 20);
    assert_string_equal(s.op[0], "submit");
    assert_string_equal(s.body[0], "{\"a\":1}");
    seen_t after = {0};
    gt_journal_replay(j, 1, collect, &after, &err);
    assert_int_equal(after.n, 1);
    gt_journal_close(j);
}

static void test_snapshot_compacts_and_seq_goes_on(void **state) {
    (void)state;
    char dir[] = "/tmp/gt-journal.XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/j.db", dir);
    gt_error err = {0};
    gt_journal *j = gt_journal_open(path, 1, &err);
    assert_non_null(j);
    gt_journal_begin(j, &err);
    for (int i = 0; i < 5; i++)
        append(j, i, "pass", "{}");
    assert_int_equal(gt_journal_snapshot_put(j, 5, "core", 4, "rec", 3, &err), GT_E_OK);
    gt_journal_commit(j, &err);
    gt_journal_close(j);
    /* Reopened: the log is empty but numbering goes on after the snapshot. */
    j = gt_journal_open(path, 1, &err);
    assert_non_null(j);
    assert_int_equal(gt_journal_last_seq(j), 5);
    int64_t seq;
    void *a, *b;
    size_t al, bl;
    assert_int_equal(gt_journal_snapshot_get(j, &seq, &a, &al, &b, &bl, &err), GT_E_OK);
    assert_int_equal(seq, 5);
    assert_int_equal(al, 4);
    assert_memory_equal(a, "core", 4);
    assert_memory_equal(b, "rec", 3);
    free(a);
    free(b);
    gt_journal_begin(j, &err);
    append(j, 9, "submit", "{}");
    gt_journal_commit(j, &err);
    seen_t s = {0};
    gt_journal_replay(j, seq, collect, &s, &err);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.seq[0], 6); /* never 1 again */
    seen_t all = {0};
    gt_journal_replay(j, 0, collect, &all, &err);
    assert_int_equal(all.n, 1); /* entries up to the snapshot are gone */
    gt_journal_close(j);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_open_fails_clearly(void **state) {
    (void)state;
    gt_error err = {0};
    assert_null(gt_journal_open("/nonexistent-dir/x/j.db", 0, &err));
    assert_int_equal(err.code, GT_E_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x/j.db"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_replay_rollback),
        cmocka_unit_test(test_snapshot_compacts_and_seq_goes_on),
        cmocka_unit_test(test_open_fails_clearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
