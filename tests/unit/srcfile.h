/* SPDX-License-Identifier: MIT
 * Tests read files of the source tree (examples, corpora, ../shared/traces) through these:
 * the tree is $GT_SRC (set by ctest), else derived from this header's own path. */
#ifndef GT_TEST_SRCFILE_H
#define GT_TEST_SRCFILE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "<source tree>/<rel>" into buf. */
static inline void src_path(char *buf, size_t len, const char *rel) {
    const char *env = getenv("GT_SRC");
    if (env && *env) {
        snprintf(buf, len, "%s/%s", env, rel);
        return;
    }
    const char *f = __FILE__, *cut = strstr(f, "tests/unit/");
    if (cut)
        snprintf(buf, len, "%.*s%s", (int)(cut - f), f, rel);
    else
        snprintf(buf, len, "./%s", rel);
}

/* The whole file, NUL-terminated, owned by the caller; NULL if it cannot be read. */
static inline char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = 0;
    *len = n;
    return buf;
}

#endif
