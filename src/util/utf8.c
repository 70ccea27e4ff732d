/* SPDX-License-Identifier: MIT */
#include "util/utf8.h"

#include <string.h>

size_t gt_utf8_seq(const unsigned char *p, size_t n) {
    unsigned char c = p[0];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xc2 && c <= 0xdf ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
        (c == 0xf4 && p[1] > 0x8f))
        return 0; /* overlong, surrogate or beyond U+10FFFF */
    return len;
}

int gt_utf8_text(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n) {
        size_t k = gt_utf8_seq(p, n);
        if (!k || *p < 0x20 || *p == 0x7f)
            return 0;
        p += k;
        n -= k;
    }
    return 1;
}

char *gt_utf8_clean(char *s) {
    unsigned char *p = (unsigned char *)s;
    size_t n = strlen(s);
    while (n) {
        size_t k = gt_utf8_seq(p, n);
        if (!k || *p < 0x20 || *p == 0x7f) {
            *p = '?';
            k = 1;
        }
        p += k;
        n -= k;
    }
    return s;
}
