/* SPDX-License-Identifier: MIT
 * Request validation on the HTTP threads: bodies, path ids and query parameters are
 * checked here, so the state thread only sees well-formed requests. Every rejection names
 * the field or parameter at fault. Also the log proxy (controller -> agent). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/workflow.h"
#include "ctld/ctld_int.h"
#include "proto/json.h"
#include "util/parse.h"
#include "util/utf8.h"

gt_err ctld_parse_body(const gt_http_req *req, json_t **out, gt_error *err) {
    json_error_t je;
    json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return gt_fail(err, GT_E_PARSE, "body", "line %d column %d: %s", je.line, je.column,
                       je.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return gt_fail(err, GT_E_INVALID, "body", "expected a JSON object");
    }
    *out = v;
    return GT_E_OK;
}

/* A decimal integer lo..hi in s (NULL or "" gives def). */
static gt_err num_param(const char *s, const char *name, long long lo, long long hi, long long def,
                        long long *out, gt_error *err) {
    if (!s || !*s) {
        *out = def;
        return GT_E_OK;
    }
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (*end || s[0] == '+' || s[0] == ' ' || errno == ERANGE)
        return gt_fail(err, GT_E_INVALID, name, "expected an integer, got '%.32s'", s);
    if (x < lo || x > hi)
        return gt_fail(err, GT_E_RANGE, name, "expected %lld..%lld, got %lld", lo, hi, x);
    *out = x;
    return GT_E_OK;
}

static gt_err need_command(json_t *doc, gt_error *err) {
    if (json_object_get(doc, "command") || json_object_get(doc, "duration_s"))
        return GT_E_OK;
    const char *role = json_string_value(json_object_get(json_object_get(doc, "role"), "name"));
    return gt_fail(err, GT_E_INVALID, "command",
                   "a job needs a command to run (or duration_s for emulated nodes)%s%s",
                   role ? ": role " : "", role ? role : "");
}

/* A service of several roles: the body becomes {"roles": [one document per role]}. */
static gt_err prep_roles(ctld_req *r, gt_error *err) {
    json_t *docs = NULL;
    gt_err e = gt_jobspec_roles(r->body, "body", &docs, err);
    for (size_t i = 0; !e && i < json_array_size(docs); i++)
        e = need_command(json_array_get(docs, i), err);
    if (e) {
        json_decref(docs);
        return e;
    }
    json_decref(r->body);
    r->body = json_pack("{s:o}", "roles", docs);
    r->group = 1;
    return r->body ? GT_E_OK : gt_fail(err, GT_E_NOMEM, "body", "out of memory");
}

/* The token's rules applied to one job document: who it runs as and which tenant pays. */
static gt_err own_doc(const ctld_principal *who, json_t *doc, gt_error *err) {
    json_t *u = json_object_get(doc, "user"), *ten = json_object_get(doc, "tenant");
    if ((u && !json_is_string(u)) || (ten && !json_is_string(ten)))
        return gt_fail(err, GT_E_INVALID, "body", "%s: expected a string",
                       u && !json_is_string(u) ? "user" : "tenant");
    if (json_object_get(doc, "role"))
        return gt_fail(err, GT_E_INVALID, "body", "role: set by gantry, not in a submission");
    /* Who the job runs as: a token bound to a user runs its jobs as that user and no
     * other; an admin token may name any user; other tokens may name none (the node's
     * default job user then runs it). */
    const char *user = json_string_value(u);
    if (who->user[0]) {
        if (user && strcmp(user, who->user))
            return gt_fail(err, GT_E_FORBIDDEN, "user", "your token runs jobs only as user '%s'",
                           who->user);
        json_object_set_new(doc, "user", json_string(who->user));
    } else if (user && who->role != ROLE_ADMIN) {
        return gt_fail(err, GT_E_FORBIDDEN, "user",
                       "your token is not bound to a Unix user, so its jobs cannot name one "
                       "(an admin can add USER to its line in the tokens file)");
    }
    if (who->role != ROLE_ADMIN) {
        if (ten && strcmp(json_string_value(ten), who->tenant))
            return gt_fail(err, GT_E_FORBIDDEN, "tenant",
                           "your token may submit only to tenant '%s'", who->tenant);
        json_object_set_new(doc, "tenant", json_string(who->tenant));
    }
    return GT_E_OK;
}

