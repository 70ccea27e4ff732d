/* SPDX-License-Identifier: MIT
 * The daemons' log: one line per event on stderr, each with a level.
 *
 * A line reads "NAME: MESSAGE" (NAME is gantryd or gantry-agent), as it always has. When
 * stderr is the journal's stream (systemd sets JOURNAL_STREAM=DEVICE:INODE for a unit whose
 * output goes to the journal, and it names the file open on stderr), the line reads
 * "<LEVEL>MESSAGE" instead: journald takes the syslog priority from that prefix (the
 * SD_ERR, SD_INFO, ... of sd-daemon.h) and records the program's name itself, and a newline
 * inside MESSAGE becomes a space, so that one event stays one journal entry. A child whose
 * stderr is another file (a rank's log) inherits JOURNAL_STREAM but not the match.
 *
 * Thread-safe: each line is written whole, under the stream's lock. */
#ifndef GT_SYS_LOG_H
#define GT_SYS_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* syslog(3)'s priorities, the values journald reads. */
typedef enum {
    GT_LOG_ERR = 3,     /* something failed: the daemon stops, or work is lost */
    GT_LOG_WARNING = 4, /* something went wrong and is retried or worked around */
    GT_LOG_NOTICE = 5,  /* a normal but significant change (a node down) */
    GT_LOG_INFO = 6,    /* what happened: start-up facts, registrations, starts */
} gt_log_level;

/* One line on stderr: "NAME: MESSAGE\n", or "<LEVEL>MESSAGE\n" into the journal. MESSAGE is
 * fmt's printf expansion, without a trailing newline; NAME NULL: no "NAME: ". */
void gt_log(gt_log_level level, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void gt_vlog(gt_log_level level, const char *name, const char *fmt, va_list ap);

/* The line gt_log writes, into buf: NUL-terminated and ending in '\n' even when cut to
 * size bytes (size >= 2). journal: 1 for the journal's form. Returns the whole line's
 * length (without the NUL), as snprintf does, so that a caller can retry with more room. */
size_t gt_log_format(char *buf, size_t size, gt_log_level level, const char *name, int journal,
                     const char *fmt, va_list ap);

/* 1 when env (JOURNAL_STREAM's value, "DEVICE:INODE" in decimal) names the file open on
 * fd, else 0 (env NULL or malformed, fd closed). */
int gt_log_journal_fd(const char *env, int fd);

#endif
