/* SPDX-License-Identifier: MIT
 * The SQLite journal: entries come back in order with their times, a rollback leaves
 * nothing, compaction after a recorded snapshot never reuses a sequence number (a restart
 * after compaction once numbered new entries from 1 again, behind the snapshot), chunked
 * compaction deletes exactly the entries the snapshot covers, and a data folder of an
 * older build (its snapshot inside the database) still reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

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

static void tmp_db(char dir[32], char path[64]) {
    snprintf(dir, 32, "/tmp/gt-journal.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, 64, "%s/j.db", dir);
}

static void rm_dir(const char *dir) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void compact(gt_journal *j, int64_t upto, int64_t max, int64_t want_deleted, int want_more) {
    gt_error err = {0};
    int64_t n = -1;
    int more = -1;
    assert_int_equal(gt_journal_compact(j, upto, max, &n, &more, &err), GT_E_OK);
    assert_int_equal(n, want_deleted);
    assert_int_equal(more, want_more);
}

static void test_snapshot_compacts_and_seq_goes_on(void **state) {
    (void)state;
    char dir[32], path[64];
    tmp_db(dir, path);
    gt_error err = {0};
    gt_journal *j = gt_journal_open(path, 1, &err);
    assert_non_null(j);
    gt_journal_begin(j, &err);
    for (int i = 0; i < 5; i++)
        append(j, i, "pass", "{}");
    assert_int_equal(gt_journal_snapfile_add(j, 5, "snapshot-5", &err), GT_E_OK);
    compact(j, 5, 0, 5, 0);
    gt_journal_commit(j, &err);
    gt_journal_close(j);
    /* Reopened: the log is empty but numbering goes on after the snapshot. */
    j = gt_journal_open(path, 1, &err);
    assert_non_null(j);
    assert_int_equal(gt_journal_last_seq(j), 5);
    int64_t seq, first;
    char name[32];
    assert_int_equal(gt_journal_snapfile_get(j, INT64_MAX, &seq, name, sizeof name, &err), GT_E_OK);
    assert_int_equal(seq, 5);
    assert_string_equal(name, "snapshot-5");
    assert_int_equal(gt_journal_snapfile_get(j, 5, &seq, name, sizeof name, &err), GT_E_OK);
    assert_int_equal(seq, 0); /* nothing older */
    assert_int_equal(gt_journal_first_seq(j, &first, &err), GT_E_OK);
    assert_int_equal(first, 6); /* empty log: last + 1 */
    gt_journal_begin(j, &err);
    append(j, 9, "submit", "{}");
    gt_journal_commit(j, &err);
    seen_t s = {0};
    gt_journal_replay(j, 5, collect, &s, &err);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.seq[0], 6); /* never 1 again */
    seen_t all = {0};
    gt_journal_replay(j, 0, collect, &all, &err);
    assert_int_equal(all.n, 1); /* entries up to the snapshot are gone */
    gt_journal_close(j);
    rm_dir(dir);
}

/* Compaction in steps removes exactly the entries up to the snapshot, the oldest first;
 * a newer snapshot row replaces the older one; a rolled-back step deletes nothing. */
