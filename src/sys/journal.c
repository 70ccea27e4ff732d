/* SPDX-License-Identifier: MIT
 * The journal on SQLite (see journal.h). Tables:
 *   log(seq INTEGER PRIMARY KEY, t INTEGER, op TEXT, body TEXT, crc INTEGER)
 *   snapfile(seq INTEGER PRIMARY KEY, file TEXT)    the complete snapshot files
 *   meta(key TEXT PRIMARY KEY, value INTEGER)       crc_from: the first seq with a crc
 *   snapshot(seq, core BLOB, ctld BLOB)              older builds' snapshots (read, dropped)
 * Entries are numbered by the journal, never reused: the highest seq in log or snapfile
 * (or snapshot) is the last one even when compaction has emptied log. Statements of the
 * per-round path are prepared once. journal_mode=WAL lets readers (sqlite3 tools, backups)
 * look while the controller writes; synchronous=FULL fsyncs the WAL at each commit.
 *
 * crc is CRC-32C (util/crc32.h) of seq and t (8 bytes each, little-endian), op, a NUL and
 * body. Rows of journals written before schema 1 have crc NULL and are accepted as before:
 * crc_from is set, when the column is added, to the entry after the last one then. */
#include "sys/journal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sys/readfile.h"
#include "sys/walcheck.h"
#include "util/crc32.h"

struct gt_journal {
    sqlite3 *db;
    sqlite3_stmt *ins, *begin, *commit, *rollback, *del_upto, *first;
    int64_t last_seq, crc_from;
    int legacy;         /* the older builds' snapshot table exists */
    char wal_bad[1280]; /* the WAL's damage, "" when none (or accepted) */
};

static gt_err db_fail(gt_journal *j, gt_error *err, const char *what) {
    int rc = j->db ? sqlite3_errcode(j->db) & 0xff : 0;
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
        return gt_fail(err, GT_E_STATE, "journal",
                       "%s: %s: the journal's file is damaged (docs/operations.md, journal "
                       "damage)",
                       what, sqlite3_errmsg(j->db));
    return gt_fail(err, GT_E_IO, "journal", "%s: %s", what, j->db ? sqlite3_errmsg(j->db) : "?");
}

static int exec(sqlite3 *db, const char *sql) {
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int prepare(gt_journal *j) {
    return sqlite3_prepare_v2(j->db,
                              "INSERT INTO log(seq, t, op, body, crc) VALUES (?, ?, ?, ?, ?)", -1,
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

uint32_t gt_journal_crc(int64_t seq, int64_t t, const char *op, size_t oplen, const char *body,
                        size_t bodylen) {
    unsigned char h[16];
    for (int i = 0; i < 8; i++) {
        h[i] = (unsigned char)((uint64_t)seq >> (8 * i));
        h[8 + i] = (unsigned char)((uint64_t)t >> (8 * i));
    }
    uint32_t c = gt_crc32c(0, h, sizeof h);
    c = gt_crc32c(c, op, oplen);
    c = gt_crc32c(c, "", 1);
    return gt_crc32c(c, body, bodylen);
}

/* Check path-wal before SQLite opens it (and, after a crash, rewrites its index). A WAL
 * that cannot be read is an error; a missing one is fine. */
static gt_err wal_check(gt_journal *j, const char *path, gt_error *err) {
    char wal[1024];
    struct stat st;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (!strcmp(path, ":memory:") || stat(wal, &st) || st.st_size == 0)
        return GT_E_OK;
    size_t n;
    char *p = gt_file_read(wal, (size_t)st.st_size + 1, &n, err);
    if (!p)
        return err ? err->code : GT_E_IO;
    gt_walcheck w;
    gt_walcheck_scan((const unsigned char *)p, n, &w);
    free(p);
    if (w.damaged)
        snprintf(j->wal_bad, sizeof j->wal_bad, "%s: %s", wal, w.what);
    return GT_E_OK;
}

/* quick_check: the b-trees whole (every page reachable once, keys in order). Reads the
 * whole file: about a second a gigabyte, and the journal is compacted behind each
 * snapshot. */
static gt_err quick_check(gt_journal *j, const char *path, gt_error *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db, "PRAGMA quick_check(3)", -1, &st, NULL) != SQLITE_OK)
        return db_fail(j, err, path);
    char says[200] = "";
    size_t len = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(st, 0);
        if (m && strcmp(m, "ok") && len < sizeof says)
            len += (size_t)snprintf(says + len, sizeof says - len, "%s%s", len ? "; " : "", m);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(j, err, path);
    if (len)
        return gt_fail(err, GT_E_STATE, "journal",
                       "%s is damaged: SQLite's quick_check says: %s (docs/operations.md, "
                       "journal damage)",
                       path, says);
    return GT_E_OK;
}

/* Schema 0 -> 1: add log.crc and meta(crc_from) in one transaction. */
static int migrate(gt_journal *j) {
    int64_t has_crc =
        query_int(j->db, "SELECT count(*) FROM pragma_table_info('log') WHERE name = 'crc'", 0);
    char sql[160];
    snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO meta(key, value) VALUES ('crc_from', %lld)",
             (long long)read_last_seq(j) + 1);
    if (exec(j->db, "BEGIN IMMEDIATE"))
        return 1;
    if ((!has_crc && exec(j->db, "ALTER TABLE log ADD COLUMN crc INTEGER")) || exec(j->db, sql) ||
        exec(j->db, "PRAGMA user_version = 1") || exec(j->db, "COMMIT")) {
        exec(j->db, "ROLLBACK");
        return 1;
    }
    return 0;
}

