/* SPDX-License-Identifier: MIT
 * Which snapshot a start-up loads. Candidates, best first:
 *   1. the snapshot the journal records as complete (table snapfile; recording one deletes
 *      the older rows, so there is one, unless a crash came between; newest first);
 *   2. a snapshot kept inside journal.db by an older build (table snapshot): loaded, then
 *      moved to a file so that the table can go;
 *   3. none: replay the whole journal.
 * A candidate is usable when the journal still holds every entry after it (compaction
 * deletes only entries a recorded snapshot covers, so the newest recorded one always is)
 * and, for a file, when it reads back whole with a matching checksum. A file that is
 * missing or damaged is reported and the next candidate tried. When none is usable and
 * the journal no longer starts at entry 1, the state cannot be rebuilt: start-up fails
 * with a message that says so rather than come up with jobs missing. */
#include <stdio.h>
#include <stdlib.h>

#include "ctld/ctld_int.h"
#include "sys/snapfile.h"

/* Loaded: from now on seq is the latest durable snapshot and compaction resumes up to it
 * (a crash may have cut it short). */
static void loaded(gt_ctld *c, int64_t seq, int64_t first) {
    c->snap_seq = c->snap_durable = c->compact_to = seq;
    c->compact_more = first <= seq;
}

/* 1 loaded, 0 unusable (said why on stderr), -1 error (err; the state is half-loaded). */
static int try_file(gt_ctld *c, int64_t seq, const char *name, int64_t first, gt_error *err) {
    const char *dir = c->server.data_dir;
    if (seq < first - 1) {
        gt_log(GT_LOG_WARNING, "gantryd",
               "snapshot %s/%s is older than the journal's oldest entry (%lld): "
               "skipped",
               dir, name, (long long)first);
        return 0;
    }
    gt_snapfile f;
    gt_error fe = {0};
    if (gt_snapfile_read(dir, name, seq, &f, &fe)) {
        gt_log(GT_LOG_WARNING, "gantryd",
               "snapshot at entry %lld is unusable: %s: %s; falling back to an older "
               "snapshot or the whole journal",
               (long long)seq, fe.where, fe.msg);
        return 0;
    }
    if (gt_sched_snapshot_check(c->sched, f.part[0], f.len[0], &fe)) {
        gt_log(GT_LOG_WARNING, "gantryd",
               "snapshot at entry %lld does not fit this config: %s: %s; falling back to an "
               "older snapshot or the whole journal",
               (long long)seq, fe.where, fe.msg);
        gt_snapfile_free(&f);
        return 0;
    }
    gt_err e = ctld_snapshot_load(c, f.part[0], f.len[0], f.part[1], f.len[1], err);
    gt_snapfile_free(&f);
    if (e)
        return -1;
    loaded(c, seq, first);
    return 1;
}

/* An older build's snapshot, loaded: write it as a file, record it, drop the table. A
 * failure only leaves the table for the next start. */
static void migrate(gt_ctld *c, int64_t seq, const void *a, size_t alen, const void *b,
                    size_t blen) {
    gt_error e = {0};
    char name[48];
    gt_snapfile_name(seq, name, sizeof name);
    gt_err r = gt_snapfile_write(c->server.data_dir, seq, a, alen, b, blen, c->nosync, &e);
    if (!r)
        r = gt_journal_begin(c->journal, &e);
    if (!r &&
        ((r = gt_journal_snapfile_add(c->journal, seq, name, &e)) ||
         (r = gt_journal_legacy_drop(c->journal, &e)) || (r = gt_journal_commit(c->journal, &e))))
        gt_journal_rollback(c->journal);
    if (r)
        gt_log(GT_LOG_WARNING, "gantryd",
               "could not move the snapshot out of journal.db (next start "
               "tries again): %s: %s",
               e.where, e.msg);
    else
        ctld_log(c, "moved the snapshot at entry %lld out of journal.db into %s", (long long)seq,
                 name);
}

/* 1 loaded, 0 none usable, -1 error. */
static int try_legacy(gt_ctld *c, int64_t first, gt_error *err) {
    int64_t seq;
    void *a, *b;
    size_t alen, blen;
    if (gt_journal_legacy_get(c->journal, &seq, &a, &alen, &b, &blen, err))
        return -1;
    int r = 0;
    if (seq > 0 && seq < first - 1)
        gt_log(GT_LOG_WARNING, "gantryd",
               "the snapshot in journal.db (entry %lld) is older than the "
               "journal's oldest entry: skipped",
               (long long)seq);
    else if (seq > 0 && ctld_snapshot_load(c, a, alen, b, blen, err))
        r = -1;
    else if (seq > 0) {
        loaded(c, seq, first);
        migrate(c, seq, a, alen, b, blen);
        r = 1;
    }
    free(a);
    free(b);
    return r;
}

gt_err ctld_snapshot_restore(gt_ctld *c, int64_t *after, gt_error *err) {
    *after = 0;
    int64_t first, seq;
    char name[64];
    gt_err e = gt_journal_first_seq(c->journal, &first, err);
    int unusable = 0, r = 0;
    for (int64_t before = INT64_MAX; !e && !r; before = seq) {
        if ((e = gt_journal_snapfile_get(c->journal, before, &seq, name, sizeof name, err)) || !seq)
            break;
        if ((r = try_file(c, seq, name, first, err)) == 0)
            unusable++;
    }
    if (!e && !r)
        r = try_legacy(c, first, err);
    if (e || r < 0)
        return e ? e : err ? err->code : GT_E_INVALID;
    if (r > 0) {
        *after = c->snap_durable;
        return GT_E_OK;
    }
    if (first > 1)
        return gt_fail(err, GT_E_STATE, c->server.data_dir,
                       "no usable snapshot (%d unusable, see above) and the journal before entry "
                       "%lld was compacted: the state cannot be rebuilt; start with the config "
                       "the snapshot was made with, or restore the data folder from a backup",
                       unusable, (long long)first);
    if (unusable)
        gt_log(GT_LOG_WARNING, "gantryd", "no usable snapshot: replaying the whole journal");
    return GT_E_OK;
}
