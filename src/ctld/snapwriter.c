/* SPDX-License-Identifier: MIT
 * Snapshots off the state thread. The life of one, at journal entry S:
 *   1. The state thread, after a round's commit, when one is due and the writer is free,
 *      builds the two blobs in memory (ctld_snapshot_build: its only stall), hands them
 *      over and goes on at once.
 *   2. The writer thread writes DATA_DIR/snapshot-S durably (a .tmp file, fsync, rename,
 *      fsync of the folder: sys/snapfile.h), frees the blobs, posts "done S" in the
 *      mailbox and wakes the state thread.
 *   3. The state thread, in its next round's transaction, records S in the journal's
 *      snapfile table and deletes a first step of the entries <= S; after the commit it
 *      asks the writer to delete the files of older snapshots.
 *   4. Each following round deletes one more step (COMPACT_STEP entries) in its own
 *      transaction until no entry <= S is left; rounds come every COMPACT_TICK_MS at most
 *      while that lasts (state.c), so an idle controller compacts too.
 *
 * Invariants (a crash at any point loses nothing acknowledged):
 *   1. A journal entry is deleted only by a transaction that commits with or after the
 *      row of a snapshot that covers it, and that row is written only once its file is
 *      durable. A restart finds the compaction where it stopped (restore.c) and goes on.
 *   2. A snapshot file is deleted only after the row of a newer one has committed; the
 *      files of snapshots newer than the last row (a crash before the row) are left for
 *      the next prune.
 *   3. Only the state thread uses the journal's SQLite connection: a connection is not to
 *      be shared between threads without locking around every statement, and a second
 *      connection on the writer would compete with the state thread for WAL's single
 *      write lock, whose busy wait sleeps in steps of milliseconds. So the writer touches
 *      files only and the journal row is written by the state thread, told through the
 *      mailbox (ctld_snapw, under its own mutex, never held while taking c->mu).
 *   4. At most one snapshot is in flight: one that falls due while the writer is busy
 *      waits until the outcome of the previous one is collected, so memory holds at most
 *      one extra copy of the state.
 */
#include <stdio.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "sys/snapfile.h"

/* Entries deleted per round while compacting. Measured on the 2-core VM: 20,000 took up
 * to 12.6 ms under bench/ctld_scale.sh's load; 10,000 up to 7.6 ms on a busy machine
 * (bench/ctld_journal.sh 200000 data). Idle rounds come every COMPACT_TICK_MS while it
 * lasts, so about 1 M entries a second go when nothing else happens. */
#define COMPACT_STEP 10000

static const char *data_dir(const gt_ctld *c) {
    return c->server.data_dir;
}

/* Write s's file (any thread), log what it cost, free the blobs. */
static gt_err write_file(const gt_ctld *c, ctld_snap *s, const char *how, gt_error *err) {
    int64_t t0 = gt_clock_mono_ns();
    gt_err e = gt_snapfile_write(data_dir(c), s->seq, s->core.s, s->core.len, s->rec.s, s->rec.len,
                                 c->nosync, err);
    if (!e)
        ctld_snap_log(c, s, gt_clock_mono_ns() - t0, how);
    ctld_snap_free(s);
    return e;
}

