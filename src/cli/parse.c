/* SPDX-License-Identifier: MIT
 * Command-line values: integers, durations and sizes.
 *
 * Design notes
 *  1. Decimals are read as an integer part and up to 6 fraction digits, both as integers,
 *     so "1.5h" and "0.25G" convert exactly; no floating point, no locale.
 *  2. Every intermediate is bounded before it is multiplied (LIMIT_MS, LIMIT_KIB), so no
 *     input can overflow; values beyond the bounds are "too large". The callers apply the
 *     field's own range afterwards. */
#include "cli/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAC 6
#define LIMIT_MS (1000000000000000LL) /* ~31,700 years */
#define LIMIT_KIB (1LL << 55)         /* 32 EiB */

static const char *const expect_int = "expected an integer";
static const char *const expect_dur = "expected a duration like 90, 90s, 30m, 2h or 1h30m";
static const char *const expect_size = "expected a size in MiB or with a unit, like 512M or 4G";
static const char *const too_large = "too large";

int gt_cli_parse_int(const char *s, long long *out, const char **why) {
    const char *p = s + (s[0] == '-');
    if (!isdigit((unsigned char)*p) || strspn(p, "0123456789") != strlen(p)) {
        *why = expect_int;
        return -1;
    }
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE) {
        *why = too_large;
        return -1;
    }
    *out = v;
    return 0;
}

/* A decimal number at *p: digits, optionally '.' and 1..MAX_FRAC digits. The value is
 * ip + frac / 10^fd. Advances *p. Returns -1 when there is no number or it is too long. */
typedef struct {
    long long ip, frac, scale; /* scale = 10^fd */
} decimal;

static int read_decimal(const char **p, decimal *d) {
    const char *s = *p;
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 15)
        return -1;
    d->ip = strtoll(s, NULL, 10);
    d->frac = 0;
    d->scale = 1;
    s += n;
    if (*s == '.') {
        size_t f = strspn(++s, "0123456789");
        if (f == 0 || f > MAX_FRAC)
            return -1;
        for (size_t i = 0; i < f; i++, s++) {
            d->frac = d->frac * 10 + (*s - '0');
            d->scale *= 10;
        }
    }
    *p = s;
    return 0;
}

/* d * unit, rounded to the nearest integer; -1 when it exceeds limit. */
static long long scaled(const decimal *d, long long unit, long long limit, long long *rem) {
    if (d->ip > limit / unit)
        return -1;
    long long whole = d->ip * unit, num = d->frac * unit; /* frac < 10^6, unit < 10^9 */
    *rem = num % d->scale;
    long long v = whole + num / d->scale + (2 * *rem >= d->scale);
    return v > limit ? -1 : v;
}

static const struct {
    const char *name;
    long long ms;
} dur_units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};

/* The unit at *p (longest match first: "ms" before "m"); advances *p. 0 when none. */
static long long dur_unit(const char **p) {
    long long best = 0;
    size_t best_len = 0;
    for (size_t i = 0; i < sizeof dur_units / sizeof dur_units[0]; i++) {
        size_t n = strlen(dur_units[i].name);
        if (n > best_len && strncmp(*p, dur_units[i].name, n) == 0) {
            best = dur_units[i].ms;
            best_len = n;
        }
    }
    *p += best_len;
    return best;
}

int gt_cli_parse_duration_ms(const char *s, int64_t *out, const char **why) {
    const char *p = s;
    long long total = 0, rem;
    *why = expect_dur;
    do {
        decimal d;
        const char *start = p;
        if (read_decimal(&p, &d) != 0)
            return -1;
        long long unit = dur_unit(&p);
        if (unit == 0 && (start != s || *p))
            return -1; /* a bare number of seconds is only allowed alone */
        long long v = scaled(&d, unit ? unit : 1000, LIMIT_MS, &rem);
        if (v < 0 || (total += v) > LIMIT_MS) {
            *why = too_large;
            return -1;
        }
    } while (*p);
    *out = total;
    return 0;
}

/* Size unit in KiB at *p: K, M, G, T, optional 'i', optional 'B'; advances *p. */
static long long size_unit(const char **p) {
    static const char letters[] = "KMGT";
    const char *at = strchr(letters, toupper((unsigned char)**p));
    if (**p == 0 || !at)
        return 0;
    long long kib = 1;
    for (const char *l = letters; l < at; l++)
        kib *= 1024;
    (*p)++;
    if (**p == 'i' || **p == 'I')
        (*p)++;
    if (**p == 'B' || **p == 'b')
        (*p)++;
    return kib;
}

int gt_cli_parse_size_mb(const char *s, int64_t *out, const char **why) {
    const char *p = s;
    decimal d;
    long long rem;
    *why = expect_size;
    if (read_decimal(&p, &d) != 0)
        return -1;
    long long unit = *p ? size_unit(&p) : 1024;
    if (unit == 0 || *p)
        return -1;
    long long kib = scaled(&d, unit, LIMIT_KIB, &rem);
    if (kib < 0) {
        *why = too_large;
        return -1;
    }
    if (rem != 0 || kib % 1024 != 0) {
        *why = "not a whole number of MiB";
        return -1;
    }
    *out = kib / 1024;
    return 0;
}

int gt_cli_parse_id(const char *s, long long *out) {
    const char *why;
    long long v;
    if (gt_cli_parse_int(s, &v, &why) != 0 || v < 0)
        return -1;
    *out = v;
    return 0;
}
