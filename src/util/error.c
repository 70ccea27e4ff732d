/* SPDX-License-Identifier: MIT
 * Error table lookups generated from errors.def. */
#include "util/error.h"

#include <stdio.h>

static const struct {
    const char *name;
    const char *msg;
    int http;
    int exit;
} gt_err_tab[] = {
#define GT_ERR(N, n, h, x, m) {#n, m, h, x},
#include "util/errors.def"
#undef GT_ERR
};

static int valid(gt_err e) {
    return (int)e >= 0 && e < GT_E__COUNT;
}

const char *gt_err_name(gt_err e) {
    return valid(e) ? gt_err_tab[e].name : "unknown";
}

const char *gt_err_msg(gt_err e) {
    return valid(e) ? gt_err_tab[e].msg : "unknown error";
}

int gt_err_http(gt_err e) {
    return valid(e) ? gt_err_tab[e].http : 500;
}

int gt_err_exit(gt_err e) {
    return valid(e) ? gt_err_tab[e].exit : 1;
}

gt_err gt_fail(gt_error *err, gt_err code, const char *where, const char *fmt, ...) {
    if (!err)
        return code;
    err->code = code;
    snprintf(err->where, sizeof err->where, "%s", where ? where : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

const char *gt_error_str(const gt_error *err, char *buf, unsigned long len) {
    if (err->where[0])
        snprintf(buf, len, "%s: %s", err->where, err->msg);
    else
        snprintf(buf, len, "%s", err->msg);
    return buf;
}
