/* SPDX-License-Identifier: MIT
 * Time as gantry passes it around: milliseconds on a clock the caller chooses (the core
 * never reads a clock; the daemons pass the monotonic or the wall clock, the simulator its
 * virtual one). */
#ifndef GT_UTIL_TIME_H
#define GT_UTIL_TIME_H

#include <stdint.h>

typedef int64_t gt_time;
#define GT_TIME_NEVER INT64_MAX

#endif
