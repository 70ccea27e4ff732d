/* SPDX-License-Identifier: MIT
 * The journal on SQLite (see journal.h). Tables:
 *   log(seq INTEGER PRIMARY KEY, t INTEGER, op TEXT, body TEXT)
 *   snapfile(seq INTEGER PRIMARY KEY, file TEXT)    the complete snapshot files
 *   snapshot(seq, core BLOB, ctld BLOB)              older builds' snapshots (read, dropped)
 * Entries are numbered by the journal, never reused: the highest seq in log or snapfile
 * (or snapshot) is the last one even when compaction has emptied log. Statements of the
 * per-round path are prepared once. journal_mode=WAL lets readers (sqlite3 tools, backups)
 * look while the controller writes; synchronous=FULL fsyncs the WAL at each commit. */
#include "sys/journal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gt_journal {
    sqlite3 *db;
    sqlite3_stmt *ins, *begin, *commit, *rollback, *del_upto, *first;
    int64_t last_seq;
    int legacy; /* the older builds' snapshot table exists */
};

static gt_err db_fail(gt_journal *j, gt_error *err, const char *what) {
    return gt_fail(err, GT_E_IO, "journal", "%s: %s", what, j->db ? sqlite3_errmsg(j->db) : "?");
}

static int exec(sqlite3 *db, const char *sql) {
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int prepare(gt_journal *j) {
    return sqlite3_prepare_v2(j->db, "INSERT INTO log(seq, t, op, body) VALUES (?, ?, ?, ?)", -1,
                              &j->ins, NULL) != SQLITE_OK ||
           sqlite3_prepare_v2(j->db, "BEGIN IMMEDIATE", -1, &j->begin, NULL) != SQLITE_OK ||
           sqlite3_prepare_v2(j->db, "COMMIT", -1, &j->commit, NULL) != SQLITE_OK ||
           sqlite3_prepare_v2(j->db, "ROLLBACK", -1, &j->rollback, NULL) != SQLITE_OK ||
           sqlite3_prepare_v2(j->db, "DELETE FROM log WHERE seq <= ?", -1, &j->del_upto, NULL) !=
               SQLITE_OK ||
           sqlite3_prepare_v2(j->db, "SELECT min(seq) FROM log", -1, &j->first, NULL) != SQLITE_OK;
}

/* The first column of the first row of sql as an integer (def when none or NULL). */
static int64_t query_int(sqlite3 *db, const char *sql, int64_t def) {
    sqlite3_stmt *st;
    int64_t v = def;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

static int64_t read_last_seq(gt_journal *j) {
    j->legacy = query_int(j->db,
                          "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                          " AND name = 'snapshot'",
                          0) > 0;
    int64_t a = query_int(j->db, "SELECT max(seq) FROM log", 0);
    int64_t b = query_int(j->db, "SELECT max(seq) FROM snapfile", 0);
    int64_t c = j->legacy ? query_int(j->db, "SELECT max(seq) FROM snapshot", 0) : 0;
    return a > b ? (a > c ? a : c) : (b > c ? b : c);
}

gt_journal *gt_journal_open(const char *path, int nosync, gt_error *err) {
    gt_journal *j = calloc(1, sizeof *j);
    if (!j) {
        gt_fail(err, GT_E_NOMEM, "journal", "out of memory");
        return NULL;
    }
    if (sqlite3_open(path, &j->db) != SQLITE_OK) {
        db_fail(j, err, path);
        gt_journal_close(j);
        return NULL;
    }
    sqlite3_busy_timeout(j->db, 5000);
    if (exec(j->db, "PRAGMA journal_mode=WAL") ||
        exec(j->db, nosync ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=FULL") ||
        exec(j->db, "CREATE TABLE IF NOT EXISTS log(seq INTEGER PRIMARY KEY, t INTEGER NOT NULL,"
                    " op TEXT NOT NULL, body TEXT NOT NULL)") ||
        exec(j->db, "CREATE TABLE IF NOT EXISTS snapfile(seq INTEGER PRIMARY KEY,"
                    " file TEXT NOT NULL)") ||
        prepare(j)) {
        db_fail(j, err, path);
        gt_journal_close(j);
        return NULL;
    }
    j->last_seq = read_last_seq(j);
    return j;
}

void gt_journal_close(gt_journal *j) {
    if (!j)
        return;
    sqlite3_finalize(j->ins);
    sqlite3_finalize(j->begin);
    sqlite3_finalize(j->commit);
    sqlite3_finalize(j->rollback);
    sqlite3_finalize(j->del_upto);
    sqlite3_finalize(j->first);
    sqlite3_close(j->db);
    free(j);
}

static gt_err step_once(gt_journal *j, sqlite3_stmt *st, gt_error *err, const char *what) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? GT_E_OK : db_fail(j, err, what);
}

gt_err gt_journal_begin(gt_journal *j, gt_error *err) {
    return step_once(j, j->begin, err, "begin");
}

/* ---- fault injection (builds with GT_FAULT_INJECTION: Debug and the sanitizer builds)
 * GT_FAULT_JOURNAL_APPEND=N fails the Nth append of this process and GT_FAULT_JOURNAL_COMMIT=N
 * its Nth commit with GT_E_IO, as a full or failing disk would (the append writes nothing;
 * the commit leaves the transaction open for the caller's rollback). Tests use it to show
 * that nothing acknowledged is lost and nothing unacknowledged appears. */
#ifdef GT_FAULT_INJECTION
#include <stdatomic.h>

static int fault_due(const char *var, _Atomic long *count) {
    const char *v = getenv(var);
    long at = v ? atol(v) : 0;
    return at > 0 && atomic_fetch_add(count, 1) + 1 == at;
}
#define FAULT(var, what, err)                                                                      \
    do {                                                                                           \
        static _Atomic long count_;                                                                \
        if (fault_due(var, &count_))                                                               \
            return gt_fail(err, GT_E_IO, "journal", "%s: injected fault (%s)", what, var);         \
    } while (0)
#else
#define FAULT(var, what, err) ((void)0)
#endif

gt_err gt_journal_commit(gt_journal *j, gt_error *err) {
    FAULT("GT_FAULT_JOURNAL_COMMIT", "commit", err);
    return step_once(j, j->commit, err, "commit");
}

gt_err gt_journal_rollback(gt_journal *j) {
    gt_err e = step_once(j, j->rollback, NULL, "rollback");
    j->last_seq = read_last_seq(j);
    return e;
}

gt_err gt_journal_append(gt_journal *j, int64_t t, const char *op, const char *body, int64_t *seq,
                         gt_error *err) {
    FAULT("GT_FAULT_JOURNAL_APPEND", "append", err);
    /* Explicit numbers: compaction may empty the table, and seq must never go back. */
    sqlite3_bind_int64(j->ins, 1, j->last_seq + 1);
    sqlite3_bind_int64(j->ins, 2, t);
    sqlite3_bind_text(j->ins, 3, op, -1, SQLITE_STATIC);
    sqlite3_bind_text(j->ins, 4, body, -1, SQLITE_STATIC);
    gt_err e = step_once(j, j->ins, err, "append");
    sqlite3_clear_bindings(j->ins);
    if (e)
        return e;
    j->last_seq++;
    if (seq)
        *seq = j->last_seq;
    return GT_E_OK;
}

gt_err gt_journal_replay(gt_journal *j, int64_t after, gt_journal_fn fn, void *ctx, gt_error *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db, "SELECT seq, t, op, body FROM log WHERE seq > ? ORDER BY seq", -1,
                           &st, NULL) != SQLITE_OK)
        return db_fail(j, err, "replay");
    sqlite3_bind_int64(st, 1, after);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop =
            fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
               (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3));
    gt_err e = GT_E_OK;
    if (stop)
        e = gt_fail(err, (gt_err)stop, "journal", "replay stopped");
    else if (rc != SQLITE_DONE)
        e = db_fail(j, err, "replay");
    sqlite3_finalize(st);
    return e;
}