/* A submission: the body parsed once, the token's user and tenant applied to it, the spec
 * read from it (or, for a service of several roles, each role's), and the document written
 * once (what the journal and the job keep). */
/* Idempotency-Key: 1 to 200 visible ASCII characters (idem.c). */
static gt_err idem_key(ctld_req *r, const gt_http_req *req, gt_error *err) {
    const char *k = gt_http_header(req, "Idempotency-Key");
    if (!k)
        return GT_E_OK;
    size_t n = strlen(k);
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x21 || k[i] > 0x7e)
            n = 0;
    if (n == 0 || n >= sizeof r->idem)
        return gt_fail(err, GT_E_INVALID, "Idempotency-Key",
                       "expected 1 to %zu visible ASCII characters", sizeof r->idem - 1);
    memcpy(r->idem, k, n + 1);
    return GT_E_OK;
}

static gt_err prep_submit(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    (void)c;
    gt_err e = idem_key(r, req, err);
    if (e)
        return e;
    e = ctld_parse_body(req, &r->body, err);
    if (e || (e = own_doc(r->who, r->body, err)))
        return e;
    if (json_object_get(r->body, "roles") || json_object_get(r->body, "ratio"))
        return prep_roles(r, err);
    if ((e = gt_jobspec_from_json(r->body, "body", &r->spec, err)) ||
        (e = need_command(r->body, err)))
        return e;
    r->doc = gt_json_dumps(r->body, JSON_COMPACT | JSON_ENSURE_ASCII);
    return r->doc ? GT_E_OK : gt_fail(err, GT_E_NOMEM, "body", "out of memory");
}

/* A workflow (core/workflow.h): the token's rules applied to every step, each needing a
 * command, and the whole checked once here; the state thread plans it again with the job
 * ids it gives (x_workflow). Errors name the step ("steps.index.user"). */
static gt_err prep_workflow(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    (void)c;
    gt_err e = ctld_parse_body(req, &r->body, err);
    if (e)
        return e;
    const char *k;
    json_t *v, *docs = NULL, *names = NULL;
    json_object_foreach(json_object_get(r->body, "steps"), k, v) {
        if (json_is_object(v) && ((e = own_doc(r->who, v, err)) || (e = need_command(v, err)))) {
            char where[sizeof err->where];
            int body = !strcmp(err->where, "body");
            snprintf(where, sizeof where, "steps.%.63s%s%.48s", k, body ? "" : ".",
                     body ? "" : err->where);
            memcpy(err->where, where, sizeof where);
            return e;
        }
    }
    e = gt_workflow_plan(r->body, GT_WORKFLOW_ANY_HEAD, &docs, &names, err);
    json_decref(docs);
    json_decref(names);
    return e;
}

static gt_err prep_list(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    (void)c;
    static const char *const allowed[] = {"state", "tenant", "kind", "limit",
                                          "after", "order",  NULL};
    const char *bad = gt_http_query_unknown(req, allowed);
    if (bad)
        return gt_fail(err, GT_E_UNKNOWN_FIELD, bad,
                       "unknown parameter (expected state, tenant, kind, limit, after, order)");
    const char *order = gt_http_query(req, "order");
    if (order && strcmp(order, "asc") && strcmp(order, "desc"))
        return gt_fail(err, GT_E_INVALID, "order", "expected asc (oldest first) or desc");
    const char *st = gt_http_query(req, "state"), *kind = gt_http_query(req, "kind");
    const char *ten = gt_http_query(req, "tenant");
    if (ten && !gt_utf8_text(ten))
        return gt_fail(err, GT_E_INVALID, "tenant", "not valid UTF-8 text");
    static const char *const states[] = {"pending", "running", "completed", "failed", "cancelled"};
    int s = -1, k = -1;
    for (int i = 0; st && i < 5; i++)
        if (!strcmp(st, states[i]))
            s = i;
    if (st && s < 0)
        return gt_fail(err, GT_E_INVALID, "state",
                       "expected pending, running, completed, failed or cancelled");
    if (kind && (k = gt_kind_parse(kind)) < 0)
        return gt_fail(err, GT_E_INVALID, "kind", "expected train, serve or tasks");
    long long limit, after;
    gt_err e = num_param(gt_http_query(req, "limit"), "limit", 1, 1000, 100, &limit, err);
    if (!e)
        e = num_param(gt_http_query(req, "after"), "after", 0, UINT32_MAX - 1, -1, &after, err);
    if (e)
        return e;
    r->body = json_pack("{s:i, s:i, s:s, s:I, s:I, s:b}", "state", s, "kind", k, "tenant",
                        ten ? ten : "", "limit", (json_int_t)limit, "after", (json_int_t)after,
                        "desc", order && !strcmp(order, "desc"));
    return r->body ? GT_E_OK : gt_fail(err, GT_E_NOMEM, "query", "out of memory");
}

