/* SPDX-License-Identifier: MIT
 * The controller's journal: an append-only log of every state mutation, in one SQLite file
 * in WAL mode. Each entry is (seq, time ms, op, body): op is a short word ("submit",
 * "done", "pass", ...) and body a JSON document; replaying the entries in seq order through
 * the same pure core rebuilds the same state.
 *
 * Writes are grouped: begin, append any number, commit. commit returns only once SQLite
 * has the transaction durable (synchronous=FULL: the WAL is fsynced), so a mutation may
 * be acknowledged after its commit and survives kill -9 or power loss.
 *
 * Not thread-safe: one thread (the controller's state thread) owns a gt_journal. */
#ifndef GT_SYS_JOURNAL_H
#define GT_SYS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct gt_journal gt_journal;

/* Open or create the journal at path (":memory:" for tests). nosync = 1 skips the fsyncs
 * (tests and fuzzing only: a crash may then lose acknowledged entries). NULL on error. */
gt_journal *gt_journal_open(const char *path, int nosync, gt_error *err);
void gt_journal_close(gt_journal *j); /* NULL is fine */

gt_err gt_journal_begin(gt_journal *j, gt_error *err);
/* Append one entry inside a transaction; *seq (may be NULL) gets its number. body is
 * copied (NUL-terminated). */
gt_err gt_journal_append(gt_journal *j, int64_t t, const char *op, const char *body, int64_t *seq,
                         gt_error *err);
gt_err gt_journal_commit(gt_journal *j, gt_error *err);
gt_err gt_journal_rollback(gt_journal *j);

/* Call fn for every entry with seq > after, in order; fn returning non-zero stops the
 * replay with that code (as gt_err). Pointers passed to fn are valid during the call. */
typedef int (*gt_journal_fn)(void *ctx, int64_t seq, int64_t t, const char *op, const char *body);
gt_err gt_journal_replay(gt_journal *j, int64_t after, gt_journal_fn fn, void *ctx, gt_error *err);

/* Snapshots: a state saved at entry `seq` (two blobs: the scheduler's and the
 * controller's). gt_journal_snapshot_put stores one inside the current transaction and
 * deletes older snapshots and every entry up to seq (they are in the snapshot): that is
 * the compaction. gt_journal_snapshot_get returns the latest (*seq = 0 and NULL blobs when
 * there is none); the blobs are malloc'd, the caller frees them. */
gt_err gt_journal_snapshot_put(gt_journal *j, int64_t seq, const void *a, size_t alen,
                               const void *b, size_t blen, gt_error *err);
gt_err gt_journal_snapshot_get(gt_journal *j, int64_t *seq, void **a, size_t *alen, void **b,
                               size_t *blen, gt_error *err);

/* Highest seq written (0 for an empty journal). */
int64_t gt_journal_last_seq(const gt_journal *j);

#endif