int64_t gt_journal_last_seq(const gt_journal *j) {
    return j->last_seq;
}

gt_err gt_journal_snapfile_add(gt_journal *j, int64_t seq, const char *name, gt_error *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db, "INSERT OR REPLACE INTO snapfile(seq, file) VALUES (?, ?)", -1,
                           &st, NULL) != SQLITE_OK)
        return db_fail(j, err, "snapshot record");
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    char sql[80];
    snprintf(sql, sizeof sql, "DELETE FROM snapfile WHERE seq < %lld", (long long)seq);
    if (rc != SQLITE_DONE || exec(j->db, sql))
        return db_fail(j, err, "snapshot record");
    if (seq > j->last_seq)
        j->last_seq = seq;
    return GT_E_OK;
}

gt_err gt_journal_snapfile_get(gt_journal *j, int64_t before, int64_t *seq, char *name, size_t size,
                               gt_error *err) {
    *seq = 0;
    if (size)
        name[0] = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db,
                           "SELECT seq, file FROM snapfile WHERE seq < ? ORDER BY seq DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(j, err, "snapshot list");
    sqlite3_bind_int64(st, 1, before);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        snprintf(name, size, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? GT_E_OK : db_fail(j, err, "snapshot list");
}

static gt_err first_in_log(gt_journal *j, int64_t *first, gt_error *err) {
    int rc = sqlite3_step(j->first);
    *first = rc == SQLITE_ROW && sqlite3_column_type(j->first, 0) != SQLITE_NULL
                 ? sqlite3_column_int64(j->first, 0)
                 : 0;
    sqlite3_reset(j->first);
    return rc == SQLITE_ROW ? GT_E_OK : db_fail(j, err, "first entry");
}

gt_err gt_journal_first_seq(gt_journal *j, int64_t *first, gt_error *err) {
    gt_err e = first_in_log(j, first, err);
    if (!e && !*first)
        *first = j->last_seq + 1;
    return e;
}

gt_err gt_journal_compact(gt_journal *j, int64_t upto, int64_t max, int64_t *deleted, int *more,
                          gt_error *err) {
    int64_t lo;
    *more = 0;
    *deleted = 0;
    gt_err e = first_in_log(j, &lo, err);
    if (e || !lo || lo > upto)
        return e;
    /* seq has no holes above the oldest entry, so this range is at most max entries */
    int64_t hi = max > 0 && upto - lo >= max ? lo + max - 1 : upto;
    sqlite3_bind_int64(j->del_upto, 1, hi);
    e = step_once(j, j->del_upto, err, "compaction");
    if (!e)
        *deleted = sqlite3_changes(j->db);
    *more = !e && hi < upto;
    return e;
}

static void *blob_copy(sqlite3_stmt *st, int col, size_t *len) {
    const void *p = sqlite3_column_blob(st, col);
    *len = (size_t)sqlite3_column_bytes(st, col);
    void *c = malloc(*len ? *len : 1);
    if (c && *len)
        memcpy(c, p, *len);
    return c;
}

gt_err gt_journal_legacy_get(gt_journal *j, int64_t *seq, void **a, size_t *alen, void **b,
                             size_t *blen, gt_error *err) {
    *seq = 0;
    *a = *b = NULL;
    *alen = *blen = 0;
    if (!j->legacy)
        return GT_E_OK;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db, "SELECT seq, core, ctld FROM snapshot ORDER BY seq DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(j, err, "snapshot");
    gt_err e = GT_E_OK;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        *a = blob_copy(st, 1, alen);
        *b = blob_copy(st, 2, blen);
        if (!*a || !*b) {
            free(*a), free(*b);
            *a = *b = NULL;
            e = gt_fail(err, GT_E_NOMEM, "snapshot", "out of memory");
        }
    } else if (rc != SQLITE_DONE) {
        e = db_fail(j, err, "snapshot");
    }
    sqlite3_finalize(st);
    return e;
}

gt_err gt_journal_legacy_drop(gt_journal *j, gt_error *err) {
    if (!j->legacy)
        return GT_E_OK;
    if (exec(j->db, "DROP TABLE snapshot"))
        return db_fail(j, err, "dropping the old snapshot table");
    j->legacy = 0;
    return GT_E_OK;
}
