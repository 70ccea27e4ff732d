/* SPDX-License-Identifier: MIT
 * Node names as Slurm writes a host list: names that differ only in one number are
 * written once with the numbers as ranges, "gb-b00-d01-n[00-17]", "n[1-3,5]",
 * "rack[1-2]-ib". Pure. */
#ifndef GT_CLI_HOSTLIST_H
#define GT_CLI_HOSTLIST_H

#include <stddef.h>

#include "util/strbuf.h"

/* Append the n names (duplicates allowed, any order) to out as one compressed list:
 * sorted by the text around the number, then by the number; the last run of digits in a
 * name is its number. Zero-padded numbers ("n07") stay with numbers of their width
 * ("n07", "n10" -> "n[07,10]"); unpadded ones of any width go together ("n9", "n10" ->
 * "n[9-10]"). Names without digits, or with more than 18 in a run, are written as they
 * are. Nothing is appended for n = 0. */
void gt_cli_hostlist(const char *const *names, size_t n, gt_sb *out);

#endif
