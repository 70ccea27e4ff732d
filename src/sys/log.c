/* SPDX-License-Identifier: MIT
 * See log.h. Whether stderr is the journal is decided once, at the first line. */
#include "sys/log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

size_t gt_log_format(char *buf, size_t size, gt_log_level level, const char *name, int journal,
                     const char *fmt, va_list ap) {
    int p = journal ? snprintf(buf, size, "<%d>", (int)level)
            : name  ? snprintf(buf, size, "%s: ", name)
                    : snprintf(buf, size, "%s", "");
    size_t at = p > 0 ? (size_t)p : 0;
    int m = vsnprintf(buf + (at < size ? at : size), at < size ? size - at : 0, fmt, ap);
    size_t len = at + (m > 0 ? (size_t)m : 0) + 1; /* + '\n' */
    if (size < 2)
        return len;
    size_t end = len < size ? len - 1 : size - 2; /* where the '\n' goes */
    if (journal)
        for (size_t i = at; i < end; i++)
            if (buf[i] == '\n')
                buf[i] = ' ';
    buf[end] = '\n';
    buf[end + 1] = 0;
    return len;
}

int gt_log_journal_fd(const char *env, int fd) {
    uintmax_t dev, ino;
    char end;
    struct stat st;
    if (!env || sscanf(env, "%ju:%ju%c", &dev, &ino, &end) != 2 || fstat(fd, &st) != 0)
        return 0;
    return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static int journal;

static void find_journal(void) {
    journal = gt_log_journal_fd(getenv("JOURNAL_STREAM"), 2);
}

void gt_vlog(gt_log_level level, const char *name, const char *fmt, va_list ap) {
    pthread_once(&journal_once, find_journal);
    char small[1024], *line = small;
    va_list again;
    va_copy(again, ap);
    size_t len = gt_log_format(small, sizeof small, level, name, journal, fmt, ap);
    if (len >= sizeof small && (line = malloc(len + 1)))
        gt_log_format(line, len + 1, level, name, journal, fmt, again);
    va_end(again);
    if (!line) /* out of memory: the line as far as it fits */
        line = small, len = sizeof small - 1;
    flockfile(stderr);
    fwrite(line, 1, len, stderr);
    funlockfile(stderr);
    if (line != small)
        free(line);
}

void gt_log(gt_log_level level, const char *name, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    gt_vlog(level, name, fmt, ap);
    va_end(ap);
}
