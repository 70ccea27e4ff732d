/* SPDX-License-Identifier: MIT
 * Batch scripts, as sbatch takes them: `gantry submit train.sh ARGS...` where train.sh
 * starts with "#!". Its #GANTRY lines at the top hold submit's options; the job runs the
 * script's text with the interpreter its "#!" line names. Pure: the caller read the file.
 *
 *   #!/bin/bash
 *   #GANTRY -J train -G 8 -t 2:00:00
 *   #GANTRY --env NCCL_DEBUG=WARN      # a comment
 *   torchrun --nproc-per-node 8 train.py "$@"
 *
 * Directives are read from the lines after "#!" until the first line that is neither
 * blank nor a comment (as sbatch stops at its first command). A line is a directive when
 * it starts with "#GANTRY" and a blank (or ends there); its words are split like a shell
 * line's (quotes '...' and "...", a backslash outside single quotes escapes the next
 * character, an unquoted word starting with '#' begins a comment). */
#ifndef GT_CLI_SCRIPT_H
#define GT_CLI_SCRIPT_H

#include <jansson.h>
#include <stddef.h>

#include "cli/spec.h"
#include "util/error.h"

/* The largest script: the text travels as one argument of the interpreter, and Linux
 * takes at most 128 KiB, its NUL included, in one argument (MAX_ARG_STRLEN). */
#define GT_CLI_SCRIPT_MAX ((size_t)128 * 1024 - 1)

/* Does the text (len bytes) start with "#!", making it a batch script, not a job spec? */
int gt_cli_is_script(const char *text, size_t len);

/* The script's directives into *d, which this zeroes first: their options as
 * gt_cli_submit_parse would set them from a command line. `file` names the script in
 * errors: "train.sh:3: --gpus: must be between ...", "train.sh:2: unknown option '-x'".
 * On error *d holds nothing to free; else free it with gt_cli_submit_req_free. */
gt_err gt_cli_script_directives(const char *text, size_t len, const char *file,
                                gt_cli_submit_req *d, gt_error *err);

/* The command that runs the script on a node that does not have the file: its "#!"
 * interpreter (and that line's one argument) with the text after -c (shells, Python) or
 * -e (Perl), then, for a shell, `name` as $0, then args[0..nargs). A new array, or NULL
 * with *err naming `file`: an interpreter not in the table, a script over
 * GT_CLI_SCRIPT_MAX, a NUL byte, text that is not UTF-8. */
json_t *gt_cli_script_command(const char *text, size_t len, const char *file, const char *name,
                              char *const *args, int nargs, gt_error *err);

#endif
