/* SPDX-License-Identifier: MIT
 * Reading one metric out of a Prometheus text exposition (the format a /metrics page
 * serves): the sum of its samples, whatever their labels. Pure: text in, number out. */
#ifndef GT_UTIL_PROM_H
#define GT_UTIL_PROM_H

#include <stddef.h>

/* The samples of `metric` in text (len bytes, need not be NUL-terminated): their values
 * added into *sum (NaN samples are skipped). Returns how many samples were found (0: the
 * metric is not there, *sum is 0). Lines it cannot read are skipped. */
size_t gt_prom_sum(const char *text, size_t len, const char *metric, double *sum);

#endif
