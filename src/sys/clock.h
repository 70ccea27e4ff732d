/* SPDX-License-Identifier: MIT
 * Clocks for the daemons (the core never reads one: time is an argument there). */
#ifndef GT_SYS_CLOCK_H
#define GT_SYS_CLOCK_H

#include <stdint.h>

/* Wall-clock milliseconds since the Unix epoch (job times, the journal). */
int64_t gt_clock_wall_ms(void);
/* Monotonic milliseconds from an arbitrary origin (timeouts, latencies). */
int64_t gt_clock_mono_ms(void);
/* Monotonic nanoseconds (latency histograms). */
int64_t gt_clock_mono_ns(void);

#endif
