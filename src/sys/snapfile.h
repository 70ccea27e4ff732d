/* SPDX-License-Identifier: MIT
 * Snapshot files: a controller state saved at journal entry SEQ, as DIR/snapshot-SEQ.
 *
 * Layout (header fields little-endian):
 *   0   "GTSF"      magic
 *   4   u32         format version (1)
 *   8   i64         seq
 *   16  u64 u64     the lengths of the two parts (the scheduler's blob, the records')
 *   32  part 0, then part 1
 *   end u32         CRC-32 (util/crc32.h) of every byte before it
 * The file must be exactly that long: a truncated or extended file is rejected, as is one
 * whose checksum does not match.
 *
 * Durability: gt_snapfile_write writes DIR/snapshot-SEQ.tmp, fsyncs it, renames it to
 * DIR/snapshot-SEQ and fsyncs DIR, so after it returns the file survives a crash or power
 * loss, and a crash before that leaves at most a .tmp file (never a partial snapshot-SEQ).
 *
 * No state: the functions may run on any thread, but two must not write the same SEQ at
 * once, and gt_snapfile_prune must not run while a write of an older SEQ is in progress. */
#ifndef GT_SYS_SNAPFILE_H
#define GT_SYS_SNAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define GT_SNAPFILE_VERSION 1
#define GT_SNAPFILE_HEADER 32 /* bytes before part 0 */

/* "snapshot-SEQ" into name[size] (the file's name in its folder); returns name. */
char *gt_snapfile_name(int64_t seq, char *name, size_t size);

/* Write parts p0[0..n0) and p1[0..n1) as DIR/snapshot-SEQ, durably (nosync = 1 skips the
 * fsyncs: tests and benchmarks only). On error nothing but a .tmp may be left behind (it
 * is removed when possible) and err names the file and the system's reason. */
gt_err gt_snapfile_write(const char *dir, int64_t seq, const void *p0, size_t n0, const void *p1,
                         size_t n1, int nosync, gt_error *err);

/* A file read back and verified. mem owns everything; part[i] point into it. */
typedef struct {
    void *mem;
    const void *part[2];
    size_t len[2];
    int64_t seq;
} gt_snapfile;

/* Read DIR/NAME and verify it (magic, version, lengths, checksum, and that it holds seq
 * `seq`). GT_E_NOT_FOUND when the file is missing, GT_E_PARSE when it is damaged (err says
 * how: truncated, checksum mismatch, ...), GT_E_IO / GT_E_NOMEM otherwise; out is then
 * empty. On success the caller frees out with gt_snapfile_free. */
gt_err gt_snapfile_read(const char *dir, const char *name, int64_t seq, gt_snapfile *out,
                        gt_error *err);
void gt_snapfile_free(gt_snapfile *f); /* NULL and an empty one are fine */

/* Delete DIR/snapshot-N and DIR/snapshot-N.tmp for every N < below; returns how many
 * files went. Newer files are left alone (a write may be on its way to recording one). */
int gt_snapfile_prune(const char *dir, int64_t below);

/* The highest N of the files DIR/snapshot-N (not .tmp), whatever they hold; 0 when there is
 * none. A file is renamed to snapshot-N only after entry N was committed, so a journal that
 * ends before N has lost committed entries (ctld/damage.c). */
int64_t gt_snapfile_newest(const char *dir);

/* Rename every DIR/snapshot-N with N > above to DIR/snapshot-N.dropped (kept for a person
 * to look at, never read again); returns how many. */
int gt_snapfile_set_aside(const char *dir, int64_t above);

#endif
