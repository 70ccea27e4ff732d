/* SPDX-License-Identifier: MIT
 * getrandom(2), retried on EINTR and short reads (a read of more than 256 bytes may be cut
 * short by a signal). */
#include "sys/entropy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int gt_random_bytes(void *buf, size_t n) {
    unsigned char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            memset(buf, 0, n);
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

int gt_random_hex(char *out, size_t n) {
    unsigned char b[64];
    if (n > sizeof b || gt_random_bytes(b, n))
        return -1;
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    out[2 * n] = 0;
    memset(b, 0, sizeof b);
    return 0;
}
