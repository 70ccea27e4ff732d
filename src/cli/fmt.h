/* SPDX-License-Identifier: MIT
 * Reading the controller's JSON objects and writing their values for people: ages,
 * dates, durations, sizes, usage bars. Pure functions; each writes into the caller's
 * buffer and returns it. */
#ifndef GT_CLI_FMT_H
#define GT_CLI_FMT_H

#include <jansson.h>
#include <stddef.h>

#include "util/strbuf.h"

/* o[key] as a string; `dflt` when absent, null or not a string. */
const char *gt_cli_jstr(const json_t *o, const char *key, const char *dflt);
/* o[key] as a number (integer or real); 0 when absent or not a number. */
long long gt_cli_jint(const json_t *o, const char *key);
double gt_cli_jnum(const json_t *o, const char *key);

/* Seconds since the epoch, now. */
double gt_cli_now(void);
/* Sleep this long (returns early when a signal arrives). */
void gt_cli_sleep(double seconds);

/* An elapsed time, short: "45s", "12m", "3h", "5d"; "-" when negative. */
const char *gt_cli_fmt_age(double seconds, char *buf, size_t len);
/* A duration, exact to the second: "90s" -> "1m30s", "2h", "0s". */
const char *gt_cli_fmt_duration(double seconds, char *buf, size_t len);
/* An elapsed time as Slurm's squeue writes TIME: "M:SS", "H:MM:SS", "D-HH:MM:SS" (whole
 * seconds, rounded down; "0:00" when negative). */
const char *gt_cli_fmt_elapsed(double seconds, char *buf, size_t len);
/* A local date and time "2025-11-25 10:00:05"; "-" when epoch <= 0. */
const char *gt_cli_fmt_time(double epoch, char *buf, size_t len);
/* MiB as "512M", "64G", "2T" (whole units only, else MiB); "-" for 0. */
const char *gt_cli_fmt_mb(long long mb, char *buf, size_t len);
/* "[#######.......]" of `width` marks for used/total. */
void gt_cli_bar(gt_sb *b, long long used, long long total, int width);

#endif
