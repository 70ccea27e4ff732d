/* SPDX-License-Identifier: MIT
 * Damage found at start, and --accept-loss-after SEQ (docs/operations.md, journal damage).
 *
 * gantryd rebuilds its state from the newest usable snapshot and the journal's entries
 * after it. Any of these means that some acknowledged work cannot be rebuilt, and gantryd
 * refuses to start, saying what is damaged and what would be lost, rather than come up
 * with jobs missing or crash:
 *   1. journal.db-wal's tail would be dropped by SQLite (sys/walcheck.h);
 *   2. a snapshot file is newer than the journal's last entry: the journal lost entries
 *      it had committed (its file or WAL damaged, or replaced by an older copy);
 *   3. replay finds a bad entry (sys/journal.h: a gap, a NULL op or body, a checksum
 *      mismatch, an unknown op, a body not valid for its op).
 * A damaged snapshot file is not on the list: restore.c falls back to an older snapshot or
 * the whole journal, and refuses only when the journal no longer holds what that needs.
 *
 * --accept-loss-after SEQ is the operator saying "the state after entry SEQ will do": the
 * WAL's damaged tail is given up; every entry and snapshot record after SEQ is deleted,
 * each one logged first (seq, time, op, the start of its body); snapshot files after SEQ
 * are renamed snapshot-N.dropped; a snapshot file at or below SEQ that is newer than the
 * journal's end (2) is recorded so that the start loads it. Entries after SEQ are numbered
 * anew. A bad entry at or below SEQ is still refused. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "sys/snapfile.h"

#define SHOW_MAX 100 /* entries logged one by one when dropped; the rest are counted */

typedef struct {
    int64_t n;
} shown;

static void show_dropped(void *ctx, int64_t seq, int64_t t, const char *op, const char *body) {
    shown *s = ctx;
    if (s->n++ < SHOW_MAX)
        gt_log(GT_LOG_ERR, "gantryd",
               "--accept-loss-after: dropping journal entry %" PRId64 " (t=%" PRId64
               " ms, op %s, %zu bytes): %.160s",
               seq, t, op ? op : "NULL", body ? strlen(body) : 0, body ? body : "NULL");
}

/* Refusing (2): say what the snapshot file means and the two ways out. */
static gt_err refuse_newer_snapshot(gt_ctld *c, int64_t newest, int64_t last, gt_error *err) {
    gt_log(GT_LOG_ERR, "gantryd",
           "%s/snapshot-%" PRId64 " holds the state after journal entry %" PRId64
           ", but the journal ends at entry %" PRId64 ": entries %" PRId64 "..%" PRId64
           " at least were committed and are lost (journal.db or journal.db-wal is damaged, "
           "or was replaced by an older copy). gantryd does not start. "
           "--accept-loss-after %" PRId64 " starts from that snapshot (anything journaled "
           "after it is lost); --accept-loss-after %" PRId64 " starts from the journal as it "
           "is (the snapshot is set aside)",
           c->server.data_dir, newest, newest, last, last + 1, newest, newest, last);
    return gt_fail(err, GT_E_STATE, c->server.data_dir,
                   "the journal ends at entry %" PRId64 " but snapshot-%" PRId64
                   " is newer: entries were lost; refusing to start (see above)",
                   last, newest);
}

/* The loss accepted: drop what is after SEQ, and record a newer snapshot file up to it. */
static gt_err drop_after(gt_ctld *c, int64_t newest, gt_error *err) {
    int64_t seq = c->accept_loss_after, n = 0;
    const char *dir = c->server.data_dir;
    shown s = {0};
    char name[48];
    gt_err e = gt_journal_begin(c->journal, err);
    if (!e)
        e = gt_journal_drop_after(c->journal, seq, show_dropped, &s, &n, err);
    if (!e && newest > gt_journal_last_seq(c->journal) && newest <= seq)
        e = gt_journal_snapfile_add(c->journal, newest, gt_snapfile_name(newest, name, sizeof name),
                                    err);
    if (!e)
        e = gt_journal_commit(c->journal, err);
    if (e) {
        gt_journal_rollback(c->journal);
        return e;
    }
    if (s.n > SHOW_MAX)
        gt_log(GT_LOG_ERR, "gantryd", "--accept-loss-after: ... and %" PRId64 " more entries",
               s.n - SHOW_MAX);
    int aside = gt_snapfile_set_aside(dir, seq);
    gt_log(GT_LOG_ERR, "gantryd",
           "--accept-loss-after %" PRId64 ": dropped %" PRId64 " journal entries after it%s"
           "%d snapshot file(s) after it set aside as snapshot-N.dropped; the journal now "
           "ends at entry %" PRId64,
           seq, n, n ? " (listed above); " : "; ", aside, gt_journal_last_seq(c->journal));
    return GT_E_OK;
}

gt_err ctld_damage_check(gt_ctld *c, gt_error *err) {
    const char *wal = gt_journal_wal_damage(c->journal);
    int64_t last = gt_journal_last_seq(c->journal);
    if (wal[0] && !c->accept_loss) {
        gt_log(GT_LOG_ERR, "gantryd",
               "%s. SQLite reads the journal up to entry %" PRId64
               "; gantryd does not start (nothing was written). --accept-loss-after %" PRId64
               " starts from what SQLite reads, giving up the rest",
               wal, last, last);
        return gt_fail(err, GT_E_STATE, "journal.db-wal",
                       "damaged: SQLite would drop committed entries after entry %" PRId64
                       "; refusing to start (see above)",
                       last);
    }
    if (wal[0]) {
        gt_log(GT_LOG_ERR, "gantryd", "--accept-loss-after: giving up the damaged WAL's tail: %s",
               wal);
        gt_err e = gt_journal_accept_wal(c->journal, err);
        if (e)
            return e;
        last = gt_journal_last_seq(c->journal);
    }
    int64_t newest = gt_snapfile_newest(c->server.data_dir);
    if (newest > last && !c->accept_loss)
        return refuse_newer_snapshot(c, newest, last, err);
    return c->accept_loss ? drop_after(c, newest, err) : GT_E_OK;
}

gt_err ctld_damage_refuse(gt_ctld *c, const gt_journal_bad *bad, gt_error *err) {
    char lost[96] = "the entries after it cannot be counted";
    if (bad->lost >= 0)
        snprintf(lost, sizeof lost, "%" PRId64 " entr%s from %" PRId64 " on", bad->lost,
                 bad->lost == 1 ? "y" : "ies", bad->seq);
    gt_log(GT_LOG_ERR, "gantryd",
           "journal entry %" PRId64 "%s%s%s is bad: %s. Replay stops there: %s are not "
           "applied. gantryd does not start; --accept-loss-after %" PRId64
           " starts with the state after entry %" PRId64 " and drops them "
           "(docs/operations.md, journal damage)",
           bad->seq, bad->op[0] ? " (" : "", bad->op, bad->op[0] ? ")" : "", bad->what, lost,
           bad->seq - 1, bad->seq - 1);
    (void)c;
    return gt_fail(err, GT_E_STATE, "journal",
                   "entry %" PRId64 " is bad (%.120s); refusing to start (see above; "
                   "--accept-loss-after %" PRId64 ")",
                   bad->seq, bad->what, bad->seq - 1);
}
