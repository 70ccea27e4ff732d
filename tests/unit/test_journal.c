/* SPDX-License-Identifier: MIT
 * The SQLite journal: entries come back in order with their times, a rollback leaves
 * nothing, compaction after a recorded snapshot never reuses a sequence number (a restart
 * after compaction once numbered new entries from 1 again, behind the snapshot), chunked
 * compaction deletes exactly the entries the snapshot covers, and a data folder of an
 * older build (its snapshot inside the database) still reads. Damage is never silent:
 * replay stops at the first bad entry (a checksum mismatch, a NULL op, a body its op
 * refuses, a gap, a missing tail) and says which it is and how many entries come after;
 * entries of older builds without a checksum still load; dropping the entries after a
 * sequence number (--accept-loss-after) leaves a journal that replays cleanly; a WAL whose
 * tail SQLite would drop is reported and left as it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sys/journal.h"

typedef struct {
    int n;
    int64_t seq[16], t[16];
    char op[16][16], body[16][32];
} seen_t;

static gt_err collect(void *ctx, int64_t seq, int64_t t, const char *op, const char *body,
                      gt_error *err) {
    (void)err;
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

static gt_journal_bad bad; /* the last replay's bad entry */

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
    assert_int_equal(gt_journal_replay(j, 0, collect, &s, &bad, &err), GT_E_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.seq[1], 2);
    assert_int_equal(s.t[1], 20);
    assert_string_equal(s.op[0], "submit");
    assert_string_equal(s.body[0], "{\"a\":1}");
    seen_t after = {0};
    gt_journal_replay(j, 1, collect, &after, &bad, &err);
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
    gt_journal_replay(j, 5, collect, &s, &bad, &err);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.seq[0], 6); /* never 1 again */
    seen_t all = {0};
    assert_int_equal(gt_journal_replay(j, 0, collect, &all, &bad, &err), GT_E_STATE);
    assert_int_equal(all.n, 0); /* entries up to the snapshot are gone: no replay from 0 */
    assert_int_equal(bad.seq, 1);
    assert_non_null(strstr(bad.what, "compacted behind a snapshot"));
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
    assert_int_equal(gt_journal_replay(j, 70, collect, &s, &bad, &err), GT_E_OK);
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

/* A file journal with entries 1..n (one commit each), body {"i":SEQ}. */
static gt_journal *journal_of(const char *path, int n) {
    gt_error err = {0};
    gt_journal *j = gt_journal_open(path, 1, &err);
    assert_non_null(j);
    for (int i = 1; i <= n; i++) {
        char body[32];
        snprintf(body, sizeof body, "{\"i\":%d}", i);
        assert_int_equal(gt_journal_begin(j, &err), GT_E_OK);
        append(j, i * 10, "pass", body);
        assert_int_equal(gt_journal_commit(j, &err), GT_E_OK);
    }
    return j;
}

