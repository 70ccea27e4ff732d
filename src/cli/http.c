/* SPDX-License-Identifier: MIT
 * The CLI's HTTP client (see http.h): sys/http_client.c, gantry's one HTTP client,
 * with the controller's base URL and the request timeout kept here, and the answer in
 * the shape the CLI's callers use. */
#include "cli/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/http_client.h"

struct gt_cli_http {
    gt_http_client *client;
    char base[512];
    long timeout_ms;
};

gt_cli_http *gt_cli_http_new(const char *base_url, const char *token, double timeout_s) {
    gt_cli_http *h = calloc(1, sizeof *h);
    if (!h || !(h->client = gt_http_client_new(token))) {
        free(h);
        return NULL;
    }
    snprintf(h->base, sizeof h->base, "%s", base_url);
    h->timeout_ms = timeout_s > 0 ? (long)(timeout_s * 1000) : 0;
    return h;
}

void gt_cli_http_free(gt_cli_http *h) {
    if (!h)
        return;
    gt_http_client_free(h->client);
    free(h);
}

int gt_cli_http_header(gt_cli_http *h, const char *line) {
    return gt_http_client_header(h->client, line);
}

void gt_cli_http_resp_free(gt_cli_http_resp *r) {
    if (r)
        gt_sb_free(&r->body);
}

int gt_cli_http_do(gt_cli_http *h, const char *method, const char *path, const char *body,
                   gt_cli_http_resp *r) {
    memset(r, 0, sizeof *r);
    gt_sb_init(&r->body);
    r->offset = -1;
    char url[2048];
    snprintf(url, sizeof url, "%s%s", h->base, path);
    gt_http_answer a;
    gt_error err = {0};
    if (gt_http_call(h->client, method, url, body, h->timeout_ms, &a, &err) != GT_E_OK) {
        snprintf(r->error, sizeof r->error, "%s", err.msg);
        return -1;
    }
    r->status = a.status;
    r->offset = a.offset;
    r->done = a.done;
    gt_sb_putn(&r->body, a.body, a.len); /* the callers read a gt_sb */
    gt_http_answer_free(&a);
    return 0;
}
