/* SPDX-License-Identifier: MIT
 * --output / --error file patterns: check and expand (see logpath.h). */
#include "core/logpath.h"

#include <stdio.h>
#include <string.h>

int gt_log_pattern_check(const char *pat, char *why, size_t size) {
    size_t n = strlen(pat);
    if (n == 0 || n >= GT_LOG_PATTERN_MAX) {
        snprintf(why, size, "expected a file pattern of 1 to %d bytes", GT_LOG_PATTERN_MAX - 1);
        return -1;
    }
    for (const char *p = pat; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            snprintf(why, size, "a control character in the file pattern");
            return -1;
        }
        if (*p != '%')
            continue;
        if (!p[1]) {
            snprintf(why, size, "a lone '%%' at the end of '%.200s' (%%%% is a '%%')", pat);
            return -1;
        }
        if (!strchr("jta%", p[1])) {
            snprintf(why, size,
                     "unknown %%%.1s in '%.200s': use %%j (job id), %%t (rank), %%a (task id) or "
                     "%%%% (a '%%')",
                     p + 1, pat);
            return -1;
        }
        p++;
    }
    return 0;
}

int gt_log_pattern_expand(const char *pat, uint32_t job, uint32_t rank, uint32_t task, char *out,
                          size_t size) {
    size_t n = 0;
    for (const char *p = pat; *p && n < size; p++) {
        if (*p != '%') {
            out[n++] = *p;
            continue;
        }
        p++;
        uint32_t v = *p == 'j' ? job : *p == 't' ? rank : task;
        int w = *p == '%' ? snprintf(out + n, size - n, "%%")
                          : snprintf(out + n, size - n, "%u", (unsigned)v);
        n += w > 0 ? (size_t)w : 0;
        if (!*p)
            break;
    }
    if (n >= size)
        return -1;
    out[n] = 0;
    return 0;
}