static void sql(const char *path, const char *text) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    int rc = sqlite3_exec(db, text, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", text, sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* Reopen path and replay it all: the code, with the bad entry in `bad`. */
static gt_err replay_file(const char *path, seen_t *s, gt_error *err) {
    gt_journal *j = gt_journal_open(path, 1, err);
    assert_non_null(j);
    gt_err e = gt_journal_replay(j, 0, collect, s, &bad, err);
    gt_journal_close(j);
    return e;
}

/* A journal of n entries at path, damaged by `damage` (SQL): replay stops at entry `at`,
 * with the entries before it replayed. */
static void expect_bad(const char *path, int n, const char *damage, int64_t at, gt_error *err) {
    gt_journal_close(journal_of(path, n));
    sql(path, damage);
    seen_t s = {0};
    assert_int_equal(replay_file(path, &s, err), GT_E_STATE);
    assert_int_equal(s.n, at - 1);
    assert_int_equal(bad.seq, at);
}

static void test_checksum_mismatch(void **state) {
    (void)state;
    char dir[32], path[64];
    tmp_db(dir, path);
    gt_error err = {0};
    expect_bad(path, 5, "UPDATE log SET body = '{\"i\":9}' WHERE seq = 3", 3, &err);
    seen_t s = {0};
    assert_string_equal(bad.op, "pass");
    assert_non_null(strstr(bad.what, "checksum mismatch"));
    assert_int_equal(bad.lost, 3); /* 3, 4, 5 */
    assert_non_null(strstr(err.msg, "entry 3 (pass)"));
    /* the time is covered too, and so is a checksum gone NULL */
    sql(path,
        "UPDATE log SET body = '{\"i\":3}' WHERE seq = 3; UPDATE log SET t = 1 WHERE seq = 4");
    memset(&s, 0, sizeof s);
    assert_int_equal(replay_file(path, &s, &err), GT_E_STATE);
    assert_int_equal(bad.seq, 4);
    sql(path, "UPDATE log SET t = 40 WHERE seq = 4; UPDATE log SET crc = NULL WHERE seq = 5");
    memset(&s, 0, sizeof s);
    assert_int_equal(replay_file(path, &s, &err), GT_E_STATE);
    assert_int_equal(bad.seq, 5);
    assert_non_null(strstr(bad.what, "no checksum"));
    rm_dir(dir);
}

/* A journal of an older build: no crc column, no NOT NULL on op (as damage can leave a
 * row). Its entries load without a checksum; a NULL op stops the replay, named. */
static void test_old_rows_and_null_op(void **state) {
    (void)state;
    char dir[32], path[64];
    tmp_db(dir, path);
    sql(path, "PRAGMA journal_mode=WAL;"
              "CREATE TABLE log(seq INTEGER PRIMARY KEY, t INTEGER, op TEXT, body TEXT);"
              "INSERT INTO log VALUES (1, 10, 'pass', '{}'), (2, 20, 'pass', '{}'),"
              " (3, 30, NULL, '{}'), (4, 40, 'pass', '{}');");
    seen_t s = {0};
    gt_error err = {0};
    assert_int_equal(replay_file(path, &s, &err), GT_E_STATE);
    assert_int_equal(s.n, 2);
    assert_int_equal(bad.seq, 3);
    assert_string_equal(bad.op, "");
    assert_non_null(strstr(bad.what, "op is NULL"));
    assert_int_equal(bad.lost, 2);
    /* mended, it loads whole, and what this build appends carries a checksum */
    sql(path, "UPDATE log SET op = 'pass' WHERE seq = 3");
    gt_journal *j = gt_journal_open(path, 1, &err);
    assert_non_null(j);
    gt_journal_begin(j, &err);
    append(j, 50, "pass", "{}");
    gt_journal_commit(j, &err);
    gt_journal_close(j);
    memset(&s, 0, sizeof s);
    assert_int_equal(replay_file(path, &s, &err), GT_E_OK);
    assert_int_equal(s.n, 5);
    sql(path, "UPDATE log SET crc = NULL WHERE seq = 5");
    assert_int_equal(replay_file(path, &s, &err), GT_E_STATE);
    assert_int_equal(bad.seq, 5); /* from the migration on, a checksum is required */
    rm_dir(dir);
}

/* The caller's check (gantryd: a body that is not JSON, an unknown op) stops the replay. */
static gt_err refuse_i3(void *ctx, int64_t seq, int64_t t, const char *op, const char *body,
                        gt_error *err) {
    if (!strcmp(body, "{\"i\":3}"))
        return gt_fail(err, GT_E_PARSE, "journal", "its body is not valid JSON: test");
    if (!strcmp(body, "{\"i\":4}"))
        return gt_fail(err, GT_E_NOMEM, "journal", "out of memory");
    return collect(ctx, seq, t, op, body, err);
}

static void test_bad_json_and_other_errors(void **state) {
    (void)state;
    gt_error err = {0};
    gt_journal *j = journal_of(":memory:", 5);
    seen_t s = {0};
    assert_int_equal(gt_journal_replay(j, 0, refuse_i3, &s, &bad, &err), GT_E_STATE);
    assert_int_equal(s.n, 2);
    assert_int_equal(bad.seq, 3);
    assert_non_null(strstr(bad.what, "not valid JSON"));
    assert_int_equal(bad.lost, 3);
    /* an error that is not the entry's fault is no damage */
    assert_int_equal(gt_journal_replay(j, 3, refuse_i3, &s, &bad, &err), GT_E_NOMEM);
    assert_int_equal(bad.seq, 0);
    gt_journal_close(j);
}

static void test_gap_and_missing_tail(void **state) {
    (void)state;
    char dir[32], path[64];
    tmp_db(dir, path);
    gt_error err = {0};
    expect_bad(path, 6, "DELETE FROM log WHERE seq IN (3, 4)", 3, &err);
    seen_t s = {0};
    assert_non_null(strstr(bad.what, "goes on at entry 5"));
    assert_int_equal(bad.lost, 2); /* 5 and 6 */
    /* the log ends before the snapshot it records: the tail is missing */
    sql(path, "DELETE FROM log WHERE seq > 2; INSERT INTO snapfile VALUES (1, 'snapshot-1'),"
              " (8, 'snapshot-8')");
    memset(&s, 0, sizeof s);
    assert_int_equal(replay_file(path, &s, &err), GT_E_STATE);
    assert_int_equal(bad.seq, 3);
    assert_non_null(strstr(bad.what, "go to entry 8"));
    rm_dir(dir);
}

typedef struct {
    int n;
    int64_t seq[8];
} dropped_t;

static void on_drop(void *ctx, int64_t seq, int64_t t, const char *op, const char *body) {
    (void)t, (void)op, (void)body;
    dropped_t *d = ctx;
    if (d->n < 8)
        d->seq[d->n] = seq;
    d->n++;
}

/* --accept-loss-after 2 on a journal damaged at entry 3: entries 3..5 and the snapshot
 * record of 4 go (each shown), numbering goes on at 3, and the journal replays clean. */
static void test_accept_loss(void **state) {
    (void)state;
    char dir[32], path[64];
    tmp_db(dir, path);
    gt_journal *j = journal_of(path, 5);
    gt_error err = {0};
    gt_journal_begin(j, &err);
    assert_int_equal(gt_journal_snapfile_add(j, 4, "snapshot-4", &err), GT_E_OK);
    gt_journal_commit(j, &err);
    gt_journal_close(j);
    sql(path, "UPDATE log SET op = 'bogus' WHERE seq = 3");
    j = gt_journal_open(path, 1, &err);
    assert_non_null(j);
    dropped_t d = {0};
    int64_t n = 0;
    gt_journal_begin(j, &err);
    assert_int_equal(gt_journal_drop_after(j, 2, on_drop, &d, &n, &err), GT_E_OK);
    assert_int_equal(gt_journal_commit(j, &err), GT_E_OK);
    assert_int_equal(n, 3);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.seq[0], 3);
    assert_int_equal(d.seq[2], 5);
    assert_int_equal(gt_journal_last_seq(j), 2);
    int64_t seq;
    char name[32];
    gt_journal_snapfile_get(j, INT64_MAX, &seq, name, sizeof name, &err);
    assert_int_equal(seq, 0);
    gt_journal_begin(j, &err);
    append(j, 99, "pass", "{}");
    gt_journal_commit(j, &err);
    gt_journal_close(j);
    seen_t s = {0};
    assert_int_equal(replay_file(path, &s, &err), GT_E_OK);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.seq[2], 3);
    assert_int_equal(s.t[2], 99);
    rm_dir(dir);
}

