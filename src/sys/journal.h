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

/* Snapshots live in files (sys/snapfile.h); the journal records which ones are complete,
 * so that a restart knows which to load, in a table snapfile(seq, file). Compaction
 * (dropping the entries a durable snapshot covers) is separate and done in small steps.
 *
 * gt_journal_snapfile_add records, inside the current transaction, that the file `name`
 * (a name in the data folder; the file must already be durable) holds the state after
 * entry seq, and forgets older snapshots (the caller deletes their files after the
 * commit). gt_journal_snapfile_get gives the newest recorded snapshot with seq < before
 * (*seq = 0 when there is none); its name is copied into name[size]. */
gt_err gt_journal_snapfile_add(gt_journal *j, int64_t seq, const char *name, gt_error *err);
gt_err gt_journal_snapfile_get(gt_journal *j, int64_t before, int64_t *seq, char *name, size_t size,
                               gt_error *err);

/* Compaction, inside the current transaction: delete the oldest entries with seq <= upto,
 * at most max of them (max <= 0: all); *deleted gets how many went, *more 1 when entries
 * <= upto remain. Only call it with upto <= the seq of a snapshot already recorded: the
 * entries are gone for good once the transaction commits. */
gt_err gt_journal_compact(gt_journal *j, int64_t upto, int64_t max, int64_t *deleted, int *more,
                          gt_error *err);

/* The oldest entry still in the log (gt_journal_last_seq + 1 when it is empty): entries
 * before it were compacted, so only a snapshot at or after (it - 1) can be replayed from. */
gt_err gt_journal_first_seq(gt_journal *j, int64_t *first, gt_error *err);

/* Data folders of older builds kept their snapshot inside the database (table
 * `snapshot`). legacy_get returns its latest (*seq = 0 and NULL blobs when there is
 * none or no such table; the blobs are malloc'd, the caller frees them); legacy_drop
 * drops the table, inside the current transaction, once it has been moved to a file. */
gt_err gt_journal_legacy_get(gt_journal *j, int64_t *seq, void **a, size_t *alen, void **b,
                             size_t *blen, gt_error *err);
gt_err gt_journal_legacy_drop(gt_journal *j, gt_error *err);

/* Highest seq written (0 for an empty journal). */
int64_t gt_journal_last_seq(const gt_journal *j);

#endif
