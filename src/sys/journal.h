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
 * Damage is never silent. Each entry carries a CRC-32C of its seq, time, op and body, and
 * replay checks, in order, that the entries follow each other without a gap, that none has
 * a NULL op or body, that each checksum matches, and (through the caller's function) that
 * the op is known and its body valid for it; it stops at the first bad entry and reports
 * it (gt_journal_bad) rather than skip it or crash. Opening checks the file's structure
 * (SQLite's quick_check) and its write-ahead log for a damaged tail that SQLite would
 * drop without a word (sys/walcheck.h). Entries written before checksums existed (a
 * journal of an older build) have none and are accepted as before: the table `meta` keeps
 * the first seq that must carry one (crc_from), so a checksum lost to damage still counts.
 * docs/operations.md says what is and is not detected.
 *
 * Not thread-safe: one thread (the controller's state thread) owns a gt_journal. */
#ifndef GT_SYS_JOURNAL_H
#define GT_SYS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct gt_journal gt_journal;

/* The schema this build writes (PRAGMA user_version): 1 added the column log.crc and the
 * table meta. Version 0 (older builds) is migrated at open; a newer one is refused. */
#define GT_JOURNAL_SCHEMA 1

/* Open or create the journal at path (":memory:" for tests). nosync = 1 skips the fsyncs
 * (tests and fuzzing only: a crash may then lose acknowledged entries). NULL on error:
 * GT_E_STATE when the file is damaged (not a database, quick_check fails, a schema newer
 * than this build's), GT_E_IO otherwise; err says which and why.
 *
 * When the file's WAL is damaged (gt_journal_wal_damage), the journal opens read-only in
 * effect: nothing is written, and closing it leaves the WAL as it is, so that a refused
 * start loses nothing; gt_journal_accept_wal makes it writable, accepting the loss. */
gt_journal *gt_journal_open(const char *path, int nosync, gt_error *err);
void gt_journal_close(gt_journal *j); /* NULL is fine */

/* "" when the WAL is whole, else a sentence saying what SQLite would drop (walcheck.h). */
const char *gt_journal_wal_damage(const gt_journal *j);
/* Accept the loss of the WAL's damaged tail: the next commit writes over it. Migrates the
 * schema if need be. */
gt_err gt_journal_accept_wal(gt_journal *j, gt_error *err);

gt_err gt_journal_begin(gt_journal *j, gt_error *err);
/* Append one entry inside a transaction; *seq (may be NULL) gets its number. body is
 * copied (NUL-terminated). */
gt_err gt_journal_append(gt_journal *j, int64_t t, const char *op, const char *body, int64_t *seq,
                         gt_error *err);
gt_err gt_journal_commit(gt_journal *j, gt_error *err);
gt_err gt_journal_rollback(gt_journal *j);

/* The first bad entry replay found. */
typedef struct {
    int64_t seq;    /* the entry; for a gap, the first entry missing */
    char op[32];    /* its op as stored ("" when NULL or missing) */
    char what[200]; /* what is wrong with it */
    int64_t lost;   /* entries in the log from seq on: what --accept-loss-after seq-1 drops
                       (-1 when they cannot be counted) */
} gt_journal_bad;

/* Call fn for every entry with seq > after, in order, each checked first (see the top).
 * fn returns GT_E_OK to go on, GT_E_PARSE when the entry is bad (err->msg says why: an
 * unknown op, a body not valid for it), any other code to stop with that error.
 * Pointers passed to fn are valid during the call; op and body are never NULL.
 * Returns GT_E_OK when every entry up to gt_journal_last_seq replayed; GT_E_STATE when one
 * is bad (*bad filled, err a one-line summary); another code on other errors. */
typedef gt_err (*gt_journal_fn)(void *ctx, int64_t seq, int64_t t, const char *op, const char *body,
                                gt_error *err);
gt_err gt_journal_replay(gt_journal *j, int64_t after, gt_journal_fn fn, void *ctx,
                         gt_journal_bad *bad, gt_error *err);

/* Accepting a loss, inside the current transaction: delete every entry and snapshot record
 * after seq, calling show (may be NULL) first for each entry deleted, as stored (op and
 * body may be NULL). *n gets how many entries went. gt_journal_last_seq is then at most
 * seq, and numbering goes on from there. */
typedef void (*gt_journal_show_fn)(void *ctx, int64_t seq, int64_t t, const char *op,
                                   const char *body);
gt_err gt_journal_drop_after(gt_journal *j, int64_t seq, gt_journal_show_fn show, void *ctx,
                             int64_t *n, gt_error *err);

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

/* An entry's checksum, as the column log.crc holds it (see journal.c). */
uint32_t gt_journal_crc(int64_t seq, int64_t t, const char *op, size_t oplen, const char *body,
                        size_t bodylen);

/* Highest seq written (0 for an empty journal). */
int64_t gt_journal_last_seq(const gt_journal *j);

#endif
