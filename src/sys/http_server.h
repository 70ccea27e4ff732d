/* SPDX-License-Identifier: MIT
 * A small HTTP/1.1 server over libmicrohttpd: epoll and a pool of GT_HTTP_THREADS threads,
 * so tens of thousands of connections cost no thread each. The handler sees the whole
 * request body (at most max_body bytes; larger bodies get 413 without reaching it) and
 * fills a response. A handler may block briefly (a few ms: the state thread's commit); one
 * that must wait longer (a long-poll) defers its answer with gt_http_defer and returns:
 * the connection then waits without holding a thread until gt_http_answer_later.
 *
 * Threads: handlers run concurrently on the pool's threads; `ctx` must be thread-safe. */
#ifndef GT_SYS_HTTP_SERVER_H
#define GT_SYS_HTTP_SERVER_H

#include <stddef.h>

#include "util/error.h"

typedef struct {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* "/v1/jobs/12" (no query string) */
    const char *body;   /* NUL-terminated copy; may contain NULs before body_len */
    size_t body_len;
    void *conn; /* for gt_http_query / gt_http_header */
    /* The fake twin (tests, fuzzing): with conn NULL, lookups read these NULL-terminated
     * key, value, key, value, ... lists instead (either may be NULL). */
    const char *const *query_kv, *const *header_kv;
    void *priv; /* the server's per-connection state (gt_http_defer); NULL in the fake */
} gt_http_req;

/* A query parameter or header of the request, or NULL. Valid during the handler call. */
const char *gt_http_query(const gt_http_req *r, const char *key);
const char *gt_http_header(const gt_http_req *r, const char *key);

/* The first query parameter whose name is not in `allowed` (NULL-terminated), or NULL.
 * Valid during the handler call. */
const char *gt_http_query_unknown(const gt_http_req *r, const char *const *allowed);

#define GT_HTTP_MAX_HEADERS 4
typedef struct {
    int status;               /* default 200 */
    const char *content_type; /* static string; default application/json */
    char *body;               /* malloc'd; the server frees it */
    size_t len;
    int nheaders;
    char header[GT_HTTP_MAX_HEADERS][2][64]; /* extra headers: name, value */
} gt_http_resp;

/* Add a header to a response (ignored beyond GT_HTTP_MAX_HEADERS). */
void gt_http_resp_header(gt_http_resp *r, const char *name, const char *value);

typedef void (*gt_http_handler)(void *ctx, const gt_http_req *req, gt_http_resp *resp);

#define GT_HTTP_THREADS 16

/* A deferred answer. gt_http_defer (in a handler, at most once per request) returns one,
 * or NULL where answers cannot be deferred (the fake twin: answer at once then); the
 * handler returns leaving resp untouched. Some thread must then call gt_http_answer_later
 * exactly once, which takes resp's body and frees the handle. Answer every deferred request
 * before gt_http_stop: one still waiting then is answered 503, and its handle must not be
 * used again. */
typedef struct gt_http_later gt_http_later;
gt_http_later *gt_http_defer(const gt_http_req *req);
void gt_http_answer_later(gt_http_later *l, gt_http_resp *resp);

typedef struct gt_http_server gt_http_server;

/* Listen on "ADDRESS:PORT" (IPv4; port 0 picks a free one). Raises the process's open-file
 * limit (one descriptor per connection) to 131,072 where allowed, else to its hard limit.
 * NULL on error. */
gt_http_server *gt_http_start(const char *listen, size_t max_body, gt_http_handler h, void *ctx,
                              gt_error *err);
int gt_http_port(const gt_http_server *s);
/* Stop accepting, wait for running handlers, free. NULL is fine. */
void gt_http_stop(gt_http_server *s);

/* Split "ADDRESS:PORT" into a dotted IPv4 address and a port; 0 if malformed. */
int gt_http_parse_listen(const char *listen, char addr[64], int *port);

#endif