static void test_compaction_in_steps(void **state) {
    (void)state;
    gt_error err = {0};
    gt_journal *j = gt_journal_open(":memory:", 1, &err);
    assert_non_null(j);
    gt_journal_begin(j, &err);
    for (int i = 0; i < 100; i++)
        append(j, i, "pass", "{}");
    assert_int_equal(gt_journal_snapfile_add(j, 40, "snapshot-40", &err), GT_E_OK);
    assert_int_equal(gt_journal_commit(j, &err), GT_E_OK);
    gt_journal_begin(j, &err);
    compact(j, 40, 30, 30, 1); /* 1..30 */
    gt_journal_rollback(j);
    int64_t first;
    gt_journal_first_seq(j, &first, &err);
    assert_int_equal(first, 1);
    gt_journal_begin(j, &err);
    assert_int_equal(gt_journal_snapfile_add(j, 70, "snapshot-70", &err), GT_E_OK);
    compact(j, 70, 30, 30, 1); /* 1..30 */
    gt_journal_commit(j, &err);
    gt_journal_begin(j, &err);
    compact(j, 70, 30, 30, 1); /* 31..60 */
    gt_journal_commit(j, &err);
    gt_journal_begin(j, &err);
    compact(j, 70, 30, 10, 0); /* 61..70 */
    compact(j, 70, 30, 0, 0);  /* nothing left to do */
    gt_journal_commit(j, &err);
    seen_t s = {0};
    gt_journal_replay(j, 0, collect, &s, &err);
    assert_int_equal(s.n, 30);
    assert_int_equal(s.seq[0], 71);
    gt_journal_first_seq(j, &first, &err);
    assert_int_equal(first, 71);
    int64_t seq;
    char name[32];
    gt_journal_snapfile_get(j, INT64_MAX, &seq, name, sizeof name, &err);
    assert_int_equal(seq, 70);
    gt_journal_snapfile_get(j, 70, &seq, name, sizeof name, &err);
    assert_int_equal(seq, 0); /* the row of 40 went with the row of 70 */
    assert_int_equal(gt_journal_last_seq(j), 100);
    gt_journal_close(j);
}

/* A journal.db as the previous build wrote it: its snapshot (entry 5) is a row of table
 * `snapshot`, entries 1..5 were deleted with it. */
static void write_old_journal(const char *path) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL;"
                     "CREATE TABLE log(seq INTEGER PRIMARY KEY, t INTEGER NOT NULL,"
                     " op TEXT NOT NULL, body TEXT NOT NULL);"
                     "CREATE TABLE snapshot(seq INTEGER PRIMARY KEY,"
                     " core BLOB NOT NULL, ctld BLOB NOT NULL);"
                     "INSERT INTO snapshot VALUES (5, x'636f7265', x'726563');"
                     "INSERT INTO log VALUES (6, 60, 'pass', '{}'), (7, 70, 'pass', '{}');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
}

static void test_old_snapshot_table(void **state) {
    (void)state;
    char dir[32], path[64];
    tmp_db(dir, path);
    write_old_journal(path);
    gt_error err = {0};
    gt_journal *j = gt_journal_open(path, 1, &err);
    assert_non_null(j);
    assert_int_equal(gt_journal_last_seq(j), 7);
    int64_t seq, first;
    gt_journal_first_seq(j, &first, &err);
    assert_int_equal(first, 6);
    void *a, *b;
    size_t al, bl;
    assert_int_equal(gt_journal_legacy_get(j, &seq, &a, &al, &b, &bl, &err), GT_E_OK);
    assert_int_equal(seq, 5);
    assert_int_equal(al, 4);
    assert_memory_equal(a, "core", 4);
    assert_memory_equal(b, "rec", 3);
    free(a);
    free(b);
    gt_journal_begin(j, &err);
    assert_int_equal(gt_journal_snapfile_add(j, 5, "snapshot-5", &err), GT_E_OK);
    assert_int_equal(gt_journal_legacy_drop(j, &err), GT_E_OK);
    assert_int_equal(gt_journal_commit(j, &err), GT_E_OK);
    gt_journal_close(j);
    j = gt_journal_open(path, 1, &err);
    assert_non_null(j);
    assert_int_equal(gt_journal_legacy_get(j, &seq, &a, &al, &b, &bl, &err), GT_E_OK);
    assert_int_equal(seq, 0);
    assert_null(a);
    char name[32];
    gt_journal_snapfile_get(j, INT64_MAX, &seq, name, sizeof name, &err);
    assert_int_equal(seq, 5);
    assert_int_equal(gt_journal_last_seq(j), 7);
    gt_journal_close(j);
    rm_dir(dir);
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
        cmocka_unit_test(test_compaction_in_steps),
        cmocka_unit_test(test_old_snapshot_table),
        cmocka_unit_test(test_open_fails_clearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
