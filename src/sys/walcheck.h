/* SPDX-License-Identifier: MIT
 * Checking an SQLite write-ahead log (journal.db-wal) for a damaged tail, before SQLite
 * opens it.
 *
 * SQLite reads a WAL from its start and stops at the first frame whose checksum or salt
 * does not match: every transaction after that point is dropped without a word (by design:
 * that is how it tells a transaction cut short by a crash from a committed one). A flipped
 * byte in the middle of the file therefore loses the journal's tail silently. This reads
 * the file the way SQLite does (https://sqlite.org/fileformat2.html#walformat) and, past
 * the point where SQLite would stop, looks for what a crash cannot leave there:
 *
 *   1. the first bad frame carries the file's salts and marks a commit: a committed
 *      transaction's last frame was damaged;
 *   2. a later frame carries the file's salts, checks out against the frame before it (its
 *      stored checksum is the seed) and marks a commit: a transaction committed after the
 *      damaged one;
 *   3. the header itself is damaged (SQLite then ignores the whole file) while the file
 *      holds at least one whole frame.
 *
 * A kill -9 leaves frames of an uncommitted transaction after the last commit, and a later
 * shorter transaction can leave some of them behind its own: neither has a commit frame,
 * so neither is reported. A power cut can tear the last transaction's frames while its
 * commit frame reached the disk; that is reported too (it was never acknowledged, but
 * nothing here can tell it from damage). Not detected: damage that leaves the last
 * transaction's commit frame unrecognisable (its salt or commit fields) with nothing after
 * it; the snapshot files' sequence numbers catch some of that (ctld/restore.c).
 *
 * Pure: it reads a buffer. */
#ifndef GT_SYS_WALCHECK_H
#define GT_SYS_WALCHECK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int damaged;          /* 1: SQLite would drop committed transactions (what says why) */
    uint32_t page_size;   /* from the header (0 when it is damaged) */
    int64_t frames;       /* whole frames in the file */
    int64_t valid;        /* frames SQLite uses: up to the last commit of its good prefix */
    int64_t commits;      /* committed transactions among them */
    int64_t bad_frame;    /* the first frame SQLite rejects, 1-based (0: none) */
    int64_t lost_commits; /* commit frames found past it (cases 1 and 2) */
    char what[200];       /* a sentence when damaged, "" otherwise */
} gt_walcheck;

/* Check the n bytes of a WAL file at p into *out. An empty or header-only file is fine. */
void gt_walcheck_scan(const unsigned char *p, size_t n, gt_walcheck *out);

#endif