static void wake_state_thread(gt_ctld *c) {
    pthread_mutex_lock(&c->mu);
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* The writer: pending prunes first (they never touch a newer file), then the snapshot. */
static void *writer_main(void *arg) {
    gt_ctld *c = arg;
    ctld_snapw *w = &c->snapw;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (w->prune_below) {
            int64_t below = w->prune_below;
            w->prune_below = 0;
            pthread_mutex_unlock(&w->mu);
            gt_snapfile_prune(data_dir(c), below);
            pthread_mutex_lock(&w->mu);
        } else if (w->has_job) {
            ctld_snap s = w->job;
            pthread_mutex_unlock(&w->mu);
            gt_error e = {0};
            if (write_file(c, &s, "writer thread", &e))
                gt_log(GT_LOG_WARNING, "gantryd",
                       "snapshot at entry %lld not written (the journal keeps "
                       "everything): %s: %s",
                       (long long)s.seq, e.where, e.msg);
            pthread_mutex_lock(&w->mu);
            memset(&w->job, 0, sizeof w->job);
            w->has_job = 0;
            *(e.code ? &w->failed_seq : &w->done_seq) = s.seq;
            pthread_cond_broadcast(&w->cv);
            pthread_mutex_unlock(&w->mu);
            wake_state_thread(c); /* to record it */
            pthread_mutex_lock(&w->mu);
        } else if (w->stop) {
            break;
        } else {
            pthread_cond_wait(&w->cv, &w->mu);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int ctld_snapw_start(gt_ctld *c, gt_error *err) {
    if (pthread_create(&c->snapw.thread, NULL, writer_main, c)) {
        gt_fail(err, GT_E_IO, "thread", "cannot start the snapshot writer thread");
        return 0;
    }
    c->snapw.started = 1;
    return 1;
}

/* Waits for a snapshot and prunes being written: they finish first. */
void ctld_snapw_stop(gt_ctld *c) {
    ctld_snapw *w = &c->snapw;
    if (!w->started)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->started = 0;
}

/* The outcome of the snapshot in flight (its seq in *done or *failed, else 0); wait = 1
 * blocks until there is one. */
static void collect(gt_ctld *c, int wait, int64_t *done, int64_t *failed) {
    ctld_snapw *w = &c->snapw;
    pthread_mutex_lock(&w->mu);
    while (wait && !w->done_seq && !w->failed_seq)
        pthread_cond_wait(&w->cv, &w->mu);
    *done = w->done_seq;
    *failed = w->failed_seq;
    w->done_seq = w->failed_seq = 0;
    pthread_mutex_unlock(&w->mu);
    if (*done || *failed)
        c->snap_busy = 0;
}

/* Inside a transaction: the durable file of the snapshot at seq is the one to load. */
static gt_err record(gt_ctld *c, int64_t seq, gt_error *err) {
    char name[48];
    gt_err e =
        gt_journal_snapfile_add(c->journal, seq, gt_snapfile_name(seq, name, sizeof name), err);
    if (e)
        return e;
    c->snap_durable = seq;
    c->prune_below = seq;
    if (seq > c->compact_to) {
        c->compact_to = seq;
        c->compact_more = 1;
    }
    return GT_E_OK;
}

/* Inside a transaction: delete up to max covered entries (max 0: all). */
static gt_err compact_step(gt_ctld *c, int64_t max, gt_error *err) {
    int64_t t0 = gt_clock_mono_ns(), n;
    int more;
    gt_err e = gt_journal_compact(c->journal, c->compact_to, max, &n, &more, err);
    if (e)
        return e;
    int64_t ns = gt_clock_mono_ns() - t0;
    c->compact_rows += n;
    c->compact_steps++;
    if (ns > c->compact_max_ns)
        c->compact_max_ns = ns;
    c->compact_more = more;
    if (!more && c->compact_steps > 1) /* one that took several rounds */
        ctld_log(c,
                 "journal compacted up to entry %lld: %lld entries deleted in %lld steps of at "
                 "most %.1f ms (state thread)",
                 (long long)c->compact_to, (long long)c->compact_rows, (long long)c->compact_steps,
                 (double)c->compact_max_ns / 1e6);
    if (!more)
        c->compact_rows = c->compact_steps = c->compact_max_ns = 0;
    return GT_E_OK;
}

gt_err ctld_snapshot_round(gt_ctld *c, gt_error *err) {
    int64_t done = 0, failed = 0;
    if (c->snap_busy)
        collect(c, 0, &done, &failed);
    gt_err e = done ? record(c, done, err) : GT_E_OK;
    if (!e && c->compact_more)
        e = compact_step(c, COMPACT_STEP, err);
    return e;
}

void ctld_snapshot_committed(gt_ctld *c) {
    int64_t below = c->prune_below;
    if (!below)
        return;
    c->prune_below = 0;
    ctld_snapw *w = &c->snapw;
    if (!w->started) {
        gt_snapfile_prune(data_dir(c), below);
        return;
    }
    pthread_mutex_lock(&w->mu);
    if (below > w->prune_below)
        w->prune_below = below;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void ctld_snapshot_due(gt_ctld *c) {
    int64_t every = c->server.snapshot_every, last = gt_journal_last_seq(c->journal);
    if (every <= 0 || last - c->snap_seq < every || !c->snapw.started)
        return;
    if (c->snap_busy) {
        if (!c->snap_deferred)
            ctld_log(c,
                     "snapshot due at entry %lld waits: the one at entry %lld is still being "
                     "written",
                     (long long)last, (long long)c->snap_seq);
        c->snap_deferred = 1;
        return;
    }
    c->snap_seq = last; /* a failure is not retried before snapshot_every more entries */
    c->snap_deferred = 0;
    ctld_snap s;
    gt_error e = {0};
    if (ctld_snapshot_build(c, &s, &e)) {
        gt_log(GT_LOG_WARNING, "gantryd", "snapshot failed (the journal keeps everything): %s",
               e.msg);
        return;
    }
    ctld_snapw *w = &c->snapw;
    pthread_mutex_lock(&w->mu);
    w->job = s;
    w->has_job = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    c->snap_busy = 1;
}

/* One transaction on the calling thread: record `done` (0: none), compact if asked. */
static gt_err sync_txn(gt_ctld *c, int64_t done, int compact, gt_error *err) {
    gt_err e = gt_journal_begin(c->journal, err);
    if (e)
        return e;
    if (done)
        e = record(c, done, err);
    if (!e && compact && c->compact_more)
        e = compact_step(c, 0, err);
    if (!e)
        e = gt_journal_commit(c->journal, err);
    if (e) {
        gt_journal_rollback(c->journal);
        return e;
    }
    ctld_snapshot_committed(c);
    return GT_E_OK;
}

gt_err ctld_snapshot_sync(gt_ctld *c, int compact, gt_error *err) {
    int64_t done = 0, failed = 0;
    if (c->snap_busy)
        collect(c, 1, &done, &failed);
    gt_err e = GT_E_OK;
    if (done || (compact && c->compact_more))
        e = sync_txn(c, done, compact, err);
    if (e || gt_journal_last_seq(c->journal) <= c->snap_durable)
        return e;
    ctld_snap s;
    if ((e = ctld_snapshot_build(c, &s, err)))
        return e;
    int64_t seq = s.seq;
    c->snap_seq = seq;
    if ((e = write_file(c, &s, "on the state thread", err)))
        return e;
    return sync_txn(c, seq, compact, err);
}