/* Tables, the migration from older builds, the statements. Writes only when the file is
 * new or older. */
static gt_err setup(gt_journal *j, const char *path, gt_error *err) {
    int64_t version = query_int(j->db, "PRAGMA user_version", 0);
    if (version > GT_JOURNAL_SCHEMA)
        return gt_fail(err, GT_E_STATE, "journal",
                       "%s: schema version %lld, this build knows %d: written by a newer gantry, "
                       "or damaged",
                       path, (long long)version, GT_JOURNAL_SCHEMA);
    if (exec(j->db, "CREATE TABLE IF NOT EXISTS log(seq INTEGER PRIMARY KEY, t INTEGER NOT NULL,"
                    " op TEXT NOT NULL, body TEXT NOT NULL, crc INTEGER)") ||
        exec(j->db, "CREATE TABLE IF NOT EXISTS snapfile(seq INTEGER PRIMARY KEY,"
                    " file TEXT NOT NULL)") ||
        exec(j->db, "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY,"
                    " value INTEGER NOT NULL)") ||
        (version < GT_JOURNAL_SCHEMA && migrate(j)) || prepare(j))
        return db_fail(j, err, path);
    /* no row (damage): every entry must then carry a checksum */
    j->crc_from = query_int(j->db, "SELECT value FROM meta WHERE key = 'crc_from'", 1);
    j->last_seq = read_last_seq(j);
    return GT_E_OK;
}

