/* SPDX-License-Identifier: MIT
 * Reading a whole (config, tokens) file into memory; writing a whole buffer to a file
 * descriptor, or to a file that appears whole (write a temporary, then rename). */
#ifndef GT_SYS_READFILE_H
#define GT_SYS_READFILE_H

#include <stddef.h>

#include "util/error.h"

/* The file's bytes, NUL-terminated (malloc'd; the caller frees), *len without the NUL.
 * NULL with err filled when it cannot be read (GT_E_IO, naming the path and why) or is
 * larger than max bytes (GT_E_LIMIT). */
char *gt_file_read(const char *path, size_t max, size_t *len, gt_error *err);

/* write() until all len bytes are written, retrying on EINTR: 0, or -1 (errno says why,
 * 0 after a short write). Only calls write(), so it is async-signal-safe (a forked child
 * may use it). */
int gt_write_all(int fd, const void *buf, size_t len);

/* Writes len bytes of buf to tmp (created mode 0600, truncated), closes it and renames it
 * to path, so that a reader sees either no file or all of it. No fsync: what it writes
 * need not survive a machine crash. 0, or -1 with errno set (tmp may be left behind). */
int gt_file_write_atomic(const char *tmp, const char *path, const void *buf, size_t len);

#endif
