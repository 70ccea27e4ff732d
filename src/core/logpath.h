/* SPDX-License-Identifier: MIT
 * A job's --output / --error file pattern (job spec fields `output` and `error`), as
 * Slurm's sbatch writes them: %j the job id, %t the rank, %a the task id (a task array's
 * task, else the unit: the replica, or 0 for a gang), %% a '%'. Anything else after a '%'
 * is an error. The agent expands a pattern on the node for each rank; a relative result is
 * taken from the job's workdir there. Pure. */
#ifndef GT_CORE_LOGPATH_H
#define GT_CORE_LOGPATH_H

#include <stddef.h>
#include <stdint.h>

#define GT_LOG_PATTERN_MAX 1024 /* bytes of a pattern, and of what it expands to */

/* 0 when pat is a valid pattern (1 to GT_LOG_PATTERN_MAX - 1 bytes, no control character,
 * every '%' followed by j, t, a or %); else -1 with why (size bytes) saying what is wrong
 * ("unknown %x: use %j (job id), %t (rank), %a (task id) or %% (a '%')"). */
int gt_log_pattern_check(const char *pat, char *why, size_t size);

/* pat, a valid pattern, for one rank into out (size bytes): 0, or -1 when it does not fit. */
int gt_log_pattern_expand(const char *pat, uint32_t job, uint32_t rank, uint32_t task, char *out,
                          size_t size);

#endif