/* The query of a logs request: which unit, rank, stream and offset. */
static gt_err logs_query(ctld_req *r, const gt_http_req *req, gt_error *err) {
    static const char *const allowed[] = {"unit", "rank", "stream", "offset", NULL};
    const char *bad = gt_http_query_unknown(req, allowed);
    if (bad)
        return gt_fail(err, GT_E_UNKNOWN_FIELD, bad,
                       "unknown parameter (expected unit, rank, stream, offset)");
    const char *stream = gt_http_query(req, "stream");
    if (stream && strcmp(stream, "stdout") && strcmp(stream, "stderr"))
        return gt_fail(err, GT_E_INVALID, "stream", "expected stdout or stderr");
    long long unit, rank, off;
    gt_err e = num_param(gt_http_query(req, "unit"), "unit", 0, GT_SPEC_MAX_TASKS, 0, &unit, err);
    if (!e)
        e = num_param(gt_http_query(req, "rank"), "rank", 0, GT_SPEC_MAX_GPUS, 0, &rank, err);
    if (!e)
        e = num_param(gt_http_query(req, "offset"), "offset", 0, 1LL << 50, 0, &off, err);
    if (e)
        return e;
    r->body = json_pack("{s:I, s:I, s:I, s:s}", "unit", (json_int_t)unit, "rank", (json_int_t)rank,
                        "offset", (json_int_t)off, "stream", stream ? stream : "stdout");
    return r->body ? GT_E_OK : gt_fail(err, GT_E_NOMEM, "query", "out of memory");
}

/* Every preparer has this shape (routes.def's PREPARE column). */
typedef gt_err (*prep_fn)(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err);

static gt_err prep_none(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    (void)c, (void)r, (void)req, (void)err;
    return GT_E_OK;
}

static gt_err prep_job_id(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    (void)c, (void)req;
    long long id = 0;
    if (num_param(r->name, "id", 0, UINT32_MAX - 1, 0, &id, err))
        return gt_fail(err, GT_E_INVALID, "id", "expected a job number, got '%.32s'", r->name);
    r->id = (uint32_t)id;
    return GT_E_OK;
}

static gt_err prep_logs(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    gt_err e = prep_job_id(c, r, req, err);
    return e ? e : logs_query(r, req, err);
}

/* GET /v1/jobs/ID/units?state=S,S&limit=N&after=U: which units, as {"states": mask of
 * UNIT_* bits, "limit", "after"} (unitlist.c reads it). */
static gt_err prep_units(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    static const char *const allowed[] = {"state", "limit", "after", NULL};
    gt_err e = prep_job_id(c, r, req, err);
    const char *bad = e ? NULL : gt_http_query_unknown(req, allowed);
    if (e || bad)
        return e ? e
                 : gt_fail(err, GT_E_UNKNOWN_FIELD, bad,
                           "unknown parameter (expected state, limit, after)");
    int states = 0;
    const char *st = gt_http_query(req, "state");
    if (st && *st && (states = ctld_unit_states_parse(st)) < 0)
        return gt_fail(err, GT_E_INVALID, "state",
                       "expected a comma-separated list of pending, running, done, failed, "
                       "stopped");
    long long limit, after;
    if ((e = num_param(gt_http_query(req, "limit"), "limit", 1, 1000, 100, &limit, err)) ||
        (e = num_param(gt_http_query(req, "after"), "after", 0, UINT32_MAX - 1, -1, &after, err)))
        return e;
    r->body = json_pack("{s:i, s:I, s:I}", "states", states, "limit", (json_int_t)limit, "after",
                        (json_int_t)after);
    return r->body ? GT_E_OK : gt_fail(err, GT_E_NOMEM, "query", "out of memory");
}