gt_journal *gt_journal_open(const char *path, int nosync, gt_error *err) {
    gt_journal *j = calloc(1, sizeof *j);
    if (!j) {
        gt_fail(err, GT_E_NOMEM, "journal", "out of memory");
        return NULL;
    }
    gt_err e = wal_check(j, path, err);
    if (!e && sqlite3_open(path, &j->db) != SQLITE_OK)
        e = db_fail(j, err, path);
    if (!e && j->wal_bad[0]) /* closing must not fold the WAL into the file */
        sqlite3_db_config(j->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    if (!e) {
        sqlite3_busy_timeout(j->db, 5000);
        if (exec(j->db, "PRAGMA journal_mode=WAL") ||
            exec(j->db, nosync ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=FULL"))
            e = db_fail(j, err, path);
    }
    if (!e)
        e = quick_check(j, path, err);
    if (!e && j->wal_bad[0])
        j->last_seq = read_last_seq(j); /* what SQLite reads; setup waits for the accept */
    else if (!e)
        e = setup(j, path, err);
    if (e) {
        gt_journal_close(j);
        return NULL;
    }
    return j;
}

const char *gt_journal_wal_damage(const gt_journal *j) {
    return j->wal_bad;
}

gt_err gt_journal_accept_wal(gt_journal *j, gt_error *err) {
    if (!j->wal_bad[0])
        return GT_E_OK;
    j->wal_bad[0] = 0;
    sqlite3_db_config(j->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
    return setup(j, sqlite3_db_filename(j->db, "main"), err);
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
    size_t oplen = strlen(op), bodylen = strlen(body);
    sqlite3_bind_text(j->ins, 3, op, (int)oplen, SQLITE_STATIC);
    sqlite3_bind_text(j->ins, 4, body, (int)bodylen, SQLITE_STATIC);
    sqlite3_bind_int64(j->ins, 5, gt_journal_crc(j->last_seq + 1, t, op, oplen, body, bodylen));
    gt_err e = step_once(j, j->ins, err, "append");
    sqlite3_clear_bindings(j->ins);
    if (e)
        return e;
    j->last_seq++;
    if (seq)
        *seq = j->last_seq;
    return GT_E_OK;
}

/* Entries in the log from seq on (-1 when they cannot be counted). */
static int64_t count_from(gt_journal *j, int64_t seq) {
    char sql[80];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM log WHERE seq >= %lld", (long long)seq);
    return query_int(j->db, sql, -1);
}

/* What is wrong with the row st holds, as entry `want` (its expected seq), into bad->what
 * (op and seq set); 0 when it is fine. */
static int row_bad(gt_journal *j, sqlite3_stmt *st, int64_t want, gt_journal_bad *bad) {
    int64_t seq = sqlite3_column_int64(st, 0), t = sqlite3_column_int64(st, 1);
    const char *op = (const char *)sqlite3_column_text(st, 2);
    const char *body = (const char *)sqlite3_column_text(st, 3);
    bad->seq = seq;
    snprintf(bad->op, sizeof bad->op, "%s", op ? op : "");
    if (seq != want) {
        bad->seq = want;
        bad->op[0] = 0;
        int compacted = query_int(j->db, "SELECT max(seq) FROM snapfile", 0) >= seq - 1;
        snprintf(bad->what, sizeof bad->what, "missing: the log goes on at entry %lld (%s)",
                 (long long)seq,
                 compacted ? "compacted behind a snapshot: replay must start from one"
                           : "a gap that compaction does not leave");
        return 1;
    }
    if (!op || !body) {
        snprintf(bad->what, sizeof bad->what, "its %s is NULL", op ? "body" : "op");
        return 1;
    }
    if (sqlite3_column_type(st, 4) == SQLITE_NULL) {
        if (seq < j->crc_from)
            return 0; /* written before checksums: accepted as before */
        snprintf(bad->what, sizeof bad->what,
                 "it has no checksum (every entry from %lld on carries one)",
                 (long long)j->crc_from);
        return 1;
    }
    uint32_t want_crc = gt_journal_crc(seq, t, op, (size_t)sqlite3_column_bytes(st, 2), body,
                                       (size_t)sqlite3_column_bytes(st, 3));
    int64_t stored = sqlite3_column_int64(st, 4);
    if (stored != (int64_t)want_crc) {
        snprintf(bad->what, sizeof bad->what,
                 "checksum mismatch (stored %08llx, computed %08x): the entry is damaged",
                 (unsigned long long)stored, want_crc);
        return 1;
    }
    return 0;
}

static gt_err report(gt_journal *j, gt_journal_bad *bad, gt_error *err) {
    bad->lost = count_from(j, bad->seq);
    return gt_fail(err, GT_E_STATE, "journal", "entry %lld%s%s%s is bad: %s", (long long)bad->seq,
                   bad->op[0] ? " (" : "", bad->op, bad->op[0] ? ")" : "", bad->what);
}

gt_err gt_journal_replay(gt_journal *j, int64_t after, gt_journal_fn fn, void *ctx,
                         gt_journal_bad *bad, gt_error *err) {
    memset(bad, 0, sizeof *bad);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db,
                           "SELECT seq, t, op, body, crc FROM log WHERE seq > ? ORDER BY seq", -1,
                           &st, NULL) != SQLITE_OK)
        return db_fail(j, err, "replay");
    sqlite3_bind_int64(st, 1, after);
    int64_t want = after + 1;
    int rc = SQLITE_DONE, found = 0;
    gt_err e = GT_E_OK;
    while (!found && !e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((found = row_bad(j, st, want, bad)))
            break;
        gt_error fe = {0};
        e = fn(ctx, want, sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 2),
               (const char *)sqlite3_column_text(st, 3), &fe);
        if (e == GT_E_PARSE) {
            snprintf(bad->what, sizeof bad->what, "%.199s", fe.msg);
            found = 1;
        } else if (e) {
            gt_fail(err, e, fe.where[0] ? fe.where : "journal", "entry %lld: %s", (long long)want,
                    fe.msg);
        } else {
            want++;
        }
    }
    int code = sqlite3_errcode(j->db) & 0xff;
    if (!found && !e && rc != SQLITE_DONE && (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)) {
        *bad = (gt_journal_bad){.seq = want};
        snprintf(bad->what, sizeof bad->what, "cannot be read: %s", sqlite3_errmsg(j->db));
        found = 1;
    } else if (!found && !e && rc != SQLITE_DONE) {
        e = db_fail(j, err, "replay");
    }
    sqlite3_finalize(st);
    if (!found)
        memset(bad, 0, sizeof *bad);
    if (!found && !e && want <= j->last_seq) { /* the log ends before the snapshot records */
        *bad = (gt_journal_bad){.seq = want};
        snprintf(bad->what, sizeof bad->what,
                 "missing: the log ends at entry %lld, but the journal's snapshot records go to "
                 "entry %lld",
                 (long long)want - 1, (long long)j->last_seq);
        found = 1;
    }
    return found ? report(j, bad, err) : e;
}

gt_err gt_journal_drop_after(gt_journal *j, int64_t seq, gt_journal_show_fn show, void *ctx,
                             int64_t *n, gt_error *err) {
    *n = 0;
    sqlite3_stmt *st;
    if (show && sqlite3_prepare_v2(j->db,
                                   "SELECT seq, t, op, body FROM log WHERE seq > ?"
                                   " ORDER BY seq",
                                   -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, seq);
        while (sqlite3_step(st) == SQLITE_ROW) /* what cannot be read is not shown */
            show(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                 (const char *)sqlite3_column_text(st, 2),
                 (const char *)sqlite3_column_text(st, 3));
        sqlite3_finalize(st);
    }
    char sql[120];
    snprintf(sql, sizeof sql, "DELETE FROM log WHERE seq > %lld", (long long)seq);
    if (exec(j->db, sql))
        return db_fail(j, err, "dropping entries");
    *n = sqlite3_changes(j->db);
    snprintf(sql, sizeof sql, "DELETE FROM snapfile WHERE seq > %lld", (long long)seq);
    if (exec(j->db, sql))
        return db_fail(j, err, "dropping snapshot records");
    j->last_seq = read_last_seq(j);
    return GT_E_OK;
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
