/* SPDX-License-Identifier: MIT */
#include "util/strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

void gt_sb_init(gt_sb *b) {
    memset(b, 0, sizeof *b);
}

void gt_sb_free(gt_sb *b) {
    if (!b)
        return;
    free(b->s);
    gt_sb_init(b);
}

int gt_sb_reserve(gt_sb *b, size_t extra) {
    if (b->oom)
        return 0;
    if (extra < b->cap - b->len) /* room for extra and the NUL already (len <= cap) */
        return 1;
    if (extra > SIZE_MAX - b->len - 1 ||
        !gt_vec_reserve_from((void **)&b->s, &b->cap, b->len + extra + 1, 1, 256)) {
        b->oom = 1;
        return 0;
    }
    return 1;
}

void gt_sb_putn(gt_sb *b, const char *s, size_t n) {
    if (!gt_sb_reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

void gt_sb_putc(gt_sb *b, char c) {
    gt_sb_putn(b, &c, 1);
}

void gt_sb_puts(gt_sb *b, const char *s) {
    gt_sb_putn(b, s, strlen(s));
}

void gt_sb_printf(gt_sb *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !gt_sb_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *gt_sb_str(const gt_sb *b) {
    return b->s ? b->s : "";
}

char *gt_sb_take(gt_sb *b) {
    char *s = b->oom ? NULL : b->s;
    if (!s)
        s = b->oom ? NULL : calloc(1, 1);
    if (b->oom)
        free(b->s);
    gt_sb_init(b);
    return s;
}
