/* SPDX-License-Identifier: MIT
 * Constant-time comparison and wiping (secret.h). The comparison ORs every byte's
 * difference and tests once at the end; the wipe stores through a volatile pointer. */
#include "util/secret.h"

#include <string.h>

int gt_secret_memeq(const void *a, const void *b, size_t n) {
    const volatile unsigned char *x = a, *y = b;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}

int gt_secret_streq(const char *a, const char *b) {
    if (!a || !b)
        return 0;
    size_t n = strlen(a), m = strlen(b);
    /* compare n bytes of a with b's first n (b's NUL and a prefix of zeros past it when b
     * is shorter): the lengths decide the time, not the contents */
    const volatile unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    unsigned char d = n != m;
    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ (i < m ? y[i] : 0);
    return d == 0;
}

void gt_secret_wipe(void *p, size_t n) {
    volatile unsigned char *v = p;
    for (size_t i = 0; v && i < n; i++)
        v[i] = 0;
}