/* GET /v1/jobs/ID/endpoints[?watch=VERSION[&timeout_s=N]]: answer when the job's
 * endpoints are past VERSION, or after N seconds (1..300, default 30). */
static gt_err prep_endpoints(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    static const char *const allowed[] = {"watch", "timeout_s", NULL};
    gt_err e = prep_job_id(c, r, req, err);
    const char *bad = e ? NULL : gt_http_query_unknown(req, allowed);
    if (e || bad)
        return e ? e
                 : gt_fail(err, GT_E_UNKNOWN_FIELD, bad,
                           "unknown parameter (expected watch, timeout_s)");
    long long watch, secs;
    if ((e = num_param(gt_http_query(req, "watch"), "watch", 0, INT64_MAX / 2, -1, &watch, err)) ||
        (e = num_param(gt_http_query(req, "timeout_s"), "timeout_s", 1, 300, 30, &secs, err)))
        return e;
    r->body = watch < 0 ? json_pack("{s:I}", "timeout_s", (json_int_t)secs)
                        : json_pack("{s:I, s:I}", "watch", (json_int_t)watch, "timeout_s",
                                    (json_int_t)secs);
    return r->body ? GT_E_OK : gt_fail(err, GT_E_NOMEM, "query", "out of memory");
}

/* GET /v1/events: since (default 0), wait (seconds, 0..300), limit (1..1000, default
 * 1000), job. */
static gt_err prep_event_list(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    (void)c;
    static const char *const allowed[] = {"since", "wait", "limit", "job", NULL};
    const char *bad = gt_http_query_unknown(req, allowed);
    if (bad)
        return gt_fail(err, GT_E_UNKNOWN_FIELD, bad,
                       "unknown parameter (expected since, wait, limit, job)");
    long long since, wait, limit, job;
    gt_err e;
    if ((e = num_param(gt_http_query(req, "since"), "since", 0, INT64_MAX, 0, &since, err)) ||
        (e = num_param(gt_http_query(req, "wait"), "wait", 0, 300, 0, &wait, err)) ||
        (e = num_param(gt_http_query(req, "limit"), "limit", 1, 1000, 1000, &limit, err)) ||
        (e = num_param(gt_http_query(req, "job"), "job", 0, UINT32_MAX - 1, -1, &job, err)))
        return e;
    r->body = json_pack("{s:I, s:I, s:I}", "since", (json_int_t)since, "wait", (json_int_t)wait,
                        "limit", (json_int_t)limit);
    if (r->body && job >= 0)
        json_object_set_new(r->body, "job", json_integer(job));
    return r->body ? GT_E_OK : gt_fail(err, GT_E_NOMEM, "query", "out of memory");
}

/* A request on job ID with a JSON object body: the id and the body into r; *stray is a key
 * of the body that is not in `allowed` (NULL-terminated), NULL when there is none. */
static gt_err job_and_body(gt_ctld *c, ctld_req *r, const gt_http_req *req,
                           const char *const *allowed, const char **stray, gt_error *err) {
    gt_err e = prep_job_id(c, r, req, err);
    if (!e)
        e = ctld_parse_body(req, &r->body, err);
    *stray = NULL;
    const char *key;
    json_t *v;
    json_object_foreach(e ? NULL : r->body, key, v) {
        int ok = 0;
        for (int i = 0; allowed[i] && !ok; i++)
            ok = !strcmp(key, allowed[i]);
        if (!ok && !*stray)
            *stray = key;
    }
    return e;
}

/* PATCH /v1/jobs/ID: the fields of a service's spec an update may change (null removes
 * one); the state thread merges them into the spec and checks the whole (rollout.c). */
