/* SPDX-License-Identifier: MIT */
#include "sys/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/vec.h"

char *gt_file_read(const char *path, size_t max, size_t *len, gt_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        gt_fail(err, GT_E_IO, path, "cannot read: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 0, n = 0, r;
    char *buf = NULL;
    int oom = 0;
    for (;;) { /* room for one more byte and the NUL, doubling from 64 KiB */
        if (!gt_vec_reserve_from((void **)&buf, &cap, n + 2, 1, 1 << 16)) {
            oom = 1;
            break;
        }
        if ((r = fread(buf + n, 1, cap - n - 1, f)) == 0 || (n += r) > max)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (oom || bad || n > max) {
        free(buf);
        gt_fail(err,
                oom   ? GT_E_NOMEM
                : bad ? GT_E_IO
                      : GT_E_LIMIT,
                path,
                oom   ? "out of memory"
                : bad ? "read error"
                      : "larger than %zu bytes",
                max);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

int gt_write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int gt_file_write_atomic(const char *tmp, const char *path, const void *buf, size_t len) {
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int rc = gt_write_all(fd, buf, len);
    int e = errno;
    if (close(fd) != 0 && rc == 0)
        return -1;
    errno = e;
    return rc == 0 ? rename(tmp, path) : -1;
}
