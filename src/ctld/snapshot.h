/* SPDX-License-Identifier: MIT
 * Snapshots of the controller's state: built on the state thread, written by the
 * snapshot writer thread (its mailbox, ctld_snapw, is the only thing both touch, under its
 * mu), chosen at start by restore.c. */
#ifndef GT_CTLD_SNAPSHOT_H
#define GT_CTLD_SNAPSHOT_H

#include <pthread.h>
#include <stdint.h>

#include "ctld/ctld.h"
#include "util/error.h"
#include "util/strbuf.h"

/* ---- snapshots ----
 * snapshot.c builds one (on the state thread: the only stall) and loads one; snapwriter.c
 * writes it to DATA_DIR/snapshot-SEQ on the writer thread, records it in the journal and
 * compacts the journal in steps; restore.c picks the one to start from. */
typedef struct {
    int64_t seq;      /* the state right after this journal entry */
    gt_sb core, rec;  /* gt_sched_save's blob and the controller's records (owned) */
    int64_t build_ns; /* time the state thread spent building them */
} ctld_snap;

/* The writer thread's mailbox; every field under mu. At most one snapshot is handed over
 * at a time (the state thread waits for its outcome before it builds another), so memory
 * holds at most one copy of the state besides the live one. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast on every change */
    pthread_t thread;
    int started, stop;
    int has_job;         /* job is handed over and not written yet */
    ctld_snap job;       /* owned by the writer while has_job */
    int64_t done_seq;    /* written durably, not recorded in the journal yet (0: none) */
    int64_t failed_seq;  /* could not be written (0: none) */
    int64_t prune_below; /* delete the files of snapshots before this entry (0: nothing) */
} ctld_snapw;

/* snapshot.c: build a snapshot of the state after the last committed entry (state thread,
 * between batches); out owns the blobs (ctld_snap_free) and is empty on error. Load one
 * into a fresh controller (ctld_open, before replay); an error leaves the state
 * half-loaded: the caller gives up. Log the line that says what one cost. */
gt_err ctld_snapshot_build(gt_ctld *c, ctld_snap *out, gt_error *err);
void ctld_snap_free(ctld_snap *s);
gt_err ctld_snapshot_load(gt_ctld *c, const void *core, size_t core_len, const void *rec,
                          size_t rec_len, gt_error *err);
void ctld_snap_log(const gt_ctld *c, const ctld_snap *s, int64_t write_ns, const char *how);

/* snapwriter.c. Start / stop the writer thread (with the state thread). The state thread
 * calls, each round: ctld_snapshot_round inside its transaction (records a snapshot the
 * writer finished, deletes one step of covered entries), ctld_snapshot_committed after
 * the commit (older files can go), ctld_snapshot_due after answering (builds and hands
 * over a snapshot when one is due and the writer is free).
 * ctld_snapshot_sync: everything at once on the calling thread, for the clean stop and for
 * benchmarks without threads: waits for a write in flight and records it, then writes a
 * snapshot of the current state if the journal went further, and deletes the older files;
 * compact = 1 also deletes every covered entry (else the next rounds or start do). On
 * error (the file's or the journal's, err says which) the journal still has everything. */
int ctld_snapw_start(gt_ctld *c, gt_error *err);
void ctld_snapw_stop(gt_ctld *c);
gt_err ctld_snapshot_round(gt_ctld *c, gt_error *err);
void ctld_snapshot_committed(gt_ctld *c);
void ctld_snapshot_due(gt_ctld *c);
gt_err ctld_snapshot_sync(gt_ctld *c, int compact, gt_error *err);

/* restore.c: at start, before replay: load the newest recorded snapshot whose file
 * verifies and that the journal can be replayed from (older ones, then an older build's
 * snapshot kept in journal.db, then the whole journal are the fallbacks, each logged).
 * *after gets its entry (0: replay everything). Fails when no fallback is complete. */
gt_err ctld_snapshot_restore(gt_ctld *c, int64_t *after, gt_error *err);

#endif
