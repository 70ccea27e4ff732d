/* SPDX-License-Identifier: MIT
 * The HTTP surface: the route table built from routes.def (method, path pattern, who may
 * call it, what it does). HTTP threads authenticate, parse and validate here; everything
 * that reads or changes state goes to the state thread as a ctld_req. Heartbeats,
 * assignment polls and log reads stay on the HTTP thread (they must not queue behind a
 * batch). */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "sys/clock.h"
#include "sys/http_client.h"
#include "util/utf8.h"

#define R_USER (1 << ROLE_USER | 1 << ROLE_ADMIN)
#define R_ADMIN (1 << ROLE_ADMIN)
#define R_NODE (1 << ROLE_NODE)
#define R_ANY 0 /* no token needed */

/* An HTTP-thread handler (routes.def's HTTP column). */
typedef void (*http_fn)(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp);

typedef struct {
    const char *method, *pattern;
    ctld_req_kind kind;
    int roles;
    http_fn http; /* NULL: the state thread answers */
} route;

static const route routes[] = {
#define CTLD_ROUTE(KIND, METHOD, PATTERN, ROLES, NAME, PREPARE, EXEC, HTTP)                        \
    {METHOD, PATTERN, REQ_##KIND, ROLES, HTTP},
#include "ctld/routes.def"
#undef CTLD_ROUTE
};
#define NROUTES (sizeof routes / sizeof routes[0])

const char *const ctld_route_names[REQ__COUNT] = {
#define CTLD_ROUTE(KIND, METHOD, PATTERN, ROLES, NAME, PREPARE, EXEC, HTTP) [REQ_##KIND] = NAME,
#include "ctld/routes.def"
#undef CTLD_ROUTE
};

/* Match path against pattern; "{}" captures one segment into arg (size 128). */
static int match(const char *pat, const char *path, char arg[128]) {
    while (*pat && *path) {
        if (pat[0] == '{' && pat[1] == '}') {
            size_t n = strcspn(path, "/");
            if (n == 0 || n >= 128)
                return 0;
            memcpy(arg, path, n);
            arg[n] = 0;
            path += n;
            pat += 2;
        } else if (*pat++ != *path++) {
            return 0;
        }
    }
    return !*pat && !*path;
}

static void resp_error(gt_http_resp *resp, gt_err code, const char *where, const char *msg) {
    resp->status = gt_err_http(code);
    resp->body = ctld_error_body(code, where, msg);
    resp->len = resp->body ? strlen(resp->body) : 0;
}

static void resp_gt_error(gt_http_resp *resp, const gt_error *e) {
    resp_error(resp, e->code, e->where, e->msg);
}

static const ctld_principal *authenticate(gt_ctld *c, const gt_http_req *req, gt_http_resp *resp,
                                          int roles) {
    const char *h = gt_http_header(req, "Authorization");
    const ctld_principal *p = NULL;
    if (h && !strncmp(h, "Bearer ", 7))
        p = ctld_tokens_find(&c->tokens, h + 7);
    if (!p) {
        resp_error(resp, GT_E_UNAUTHORIZED, "Authorization",
                   h ? "unknown token" : "send 'Authorization: Bearer TOKEN'");
        return NULL;
    }
    if (!(roles & 1 << p->role)) {
        char m[96];
        snprintf(m, sizeof m, "%s",
                 roles == R_ADMIN  ? "this needs an admin token"
                 : roles == R_NODE ? "this needs a node (agent) token"
                                   : "this needs a user or admin token");
        resp_error(resp, GT_E_FORBIDDEN, "Authorization", m);
        return NULL;
    }
    return p;
}

/* Hand r to the state thread without waiting when the server can defer the answer;
 * returns 0 when r must be answered here instead. */
static int call_later(gt_ctld *c, const ctld_req *r, const gt_http_req *req, int64_t t0) {
    ctld_req *h = malloc(sizeof *h);
    gt_http_later *l = h ? gt_http_defer(req) : NULL;
    if (!l) {
        free(h);
        return 0;
    }
    *h = *r;
    h->later = l;
    h->t0_ns = t0;
    h->hist = (int)r->kind;
    ctld_call_later(c, h);
    return 1;
}

static void dispatch(gt_ctld *c, const route *rt, const ctld_principal *who, const char *arg,
                     const gt_http_req *req, gt_http_resp *resp, int64_t t0, int *deferred) {
    gt_error e = {0};
    ctld_req r;
    memset(&r, 0, sizeof r);
    r.kind = rt->kind;
    r.who = who;
    snprintf(r.name, sizeof r.name, "%s", arg);
    if (ctld_prepare(c, &r, req, &e)) {
        resp_gt_error(resp, &e);
    } else if (rt->http) {
        rt->http(c, &r, req, resp);
    } else if (call_later(c, &r, req, t0)) {
        *deferred = 1; /* the state thread answers, and frees the request's body */
        return;
    } else {
        ctld_call(c, &r);
        resp->status = r.status;
        resp->body = r.out;
        resp->len = r.out ? strlen(r.out) : 0;
        resp->content_type = r.ctype;
        r.out = NULL;
    }
    free(r.out);
    ctld_req_release(&r);
}

void ctld_http_handler(void *ctx, const gt_http_req *req, gt_http_resp *resp) {
    gt_ctld *c = ctx;
    int64_t t0 = gt_clock_mono_ns();
    char arg[128] = "";
    const route *rt = NULL;
    int path_ok = 0;
    for (size_t i = 0; i < NROUTES && !rt; i++)
        if (match(routes[i].pattern, req->path, arg)) {
            path_ok = 1;
            if (!strcmp(routes[i].method, req->method))
                rt = &routes[i];
        }
    if (!gt_utf8_text(req->path)) {
        resp_error(resp, GT_E_INVALID, "path", "not valid UTF-8 text");
        return;
    }
    if (!rt) {
        resp_error(resp, path_ok ? GT_E_STATE : GT_E_NOT_FOUND, "path",
                   path_ok ? "method not allowed on this path" : "no such route");
        if (path_ok)
            resp->status = 405;
        return;
    }
    const ctld_principal *who = NULL;
    if (rt->roles && !(who = authenticate(c, req, resp, rt->roles)))
        return;
    int deferred = 0;
    dispatch(c, rt, who, arg, req, resp, t0, &deferred);
    if (!deferred)
        ctld_hist_observe(&c->api_hist[rt->kind], gt_clock_mono_ns() - t0);
}
