/* SPDX-License-Identifier: MIT
 * gantry's one HTTP client, over libcurl's easy interface: the daemons' calls (agent ->
 * controller, controller -> agent for logs) and, through cli/http.c, the gantry CLI's.
 * One gt_http_client per thread; it keeps its connection alive between calls.
 *
 * Loopback addresses never go through a proxy, whatever http_proxy says (a daemon started
 * with a proxy in its environment still reaches the controller on 127.0.0.1). When no
 * answer comes, the error says why in the operating system's words when there is one
 * ("Connection refused"), else libcurl's, and "no answer within N s" on a timeout. */
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

/* token may be NULL or "" (no Authorization header). NULL when out of memory or libcurl
 * cannot start. */
gt_http_client *gt_http_client_new(const char *token);
void gt_http_client_free(gt_http_client *h); /* accepts NULL */
/* Send this token (NULL or "": none) with every later call instead of the one before; any
 * header added with gt_http_client_header is dropped. 0 on OOM (h unchanged). */
int gt_http_client_token(gt_http_client *h, const char *token);
/* Send the header line ("Name: value", copied) with every later call. 0 on OOM. */
int gt_http_client_header(gt_http_client *h, const char *line);
/* Calls on h give up soon after *flag becomes non-zero (another thread sets it). */
void gt_http_client_abort_on(gt_http_client *h, const volatile int *flag);

/* method "GET", "POST" or any other; body NULL for none (else sent as JSON). timeout_ms 0:
 * no limit. Returns GT_E_OK when an answer came (any status), GT_E_UNAVAILABLE when the
 * server could not be reached or did not answer in time (err says why, where = url). */
gt_err gt_http_call(gt_http_client *h, const char *method, const char *url, const char *body,
                    long timeout_ms, gt_http_answer *out, gt_error *err);
void gt_http_answer_free(gt_http_answer *a); /* accepts NULL */

#endif
