/* SPDX-License-Identifier: MIT
 * The HTTP surface: one table of routes (method, path pattern, who may call it, what it
 * does). HTTP threads authenticate, parse and validate here; everything that reads or
 * changes state goes to the state thread as a ctld_req. Heartbeats, assignment polls
 * and log reads stay on the HTTP thread (they must not queue behind a batch). */
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

enum { H_HEARTBEAT = REQ__COUNT, H_POLL, H_LOGS, H__END };

typedef struct {
    const char *method, *pattern;
    int kind; /* ctld_req_kind, or H_* for HTTP-thread handlers */
    int roles;
} route;

static const route routes[] = {
    {"POST", "/v1/jobs", REQ_SUBMIT, R_USER},
    {"GET", "/v1/jobs", REQ_JOB_LIST, R_USER},
    {"GET", "/v1/jobs/{}", REQ_JOB_GET, R_USER},
    {"POST", "/v1/jobs/{}/cancel", REQ_JOB_CANCEL, R_USER},
    {"POST", "/v1/jobs/{}/hold", REQ_JOB_HOLD, R_USER},
    {"POST", "/v1/jobs/{}/release", REQ_JOB_RELEASE, R_USER},
    {"GET", "/v1/jobs/{}/logs", H_LOGS, R_USER},
    {"GET", "/v1/nodes", REQ_NODE_LIST, R_USER},
    {"GET", "/v1/nodes/{}", REQ_NODE_GET, R_USER},
    {"POST", "/v1/nodes/{}/drain", REQ_NODE_DRAIN, R_ADMIN},
    {"POST", "/v1/nodes/{}/resume", REQ_NODE_RESUME, R_ADMIN},
    {"GET", "/v1/tenants", REQ_TENANTS, R_USER},
    {"GET", "/v1/cluster", REQ_CLUSTER, R_USER},
    {"GET", "/healthz", REQ_HEALTH, R_ANY},
    {"GET", "/metrics", REQ_METRICS, R_ANY},
    {"POST", "/v1/agent/register", REQ_AGENT_REGISTER, R_NODE},
    {"POST", "/v1/agent/events", REQ_AGENT_EVENTS, R_NODE},
    {"POST", "/v1/agent/heartbeat", H_HEARTBEAT, R_NODE},
    {"GET", "/v1/agent/assignments", H_POLL, R_NODE},
};
#define NROUTES (sizeof routes / sizeof routes[0])

const char *const ctld_route_names[REQ__COUNT + 8] = {
    [REQ_SUBMIT] = "submit",
    [REQ_JOB_LIST] = "jobs",
    [REQ_JOB_GET] = "job",
    [REQ_JOB_CANCEL] = "cancel",
    [REQ_JOB_HOLD] = "hold",
    [REQ_JOB_RELEASE] = "release",
    [REQ_NODE_LIST] = "nodes",
    [REQ_NODE_GET] = "node",
    [REQ_NODE_DRAIN] = "drain",
    [REQ_NODE_RESUME] = "resume",
    [REQ_TENANTS] = "tenants",
    [REQ_CLUSTER] = "cluster",
    [REQ_HEALTH] = "healthz",
    [REQ_METRICS] = "metrics",
    [REQ_AGENT_REGISTER] = "agent_register",
    [REQ_AGENT_EVENTS] = "agent_events",
    [H_HEARTBEAT] = "agent_heartbeat",
    [H_POLL] = "agent_poll",
    [H_LOGS] = "logs",
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

static void dispatch(gt_ctld *c, int kind, const ctld_principal *who, const char *arg,
                     const gt_http_req *req, gt_http_resp *resp, int64_t t0, int *deferred) {
    gt_error e = {0};
    if (kind == H_HEARTBEAT || kind == H_POLL) {
        (kind == H_POLL ? ctld_agent_poll : ctld_agent_heartbeat)(c, req, resp);
        return;
    }
    ctld_req r;
    memset(&r, 0, sizeof r);
    r.kind = kind == H_LOGS ? REQ_JOB_LOGSRC : (ctld_req_kind)kind;
    r.who = who;
    snprintf(r.name, sizeof r.name, "%s", arg);
    if (ctld_prepare(c, &r, req, &e)) {
        resp_gt_error(resp, &e);
    } else if (kind == H_LOGS) {
        ctld_logs(c, &r, req, resp);
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
    dispatch(c, rt->kind, who, arg, req, resp, t0, &deferred);
    if (!deferred)
        ctld_hist_observe(&c->api_hist[rt->kind], gt_clock_mono_ns() - t0);
}