static gt_err prep_update(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    static const char *const allowed[] = {"command",
                                          "env",
                                          "workdir",
                                          "grace_s",
                                          "readiness",
                                          "liveness",
                                          "scale",
                                          "max_unavailable",
                                          "update_deadline_s",
                                          "pids_max",
                                          "gpus",
                                          "gpus_per_node",
                                          "cpus",
                                          "memory_mb",
                                          "gpu_model",
                                          NULL};
    const char *stray;
    gt_err e = job_and_body(c, r, req, allowed, &stray, err);
    if (e)
        return e;
    if (stray)
        return gt_fail(err, GT_E_INVALID, stray,
                       "cannot change in an update (these can: command, env, workdir, "
                       "grace_s, readiness, liveness, scale, max_unavailable, "
                       "update_deadline_s, pids_max, gpus, gpus_per_node, cpus, memory_mb, "
                       "gpu_model)");
    if (json_object_size(r->body) == 0)
        return gt_fail(err, GT_E_INVALID, "body", "nothing to change");
    return json_is_null(json_object_get(r->body, "command"))
               ? gt_fail(err, GT_E_INVALID, "command", "a service needs a command")
               : GT_E_OK;
}

/* POST /v1/jobs/ID/scale: {"replicas": N}, 0 .. 100000 (the service keeps it within its
 * replicas.min .. max). */
static gt_err prep_scale(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    static const char *const allowed[] = {"replicas", NULL};
    const char *stray;
    gt_err e = job_and_body(c, r, req, allowed, &stray, err);
    if (e)
        return e;
    if (stray)
        return gt_fail(err, GT_E_UNKNOWN_FIELD, stray, "unknown field (expected replicas)");
    json_t *v = json_object_get(r->body, "replicas");
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > GT_SPEC_MAX_REPLICAS)
        return gt_fail(err, GT_E_INVALID, "replicas", "expected a count from 0 to %d",
                       GT_SPEC_MAX_REPLICAS);
    return GT_E_OK;
}

/* POST /v1/jobs/ID/cancel: an optional body {"tasks": "17-40"} (task numbers: N, N-M or a
 * comma-separated list of those, at most CTLD_MAX_TASK_RANGES ranges) cancels those tasks
 * of a task array only; r->body becomes {"tasks": [[LO, HI], ...]}. */
static gt_err prep_cancel(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    gt_err e = prep_job_id(c, r, req, err);
    if (e || req->body_len == 0)
        return e;
    static const char *const allowed[] = {"tasks", NULL};
    const char *stray;
    if ((e = job_and_body(c, r, req, allowed, &stray, err)))
        return e;
    if (stray)
        return gt_fail(err, GT_E_UNKNOWN_FIELD, stray, "unknown field (expected tasks)");
    if (!json_object_get(r->body, "tasks"))
        return GT_E_OK; /* {}: the whole job */
    const char *text = json_string_value(json_object_get(r->body, "tasks"));
    if (!text)
        return gt_fail(err, GT_E_INVALID, "tasks",
                       "tasks: expected a string of task numbers such as \"17-40\" or \"0,3,5-9\"");
    uint32_t rg[CTLD_MAX_TASK_RANGES][2];
    size_t n;
    const char *why;
    if (gt_parse_ranges(text, rg, CTLD_MAX_TASK_RANGES, &n, &why))
        return gt_fail(err, GT_E_INVALID, "tasks", "tasks: %s, got '%.64s'", why, text);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a,
                                  json_pack("[I,I]", (json_int_t)rg[i][0], (json_int_t)rg[i][1])))
            json_decref(a), a = NULL;
    if (!a || json_object_set_new(r->body, "tasks", a))
        return gt_fail(err, GT_E_NOMEM, "tasks", "out of memory");
    return GT_E_OK;
}

/* POST /v1/nodes/NAME/drain: an optional body {"reason": TEXT} (why, for the operators
 * who see the node; up to 256 bytes of UTF-8). */
