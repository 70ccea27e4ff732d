/* SPDX-License-Identifier: MIT
 * A growable NUL-terminated byte buffer for building text (reports, JSON, SVG).
 * The buffer owns its memory; gt_sb_free releases it. On allocation failure the buffer
 * stays valid and `oom` is set; later appends are ignored, so callers check once at the end. */
#ifndef GT_UTIL_STRBUF_H
#define GT_UTIL_STRBUF_H

#include <stddef.h>

typedef struct gt_sb {
    char *s;
    size_t len, cap;
    int oom;
} gt_sb;

void gt_sb_init(gt_sb *b);
void gt_sb_free(gt_sb *b);
/* Make room for `extra` more bytes (and the NUL) so that appends up to that size do not
 * grow the buffer again; 0 after an allocation failure (oom set). */
int gt_sb_reserve(gt_sb *b, size_t extra);
void gt_sb_putc(gt_sb *b, char c);
void gt_sb_puts(gt_sb *b, const char *s);
void gt_sb_putn(gt_sb *b, const char *s, size_t n);
void gt_sb_printf(gt_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far; "" when empty; owned by b. */
const char *gt_sb_str(const gt_sb *b);
/* Hand the text to the caller (malloc'd, free() it; NULL after an allocation failure) and
 * leave b empty. */
char *gt_sb_take(gt_sb *b);

#endif
