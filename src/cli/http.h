/* SPDX-License-Identifier: MIT
 * A small HTTP client for the controller's JSON API over libcurl's easy interface. One
 * handle is reused for every request (keep-alive to the controller). */
#ifndef GT_CLI_HTTP_H
#define GT_CLI_HTTP_H

#include "util/strbuf.h"

typedef struct gt_cli_http gt_cli_http;

typedef struct {
    long status;      /* HTTP status; 0 when no answer came (see error) */
    gt_sb body;       /* the answer's body, owned by the response */
    long long offset; /* X-Gantry-Offset, -1 when absent */
    int done;         /* X-Gantry-Done: 1 */
    char error[256];  /* why no answer came: "Connection refused", "timed out after 30 s" */
} gt_cli_http_resp;

/* A client for base_url ("http://host:port", no trailing '/'). token may be NULL or "" (no
 * Authorization header). timeout_s bounds each request. NULL when libcurl cannot start. */
gt_cli_http *gt_cli_http_new(const char *base_url, const char *token, double timeout_s);
void gt_cli_http_free(gt_cli_http *h); /* accepts NULL */

/* METHOD base_url+path; body (may be NULL) is sent as application/json. Fills *r (free it
 * with gt_cli_http_resp_free, also on failure). Returns 0 when an answer came, whatever its
 * status, and -1 when none did (r->error says why). */
int gt_cli_http_do(gt_cli_http *h, const char *method, const char *path, const char *body,
                   gt_cli_http_resp *r);
void gt_cli_http_resp_free(gt_cli_http_resp *r); /* accepts NULL */
/* Send the header line ("Name: value") with every later request. 0 on OOM. */
int gt_cli_http_header(gt_cli_http *h, const char *line);

#endif