static void copy(const char *from, const char *to) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "cp %s %s", from, to);
    assert_int_equal(system(cmd), 0);
}

static void flip(const char *path, long off) {
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    int c = fgetc(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    fputc(c ^ 0x5a, f);
    fclose(f);
}

/* A WAL with 20 transactions, copied while the journal is open (a clean close folds it
 * into the file): whole, it opens clean; a byte flipped in its third frame is reported
 * with the entries SQLite still reads, and the journal closes without touching it. */
static void test_wal_damage(void **state) {
    (void)state;
    char dir[32], path[64], copy_db[80], wal[80], copy_wal[90];
    tmp_db(dir, path);
    gt_journal *j = journal_of(path, 20);
    snprintf(copy_db, sizeof copy_db, "%s/c.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(copy_wal, sizeof copy_wal, "%s-wal", copy_db);
    copy(path, copy_db);
    copy(wal, copy_wal);
    gt_journal_close(j);
    gt_error err = {0};
    char saved[90];
    snprintf(saved, sizeof saved, "%s/saved-wal", dir);
    copy(copy_wal, saved);
    j = gt_journal_open(copy_db, 1, &err);
    assert_non_null(j);
    assert_string_equal(gt_journal_wal_damage(j), "");
    gt_journal_close(j);
    copy(saved, copy_wal); /* as it was before that open */
    struct stat st;
    assert_int_equal(stat(copy_wal, &st), 0);
    long frame = 24 + 4096;
    assert_true(st.st_size > 32 + 5 * frame);
    flip(copy_wal, 32 + 2 * frame + 24 + 100);
    j = gt_journal_open(copy_db, 1, &err);
    assert_non_null(j);
    assert_non_null(strstr(gt_journal_wal_damage(j), "frame 3 of"));
    assert_non_null(strstr(gt_journal_wal_damage(j), "committed transaction"));
    assert_true(gt_journal_last_seq(j) < 20);
    gt_journal_close(j);
    struct stat after;
    assert_int_equal(stat(copy_wal, &after), 0); /* still there, for the next start */
    assert_int_equal(after.st_size, st.st_size);
    j = gt_journal_open(copy_db, 1, &err);
    assert_non_null(j);
    assert_true(gt_journal_wal_damage(j)[0] != 0); /* reported again */
    int64_t readable = gt_journal_last_seq(j);
    assert_int_equal(gt_journal_accept_wal(j, &err), GT_E_OK);
    gt_journal_begin(j, &err);
    append(j, 1, "pass", "{}");
    assert_int_equal(gt_journal_commit(j, &err), GT_E_OK);
    gt_journal_close(j);
    seen_t s = {0};
    assert_int_equal(replay_file(copy_db, &s, &err), GT_E_OK);
    assert_int_equal(s.n, readable + 1);
    rm_dir(dir);
}

/* A file that is not a database, and a schema newer than this build's: refused, saying so. */
static void test_damaged_file_refused(void **state) {
    (void)state;
    char dir[32], path[64];
    tmp_db(dir, path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 8192; i++)
        fputc('x', f);
    fclose(f);
    gt_error err = {0};
    assert_null(gt_journal_open(path, 1, &err));
    assert_int_equal(err.code, GT_E_STATE);
    assert_non_null(strstr(err.msg, "damaged"));
    unlink(path);
    gt_journal_close(journal_of(path, 1));
    sql(path, "PRAGMA user_version = 7");
    assert_null(gt_journal_open(path, 1, &err));
    assert_int_equal(err.code, GT_E_STATE);
    assert_non_null(strstr(err.msg, "schema version 7"));
    rm_dir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_replay_rollback),
        cmocka_unit_test(test_snapshot_compacts_and_seq_goes_on),
        cmocka_unit_test(test_compaction_in_steps),
        cmocka_unit_test(test_old_snapshot_table),
        cmocka_unit_test(test_open_fails_clearly),
        cmocka_unit_test(test_checksum_mismatch),
        cmocka_unit_test(test_old_rows_and_null_op),
        cmocka_unit_test(test_bad_json_and_other_errors),
        cmocka_unit_test(test_gap_and_missing_tail),
        cmocka_unit_test(test_accept_loss),
        cmocka_unit_test(test_wal_damage),
        cmocka_unit_test(test_damaged_file_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
