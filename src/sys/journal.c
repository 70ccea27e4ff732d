/* SPDX-License-Identifier: MIT
 * The journal on SQLite (see journal.h). One table:
 *   log(seq INTEGER PRIMARY KEY, t INTEGER, op TEXT, body TEXT)
 * Statements are prepared once. journal_mode=WAL lets readers (sqlite3 tools, backups)
 * look while the controller writes; synchronous=FULL fsyncs the WAL at each commit. */
#include "sys/journal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gt_journal {
    sqlite3 *db;
    sqlite3_stmt *ins, *begin, *commit, *rollback;
    int64_t last_seq;
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
           sqlite3_prepare_v2(j->db, "ROLLBACK", -1, &j->rollback, NULL) != SQLITE_OK;
}

static int64_t read_last_seq(sqlite3 *db) {
    sqlite3_stmt *st;
    int64_t seq = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT max(coalesce((SELECT max(seq) FROM log), 0),"
                           " coalesce((SELECT max(seq) FROM snapshot), 0))",
                           -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            seq = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return seq;
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
        exec(j->db, "CREATE TABLE IF NOT EXISTS snapshot(seq INTEGER PRIMARY KEY,"
                    " core BLOB NOT NULL, ctld BLOB NOT NULL)") ||
        prepare(j)) {
        db_fail(j, err, path);
        gt_journal_close(j);
        return NULL;
    }
    j->last_seq = read_last_seq(j->db);
    return j;
}

void gt_journal_close(gt_journal *j) {
    if (!j)
        return;
    sqlite3_finalize(j->ins);
    sqlite3_finalize(j->begin);
    sqlite3_finalize(j->commit);
    sqlite3_finalize(j->rollback);
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

gt_err gt_journal_commit(gt_journal *j, gt_error *err) {
    return step_once(j, j->commit, err, "commit");
}

gt_err gt_journal_rollback(gt_journal *j) {
    gt_err e = step_once(j, j->rollback, NULL, "rollback");
    j->last_seq = read_last_seq(j->db);
    return e;
}

gt_err gt_journal_append(gt_journal *j, int64_t t, const char *op, const char *body, int64_t *seq,
                         gt_error *err) {
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

gt_err gt_journal_snapshot_put(gt_journal *j, int64_t seq, const void *a, size_t alen,
                               const void *b, size_t blen, gt_error *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db, "INSERT OR REPLACE INTO snapshot(seq, core, ctld) VALUES (?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(j, err, "snapshot");
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_blob64(st, 2, a, alen, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 3, b, blen, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(j, err, "snapshot");
    char sql[160];
    snprintf(sql, sizeof sql,
             "DELETE FROM snapshot WHERE seq < %lld; DELETE FROM log WHERE seq <= %lld",
             (long long)seq, (long long)seq);
    return exec(j->db, sql) ? db_fail(j, err, "compaction") : GT_E_OK;
}

static void *blob_copy(sqlite3_stmt *st, int col, size_t *len) {
    const void *p = sqlite3_column_blob(st, col);
    *len = (size_t)sqlite3_column_bytes(st, col);
    void *c = malloc(*len ? *len : 1);
    if (c && *len)
        memcpy(c, p, *len);
    return c;
}

gt_err gt_journal_snapshot_get(gt_journal *j, int64_t *seq, void **a, size_t *alen, void **b,
                               size_t *blen, gt_error *err) {
    *seq = 0;
    *a = *b = NULL;
    *alen = *blen = 0;
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
