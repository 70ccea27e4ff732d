/* SPDX-License-Identifier: MIT
 * UTF-8 checks: JSON text must be valid UTF-8, and names from users travel in it. */
#ifndef GT_UTIL_UTF8_H
#define GT_UTIL_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 if it is not one (overlong
 * forms, surrogates and code points beyond U+10FFFF are not valid). */
size_t gt_utf8_seq(const unsigned char *p, size_t n);
/* 1 if the NUL-terminated s is valid UTF-8 without control characters. */
int gt_utf8_text(const char *s);
/* Replace, in place, every byte that is not part of valid UTF-8 and every control
 * character with '?'. Returns s. */
char *gt_utf8_clean(char *s);

#endif
