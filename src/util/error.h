/* SPDX-License-Identifier: MIT
 * Errors: one enum generated from errors.def, plus a detail record that names what was
 * wrong and where (file, line, field). Functions that can fail return gt_err and, when
 * given a gt_error *, fill it with a human sentence. No allocation: the detail is inline. */
#ifndef GT_UTIL_ERROR_H
#define GT_UTIL_ERROR_H

#include <stdarg.h>

typedef enum {
#define GT_ERR(NAME, name, http, exit, msg) GT_E_##NAME,
#include "util/errors.def"
#undef GT_ERR
    GT_E__COUNT
} gt_err;

/* Where and why something failed. `where` is e.g. "fleet.yaml:12" or "jobs[3].gpus". */
typedef struct {
    gt_err code;
    char where[128];
    char msg[256];
} gt_error;

/* Stable lower-case name of a code ("invalid", "not_found"); never NULL. */
const char *gt_err_name(gt_err e);
/* Generic sentence for a code; never NULL. */
const char *gt_err_msg(gt_err e);
int gt_err_http(gt_err e);
int gt_err_exit(gt_err e);

/* Fill *err (may be NULL) and return code. `where` may be NULL. printf-style message. */
gt_err gt_fail(gt_error *err, gt_err code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Format "where: msg" into buf (always NUL-terminated); returns buf. */
const char *gt_error_str(const gt_error *err, char *buf, unsigned long len);

#endif