static gt_err prep_drain(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    (void)c;
    if (req->body_len == 0)
        return GT_E_OK;
    gt_err e = ctld_parse_body(req, &r->body, err);
    if (e)
        return e;
    const char *key;
    json_t *v;
    json_object_foreach(r->body, key, v) {
        if (strcmp(key, "reason"))
            return gt_fail(err, GT_E_UNKNOWN_FIELD, key, "unknown field (expected reason)");
        if (!json_is_string(v) || json_string_length(v) > 256)
            return gt_fail(err, GT_E_INVALID, "reason", "expected a string of at most 256 bytes");
    }
    return GT_E_OK;
}

static gt_err prep_register(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    (void)c;
    gt_err e = gt_proto_register_decode(req->body, req->body_len, &r->reg, err);
    return e ? e : gt_proto_check_version(r->reg.proto, "agent", err);
}

static gt_err prep_events(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    gt_err e = gt_proto_events_decode(req->body, req->body_len, &r->evs, err);
    if (e)
        return e;
    return ctld_agent_of(c, r->who, r->evs.agent, r->evs.session, err) ? GT_E_OK : err->code;
}

static gt_err prep_health(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    gt_err e = gt_proto_health_decode(req->body, req->body_len, &r->health, err);
    if (e)
        return e;
    return ctld_agent_of(c, r->who, r->health.agent, r->health.session, err) ? GT_E_OK : err->code;
}

static const prep_fn prep_table[REQ__COUNT] = {
#define CTLD_ROUTE(KIND, METHOD, PATTERN, ROLES, NAME, PREPARE, EXEC, HTTP) [REQ_##KIND] = PREPARE,
#include "ctld/routes.def"
#undef CTLD_ROUTE
};

gt_err ctld_prepare(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err) {
    return prep_table[r->kind](c, r, req, err);
}

/* GET /v1/whoami, on the HTTP thread: the token table is read-only once loaded (auth.h),
 * so this needs no round through the state thread. Strings from the tokens file are made
 * valid UTF-8 (JSON cannot carry anything else). */
void ctld_whoami(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp) {
    (void)c, (void)req;
    const ctld_principal *w = r->who;
    char tenant[sizeof w->tenant], user[sizeof w->user];
    snprintf(tenant, sizeof tenant, "%s", w->tenant);
    snprintf(user, sizeof user, "%s", w->user);
    json_t *o = json_pack("{s:s, s:s, s:o}", "tenant", gt_utf8_clean(tenant), "role",
                          ctld_role_name(w->role), "user",
                          user[0] ? json_string(gt_utf8_clean(user)) : json_null());
    resp->status = o ? 200 : 503;
    resp->body = o ? gt_json_dumps(o, JSON_COMPACT) : ctld_error_body(GT_E_NOMEM, "", "");
    resp->len = resp->body ? strlen(resp->body) : 0;
    json_decref(o);
}

/* The logs of one rank: ask the state thread where they are, then have the log proxy
 * fetch the bytes from that node's agent (with the node token) and pass them on with its
 * offset headers. */
void ctld_logs(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp) {
    json_t *q = r->body; /* the query; ctld_call leaves it as it is, dispatch frees it */
    ctld_call(c, r);
    json_t *where = r->status == 200 ? json_loads(r->out, 0, NULL) : NULL;
    const char *url = json_string_value(json_object_get(where, "url"));
    if (!where || !url || !*url) {
        resp->status = where ? 503 : r->status;
        resp->body = where ? strdup("{\"error\":{\"code\":\"unavailable\",\"message\":\"the node "
                                    "that ran this rank has no agent connected\"}}")
                           : r->out;
        if (!where)
            r->out = NULL;
        resp->len = resp->body ? strlen(resp->body) : 0;
        json_decref(where);
        return;
    }
    char full[512];
    snprintf(full, sizeof full, "%s/logs/%u/%lld/%lld/%lld/%s?offset=%lld", url, r->id,
             (long long)json_integer_value(json_object_get(q, "unit")),
             (long long)json_integer_value(json_object_get(where, "gen")),
             (long long)json_integer_value(json_object_get(q, "rank")),
             json_string_value(json_object_get(q, "stream")),
             (long long)json_integer_value(json_object_get(q, "offset")));
    ctld_logproxy_fetch(c, req, full, json_string_value(json_object_get(where, "key")),
                        json_is_true(json_object_get(where, "ended")), resp);
    json_decref(where);
}
