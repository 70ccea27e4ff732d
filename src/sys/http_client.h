/* SPDX-License-Identifier: MIT
 * A blocking HTTP client over libcurl for the daemons (agent -> controller, controller ->
 * agent logs). One gt_http_client per thread; it keeps its connection alive. */
#ifndef GT_SYS_HTTP_CLIENT_H
#define GT_SYS_HTTP_CLIENT_H

#include <stddef.h>

#include "util/error.h"

typedef struct gt_http_client gt_http_client;

typedef struct {
    int status; /* HTTP status; 0 when no answer came */
    char *body; /* malloc'd, NUL-terminated (may be ""); caller frees */
    size_t len;
    long long offset; /* X-Gantry-Offset, -1 if absent */
    int done;         /* X-Gantry-Done: 1 */
} gt_http_answer;

/* token may be NULL. NULL on OOM. */
gt_http_client *gt_http_client_new(const char *token);
void gt_http_client_free(gt_http_client *h);
/* Calls on h give up soon after *flag becomes non-zero (another thread sets it). */
void gt_http_client_abort_on(gt_http_client *h, const volatile int *flag);

/* method "GET"/"POST"; body NULL for none (sent as JSON otherwise). Returns GT_E_OK when
 * an answer came (any status), GT_E_UNAVAILABLE when the server could not be reached or
 * timed out (err says why). */
gt_err gt_http_call(gt_http_client *h, const char *method, const char *url, const char *body,
                    long timeout_ms, gt_http_answer *out, gt_error *err);
void gt_http_answer_free(gt_http_answer *a);

#endif
