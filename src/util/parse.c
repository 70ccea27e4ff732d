/* SPDX-License-Identifier: MIT
 * Command-line values: integers, numbers, durations and sizes (see parse.h).
 *
 * Design notes
 *  1. Decimals are read as an integer part and up to 6 fraction digits, both as integers,
 *     so "1.5h" and "0.25G" convert exactly; no floating point, no locale. Only
 *     gt_parse_real uses strtod: its callers want a double (the programs never call
 *     setlocale, so it reads the C locale's '.').
 *  2. Every intermediate is bounded before it is multiplied (LIMIT_MS, LIMIT_KIB), so no
 *     input can overflow; values beyond the bounds are "too large". The callers apply the
 *     field's own range afterwards.
 *  3. Slurm's clock times are a table of forms (how many fields, whether a day count comes
 *     first, what each field counts). They contain ':' or '-', which no other duration
 *     does, so every duration option takes them; only a bare number is read two ways:
 *     seconds for gantry's DURATION options, minutes for the Slurm-style --time. */
#include "util/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAC 6
#define LIMIT_MS (1000000000000000LL) /* ~31,700 years */
#define LIMIT_KIB (1LL << 55)         /* 32 EiB */

static const char *const expect_int = "expected an integer";
static const char *const expect_real = "expected a number";
static const char *const expect_dur =
    "expected a duration like 90, 90s, 30m, 2h, 1h30m or [D-]HH:MM:SS";
static const char *const expect_clock = "expected MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS";
static const char *const expect_time =
    "expected minutes or a time like MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS";
static const char *const clock_range =
    "minutes and seconds go up to 59, and hours up to 23 after a day count";
static const char *const expect_size = "expected a size in MiB or with a unit, like 512M or 4G";
static const char *const too_large = "too large";

int gt_parse_int(const char *s, long long *out, const char **why) {
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

int gt_parse_real(const char *s, double *out, const char **why) {
    char *end;
    *why = expect_real;
    if (!s[0] || isspace((unsigned char)s[0]))
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (*end)
        return -1;
    if (errno == ERANGE || !isfinite(v)) {
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

/* ---- Slurm's clock times ---------------------------------------------------------------- */

#define CLOCK_DIGITS 9 /* per field: 999,999,999 days is still far from LIMIT_MS's overflow */

static const struct {
    int days;             /* "D-" comes first */
    int nfields;          /* colon-separated fields after it */
    long long unit_ms[3]; /* what each field counts */
} clock_forms[] = {
    {0, 2, {60000, 1000, 0}},       /* MM:SS */
    {0, 3, {3600000, 60000, 1000}}, /* HH:MM:SS */
    {1, 1, {3600000, 0, 0}},        /* D-HH */
    {1, 2, {3600000, 60000, 0}},    /* D-HH:MM */
    {1, 3, {3600000, 60000, 1000}}, /* D-HH:MM:SS */
};

/* 1..CLOCK_DIGITS digits at *p; advances *p. */
static int clock_field(const char **p, long long *v) {
    size_t n = strspn(*p, "0123456789");
    if (n == 0 || n > CLOCK_DIGITS)
        return -1;
    *v = strtoll(*p, NULL, 10);
    *p += n;
    return 0;
}

/* "[D-]F[:F[:F]]" into days (-1: none) and fields; the number of fields, or -1. */
static int clock_split(const char *s, long long *days, long long f[3]) {
    const char *p = s;
    int n = 0;
    *days = -1;
    if (strchr(s, '-') && (clock_field(&p, days) != 0 || *p++ != '-'))
        return -1;
    for (;;) {
        if (n == 3 || clock_field(&p, &f[n++]) != 0)
            return -1;
        if (*p != ':')
            return *p ? -1 : n;
        p++;
    }
}

int gt_parse_clock_ms(const char *s, int64_t *out, const char **why) {
    long long days, f[3];
    int n = clock_split(s, &days, f);
    *why = expect_clock;
    for (size_t i = 0; n > 0 && i < sizeof clock_forms / sizeof clock_forms[0]; i++) {
        if (clock_forms[i].days != (days >= 0) || clock_forms[i].nfields != n)
            continue;
        long long total = days >= 0 ? days * 86400000LL : 0;
        for (int k = 0; k < n; k++) {
            long long cap = k > 0 ? 59 : days >= 0 ? 23 : -1;
            if (cap >= 0 && f[k] > cap) {
                *why = clock_range;
                return -1;
            }
            total += f[k] * clock_forms[i].unit_ms[k];
        }
        if (total > LIMIT_MS) {
            *why = too_large;
            return -1;
        }
        *out = total;
        return 0;
    }
    return -1;
}

int gt_parse_time_ms(const char *s, int64_t *out, const char **why) {
    size_t n = strspn(s, "0123456789");
    if (n > 0 && s[n] == 0) { /* a bare number: whole minutes */
        long long v = n <= 12 ? strtoll(s, NULL, 10) : LIMIT_MS;
        *why = too_large;
        if (v > LIMIT_MS / 60000)
            return -1;
        *out = v * 60000;
        return 0;
    }
    if (strspn(s, "0123456789.") == strlen(s)) {
        *why = expect_time; /* "1.5": minutes are whole in Slurm's syntax */
        return -1;
    }
    if (gt_parse_duration_ms(s, out, why) == 0)
        return 0;
    if (*why == expect_dur || *why == expect_clock)
        *why = expect_time;
    return -1;
}

/* ---- gantry's durations ------------------------------------------------------------------ */

int gt_parse_duration_ms(const char *s, int64_t *out, const char **why) {
    const char *p = s;
    long long total = 0, rem;
    if (strpbrk(s, ":-") && isdigit((unsigned char)s[0])) {
        if (gt_parse_clock_ms(s, out, why) == 0)
            return 0;
        *why = *why == expect_clock ? expect_dur : *why;
        return -1;
    }
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

int gt_parse_size_mb(const char *s, int64_t *out, const char **why) {
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

int gt_parse_id(const char *s, long long *out) {
    const char *why;
    long long v;
    if (gt_parse_int(s, &v, &why) != 0 || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* One index: digits only, below UINT32_MAX; *p moves past it. */
static int range_index(const char **p, uint32_t *out) {
    const char *s = *p;
    uint64_t v = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    for (; isdigit((unsigned char)*s); s++)
        if ((v = v * 10 + (uint64_t)(*s - '0')) >= UINT32_MAX)
            return -1;
    *out = (uint32_t)v;
    *p = s;
    return 0;
}

int gt_parse_ranges(const char *s, uint32_t (*out)[2], size_t max, size_t *n, const char **why) {
    *n = 0;
    *why = "expected task numbers N, N-M or a comma-separated list of them (0,3,17-40)";
    if (!*s)
        return -1;
    for (const char *p = s;;) {
        uint32_t lo, hi;
        if (range_index(&p, &lo))
            return -1;
        hi = lo;
        if (*p == '-' && (p++, range_index(&p, &hi)))
            return -1;
        if (lo > hi) {
            *why = "a range goes up (17-40, not 40-17)";
            return -1;
        }
        if (*n == max) {
            *why = "too many ranges";
            return -1;
        }
        out[*n][0] = lo;
        out[(*n)++][1] = hi;
        if (!*p)
            return 0;
        if (*p++ != ',')
            return -1;
    }
}
