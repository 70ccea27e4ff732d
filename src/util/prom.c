/* SPDX-License-Identifier: MIT
 * gt_prom_sum: one pass over the lines. A sample line is NAME[{LABELS}] VALUE [TIMESTAMP];
 * '#' lines are comments (HELP, TYPE). Label values may hold '}' inside quotes, so the
 * label set is skipped quote-aware. */
#include "util/prom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The end of a {...} label set starting at p (p[0] == '{'), or NULL if it does not close. */
static const char *skip_labels(const char *p, const char *end) {
    int quoted = 0;
    for (p++; p < end; p++) {
        if (quoted && *p == '\\') {
            p++;
            continue;
        }
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == '}')
            return p + 1;
    }
    return NULL;
}

/* The value of the sample on line [p, end) if its name is metric; 1 when it is one. */
static int sample(const char *p, const char *end, const char *metric, size_t mlen, double *v) {
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p == '#' || (size_t)(end - p) <= mlen || memcmp(p, metric, mlen))
        return 0;
    p += mlen;
    if (*p == '{' && !(p = skip_labels(p, end)))
        return 0;
    if (p >= end || (*p != ' ' && *p != '\t'))
        return 0; /* another metric whose name starts with this one */
    char num[64];
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    size_t n = 0;
    while (p < end && *p != ' ' && *p != '\t' && *p != '\r' && n < sizeof num - 1)
        num[n++] = *p++;
    num[n] = 0;
    char *stop;
    double x = strtod(num, &stop);
    if (n == 0 || *stop)
        return 0;
    *v = x;
    return 1;
}

size_t gt_prom_sum(const char *text, size_t len, const char *metric, double *sum) {
    size_t mlen = strlen(metric), found = 0;
    const char *p = text, *end = text + len;
    *sum = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        double v;
        if (mlen && sample(p, le, metric, mlen, &v) && !isnan(v)) {
            *sum += v;
            found++;
        }
        p = nl ? nl + 1 : end;
    }
    return found;
}
