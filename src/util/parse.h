/* SPDX-License-Identifier: MIT
 * Values as people type them on a command line: integers, decimal numbers, durations ("90",
 * "90s", "30m", "2h", "1h30m", "1.5h", "1:30:00"), Slurm's times ("90" minutes,
 * "2-00:00:00") and memory sizes ("512" MiB, "512M", "4G", "1.5T"). The options parser
 * (util/opts.h) of all four programs reads its values with them. Pure functions: each returns 0 and
 * fills *out, or -1 and points *why at a fixed sentence saying what was wrong ("too large", "not a
 * whole number of MiB"); *why is never freed. */
#ifndef GT_UTIL_PARSE_H
#define GT_UTIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* A decimal integer with an optional '-': no blanks, no '+', nothing after the digits. */
int gt_parse_int(const char *s, long long *out, const char **why);

/* A finite decimal number as strtod reads it in the C locale ("0.9", "1e3"): no blanks
 * before it, nothing after it. */
int gt_parse_real(const char *s, double *out, const char **why);

/* A duration in milliseconds: one bare number of seconds ("90", "1.5"), one or more
 * NUMBER UNIT pairs with units ms, s, m, h, d ("1h30m"), or a clock time as below
 * ("1:30:00"). At most 6 decimals; never negative. */
int gt_parse_duration_ms(const char *s, int64_t *out, const char **why);

/* A clock time in Slurm's syntax, in milliseconds: MM:SS, HH:MM:SS, D-HH, D-HH:MM or
 * D-HH:MM:SS. Whole numbers only; the first field may be any size ("90:00" is 90 minutes),
 * the others go up to 59, and hours up to 23 after a day count. */
int gt_parse_clock_ms(const char *s, int64_t *out, const char **why);

/* A time limit as sbatch's --time takes it, in milliseconds: a bare whole number is
 * minutes ("90"); else a clock time or a duration with units as above ("2:00:00", "2h"). */
int gt_parse_time_ms(const char *s, int64_t *out, const char **why);

/* A memory size in MiB: a bare integer is MiB; else NUMBER UNIT with units K, M, G, T
 * (binary, case-insensitive, optional "i" and "B": 4G = 4GiB = 4096). The result must be
 * a whole number of MiB. */
int gt_parse_size_mb(const char *s, int64_t *out, const char **why);

/* Task numbers as Slurm's --array and scancel take them: N, N-M (lo <= hi) or a
 * comma-separated list of those ("0,3,17-40"), each below 2^32 - 1, at most max ranges,
 * into out[0..*n) as {lo, hi}. */
int gt_parse_ranges(const char *s, uint32_t (*out)[2], size_t max, size_t *n, const char **why);

/* A job id: an integer >= 0. */
int gt_parse_id(const char *s, long long *out);

#endif
