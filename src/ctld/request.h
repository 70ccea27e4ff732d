/* SPDX-License-Identifier: MIT
 * Requests: one kind per API route (routes.def). An HTTP thread fills a ctld_req
 * (prepare: parse and validate), then either answers it itself (the route's HTTP
 * handler) or hands it to the state thread (state.c), which applies it (exec.c) and
 * answers after the commit. A request belongs to one thread at a time: its maker until
 * it is queued, the state thread until it is answered. */
#ifndef GT_CTLD_REQUEST_H
#define GT_CTLD_REQUEST_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "core/jobspec.h"
#include "ctld/auth.h"
#include "ctld/ctld.h"
#include "proto/proto.h"
#include "sys/http_server.h"
#include "sys/log.h"

/* ---- requests: one kind per API route (routes.def) ---- */
typedef enum {
#define CTLD_ROUTE(KIND, METHOD, PATTERN, ROLES, NAME, PREPARE, EXEC, HTTP) REQ_##KIND,
#include "ctld/routes.def"
#undef CTLD_ROUTE
    REQ__COUNT
} ctld_req_kind;

typedef struct ctld_req {
    ctld_req_kind kind;
    const ctld_principal *who;
    uint32_t id;            /* job id */
    char name[128];         /* node name */
    json_t *body;           /* parsed body or query (owned: freed by whoever frees the request) */
    gt_proto_register reg;  /* REQ_AGENT_REGISTER: the decoded body (owned, as body) */
    gt_proto_events evs;    /* REQ_AGENT_EVENTS: the decoded body (owned, as body) */
    gt_proto_health health; /* REQ_AGENT_HEALTH: the decoded body (owned, as body) */
    gt_jobspec spec;        /* REQ_SUBMIT: parsed and validated */
    char *doc;              /* REQ_SUBMIT: the spec as the job keeps it (owned, as body) */
    char idem[201];         /* REQ_SUBMIT: its Idempotency-Key header ("": none) */
    int group;              /* REQ_SUBMIT: body is {"roles": [...]}: a service of roles */
    int status;             /* answer: HTTP status */
    char *out;              /* answer: body (malloc'd), moved into the HTTP response */
    const char *ctype;      /* answer: content type (static); NULL: JSON */
    int done;
    pthread_cond_t cv;
    struct ctld_req *next;
    /* ctld_call_later: the HTTP answer the state thread gives (then frees the request),
     * and what the API latency histogram needs */
    gt_http_later *later;
    int64_t t0_ns;
    int hist;
    /* service.c: a parked endpoints watch (state thread), answered by ctld_answer_parked */
    int parked;
    int64_t deadline_mono;
    struct ctld_req *wnext;
} ctld_req;

/* state.c */
/* Queue r for the state thread and wait for its answer. */
void ctld_call(gt_ctld *c, ctld_req *r);
/* Queue r (malloc'd, r->later set) for the state thread, which answers the HTTP request
 * and frees r (its body and out too); returns at once. */
void ctld_call_later(gt_ctld *c, ctld_req *r);
/* Answer a request that was parked (r->later set; its answer filled) and free it. */
void ctld_answer_parked(gt_ctld *c, ctld_req *r);
/* Free what a request owns besides itself and its answer: body, reg, evs. */
void ctld_req_release(ctld_req *r);
int ctld_state_start(gt_ctld *c, gt_error *err);
void ctld_state_stop(gt_ctld *c);
/* state.c: one line of gantryd's log (sys/log.h), nothing with --quiet: ctld_log at info
 * level, ctld_log_at at another (GT_LOG_WARNING, ...). Errors that stop gantryd or lose
 * work are logged with gt_log itself, --quiet or not. */
void ctld_log(const gt_ctld *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctld_log_at(const gt_ctld *c, gt_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* exec.c: the state thread's answer to each read or write request */
void ctld_exec(gt_ctld *c, ctld_req *r, int64_t t);
/* Fill r's answer with an error / a JSON value (steals v). */
void ctld_answer_err(ctld_req *r, const gt_error *e);
void ctld_answer_json(ctld_req *r, int status, json_t *v);

/* metrics.c: cluster summary, health, Prometheus page (state thread) */
void ctld_exec_cluster(gt_ctld *c, ctld_req *r, int64_t t);
void ctld_exec_health(gt_ctld *c, ctld_req *r, int64_t t);
void ctld_exec_metrics(gt_ctld *c, ctld_req *r, int64_t t);
/* exec.c: where a rank's logs are (state thread) */
void ctld_exec_logsrc(gt_ctld *c, ctld_req *r, int64_t t);
/* unitlist.c: a job's units, a page at a time, by state (state thread). A unit's state:
 * pending (never started, or waiting to start again), running, done, failed (its last
 * run), stopped (its last run was stopped: preempted, node lost, cancelled). States parse
 * from a comma-separated list into a mask of 1 << CTLD_UNIT_*; -1 for an unknown name. */
enum {
    CTLD_UNIT_PENDING = 0,
    CTLD_UNIT_RUNNING,
    CTLD_UNIT_DONE,
    CTLD_UNIT_FAILED,
    CTLD_UNIT_STOPPED
};
int ctld_unit_states_parse(const char *list);
void ctld_exec_units(gt_ctld *c, ctld_req *r, int64_t t);
/* exec.c: 1 when the job exists and `who` may see it (its tenant's, or an admin) */
int ctld_job_visible(gt_ctld *c, const ctld_principal *who, uint32_t id);

/* request.c (HTTP threads): body and request validation, the log proxy */
gt_err ctld_parse_body(const gt_http_req *req, json_t **out, gt_error *err);
gt_err ctld_prepare(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err);
void ctld_logs(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp);
/* GET /v1/whoami: the token's tenant, role and Unix user (HTTP thread). */
void ctld_whoami(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp);

/* The error document {"error": {"code", "message", "where"}} (malloc'd; NULL on OOM).
 * message and where may quote user input: they are made valid UTF-8 text. */
char *ctld_error_body(gt_err code, const char *where, const char *msg);

/* routes.c: route names by request kind, for the API latency metric */
extern const char *const ctld_route_names[REQ__COUNT];
void ctld_http_handler(void *ctx, const gt_http_req *req, gt_http_resp *resp);

#endif
