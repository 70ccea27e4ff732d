/* SPDX-License-Identifier: MIT
 * JSON text -> struct for every controller <-> agent message (proto.h). Strict about the
 * fields it reads (type, range, required), silent about fields it does not know (a newer
 * peer of the same version may send more). Every error names the field by its path,
 * "items[3].ranks[0].gpus[1]", and leaves the output empty. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/jread.h"
#include "proto/proto.h"

#define MAX_ITEMS 10000000   /* items in one answer, events in one report */
#define MAX_NODES 1000000    /* nodes in one registration, hosts in one start */
#define MAX_SECS 1000000000. /* durations, grace, time limits: ~31 years */

/* A field's path: its parent and its key, or its index in the parent array; written out
 * ("items[3].ranks[0].gpus[1]") only when an error names it -- a batch of 4,096 start
 * items has some 100,000 fields. Paths live on the stack of the decoders that walk into
 * them, each pointing at its parent's. */
typedef struct path_t {
    const struct path_t *up;
    const char *key; /* NULL: an index */
    size_t index;
} path_t;

static path_t at_key(const path_t *p, const char *key) {
    return (path_t){p, key, 0};
}

static path_t at_index(const path_t *p, size_t i) {
    return (path_t){p, NULL, i};
}

/* p written out into buf (a path that does not fit is cut short: it only names a field). */
static size_t path_write(const path_t *p, char *buf, size_t size) {
    size_t n = p->up ? path_write(p->up, buf, size) : 0;
    int w = !p->key ? snprintf(buf + n, size - n, "[%zu]", p->index)
            : n     ? snprintf(buf + n, size - n, ".%s", p->key)
                    : snprintf(buf + n, size - n, "%s", p->key);
    return w < 0 ? n : n + (size_t)w < size ? n + (size_t)w : size - 1;
}

/* The path as text for an error (each thread's own buffer, good until its next call:
 * gt_fail copies it at once). */
static const char *path_str(const path_t *p) {
    static _Thread_local char buf[128];
    buf[0] = 0;
    path_write(p, buf, sizeof buf);
    return buf;
}

static gt_err bad(gt_error *err, const path_t *p, const char *what) {
    const char *where = path_str(p);
    return gt_fail(err, GT_E_INVALID, where[0] ? where : "message", "expected %s", what);
}

/* An unsigned integer field <= max; `def` when absent (required: absent is an error). */
static gt_err get_uint(const gt_jv *o, const char *key, const path_t *p, uint64_t max, int required,
                       uint64_t def, uint64_t *out, gt_error *err) {
    const gt_jv *v = gt_jv_get(o, key);
    path_t q = at_key(p, key);
    if (!v) {
        *out = def;
        return required ? gt_fail(err, GT_E_INVALID, path_str(&q), "missing") : GT_E_OK;
    }
    if (!gt_jv_is(v, GT_JV_INT) || gt_jv_int(v) < 0 || (uint64_t)gt_jv_int(v) > max) {
        char what[64];
        snprintf(what, sizeof what, "an integer from 0 to %llu", (unsigned long long)max);
        return bad(err, &q, what);
    }
    *out = (uint64_t)gt_jv_int(v);
    return GT_E_OK;
}

static gt_err get_u32(const gt_jv *o, const char *key, const path_t *p, int required, uint32_t *out,
                      gt_error *err) {
    uint64_t x = 0;
    gt_err e = get_uint(o, key, p, UINT32_MAX, required, 0, &x, err);
    *out = (uint32_t)x;
    return e;
}

static gt_err get_i32(const gt_jv *o, const char *key, const path_t *p, int32_t *out,
                      gt_error *err) {
    const gt_jv *v = gt_jv_get(o, key);
    path_t q = at_key(p, key);
    *out = 0;
    if (!v)
        return GT_E_OK;
    if (!gt_jv_is(v, GT_JV_INT) || gt_jv_int(v) < INT32_MIN || gt_jv_int(v) > INT32_MAX)
        return bad(err, &q, "a 32-bit integer");
    *out = (int32_t)gt_jv_int(v);
    return GT_E_OK;
}

/* A string field, copied; `def` (may be NULL) when absent. */
static gt_err get_str(const gt_jv *o, const char *key, const path_t *p, int required,
                      const char *def, char **out, gt_error *err) {
    const gt_jv *v = gt_jv_get(o, key);
    path_t q = at_key(p, key);
    *out = NULL;
    if (!v && required)
        return gt_fail(err, GT_E_INVALID, path_str(&q), "missing");
    if (v && !gt_jv_is(v, GT_JV_STR))
        return bad(err, &q, "a string");
    const char *s = v ? gt_jv_str(v) : def;
    if (s && !(*out = strdup(s)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    return GT_E_OK;
}

/* Seconds (integer or real, 0..MAX_SECS) as milliseconds; `def` when absent. */
static gt_err get_secs(const gt_jv *o, const char *key, const path_t *p, int64_t def, int64_t *out,
                       gt_error *err) {
    const gt_jv *v = gt_jv_get(o, key);
    path_t q = at_key(p, key);
    *out = def;
    if (!v)
        return GT_E_OK;
    double s = gt_jv_number(v);
    if (!gt_jv_is_number(v) || !(s >= 0 && s <= MAX_SECS))
        return bad(err, &q, "a number of seconds from 0 to 1e9");
    *out = llround(s * 1000.0);
    return GT_E_OK;
}

static gt_err get_i64(const gt_jv *o, const char *key, const path_t *p, int64_t max, int64_t *out,
                      gt_error *err) {
    uint64_t x = 0;
    gt_err e = get_uint(o, key, p, (uint64_t)max, 0, 0, &x, err);
    *out = (int64_t)x;
    return e;
}

/* An array field of at most max elements (absent: 0 elements unless required). */
static gt_err get_array(const gt_jv *o, const char *key, const path_t *p, int required, size_t max,
                        const gt_jv **arr, gt_error *err) {
    const gt_jv *v = gt_jv_get(o, key);
    path_t q = at_key(p, key);
    *arr = v;
    if (!v)
        return required ? gt_fail(err, GT_E_INVALID, path_str(&q), "missing") : GT_E_OK;
    if (!gt_jv_is(v, GT_JV_ARR))
        return bad(err, &q, "a list");
    if (gt_jv_size(v) > max)
        return gt_fail(err, GT_E_LIMIT, path_str(&q), "more than %zu entries", max);
    return GT_E_OK;
}

static void *alloc_n(size_t n, size_t size) {
    return calloc(n ? n : 1, size);
}

/* ---- launch ---- */

static gt_err decode_env(const gt_jv *env, const path_t *p, gt_proto_launch *l, gt_error *err) {
    path_t q = at_key(p, "env");
    if (!env)
        return GT_E_OK;
    if (!gt_jv_is(env, GT_JV_OBJ))
        return bad(err, &q, "an object of strings");
    if (!(l->env = alloc_n(gt_jv_size(env), sizeof *l->env)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    const char *k;
    const gt_jv *v;
    gt_jv_foreach(env, k, v) {
        path_t r = at_key(&q, k);
        if (!gt_jv_is(v, GT_JV_STR))
            return bad(err, &r, "a string");
        gt_proto_env *e = &l->env[l->nenv];
        if (!(e->key = strdup(k)) || !(e->value = strdup(gt_jv_str(v)))) {
            free(e->key);
            e->key = NULL;
            return gt_fail(err, GT_E_NOMEM, path_str(&r), "out of memory");
        }
        l->nenv++;
    }
    return GT_E_OK;
}

static gt_err decode_argv(const gt_jv *o, const path_t *p, gt_proto_launch *l, gt_error *err) {
    const gt_jv *cmd;
    gt_err e = get_array(o, "command", p, 0, 65536, &cmd, err);
    size_t n = cmd ? gt_jv_size(cmd) : 0;
    if (e || n == 0)
        return e;
    path_t q = at_key(p, "command");
    if (!(l->argv = alloc_n(n, sizeof *l->argv)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    for (size_t i = 0; i < n; i++) {
        const gt_jv *v = gt_jv_at(cmd, i);
        path_t r = at_index(&q, i);
        if (!gt_jv_is(v, GT_JV_STR))
            return bad(err, &r, "a string");
        if (!(l->argv[i] = strdup(gt_jv_str(v))))
            return gt_fail(err, GT_E_NOMEM, path_str(&r), "out of memory");
        l->argc++;
    }
    return GT_E_OK;
}

/* A list of strings (at most max, none empty) into *v / *n (owned). */
static gt_err decode_strs(const gt_jv *o, const char *key, const path_t *p, size_t max, char ***v,
                          uint32_t *n, gt_error *err) {
    const gt_jv *a;
    gt_err e = get_array(o, key, p, 0, max, &a, err);
    size_t len = a ? gt_jv_size(a) : 0;
    if (e || len == 0)
        return e;
    path_t q = at_key(p, key);
    if (!(*v = alloc_n(len, sizeof **v)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    for (size_t i = 0; i < len; i++) {
        const gt_jv *x = gt_jv_at(a, i);
        path_t r = at_index(&q, i);
        if (!gt_jv_is(x, GT_JV_STR) || !gt_jv_str(x)[0])
            return bad(err, &r, "a string that is not empty");
        if (!((*v)[i] = strdup(gt_jv_str(x))))
            return gt_fail(err, GT_E_NOMEM, path_str(&r), "out of memory");
        (*n)++;
    }
    return GT_E_OK;
}

static gt_err get_threshold(const gt_jv *o, const char *key, const path_t *p, uint32_t def,
                            uint32_t *out, gt_error *err) {
    uint64_t x = 0;
    gt_err e = get_uint(o, key, p, 1000, 0, def, &x, err);
    path_t q = at_key(p, key);
    if (!e && x == 0)
        return bad(err, &q, "an integer from 1 to 1000");
    *out = (uint32_t)x;
    return e;
}

/* readiness / liveness: {"http": {"path", "port"}} or {"command": [...]}, and timings. */
static gt_err decode_probe(const gt_jv *o, const char *key, const path_t *p, gt_proto_probe *pr,
                           gt_error *err) {
    const gt_jv *v = gt_jv_get(o, key), *http;
    path_t q = at_key(p, key), h = at_key(&q, "http");
    if (!v)
        return GT_E_OK;
    if (!gt_jv_is(v, GT_JV_OBJ))
        return bad(err, &q, "an object with \"http\" or \"command\"");
    gt_err e;
    if ((http = gt_jv_get(v, "http")) && gt_jv_get(v, "command"))
        return bad(err, &q, "one of \"http\" and \"command\", not both");
    if (http) {
        pr->kind = GT_PROTO_PROBE_HTTP;
        if (!gt_jv_is(http, GT_JV_OBJ))
            return bad(err, &h, "an object with \"path\" and \"port\"");
        if ((e = get_str(http, "path", &h, 1, NULL, &pr->path, err)) ||
            (e = get_str(http, "port", &h, 1, NULL, &pr->port, err)))
            return e;
    } else {
        pr->kind = GT_PROTO_PROBE_COMMAND;
        if ((e = decode_strs(v, "command", &q, 65536, &pr->argv, &pr->argc, err)))
            return e;
        path_t c = at_key(&q, "command");
        if (pr->argc == 0)
            return bad(err, gt_jv_get(v, "command") ? &c : &q,
                       gt_jv_get(v, "command") ? "a command of at least one word"
                                               : "an object with \"http\" or \"command\"");
    }
    if ((e = get_secs(v, "period_s", &q, 10000, &pr->period_ms, err)) ||
        (e = get_secs(v, "timeout_s", &q, 1000, &pr->timeout_ms, err)) ||
        (e = get_secs(v, "initial_delay_s", &q, 0, &pr->initial_delay_ms, err)) ||
        (e = get_threshold(v, "failure_threshold", &q, 3, &pr->failure_threshold, err)) ||
        (e = get_threshold(v, "success_threshold", &q, 1, &pr->success_threshold, err)))
        return e;
    path_t t = at_key(&q, pr->period_ms < 1 ? "period_s" : "timeout_s");
    if (pr->period_ms < 1 || pr->timeout_ms < 1)
        return bad(err, &t, "a number of seconds above 0");
    return GT_E_OK;
}

static gt_err decode_scale(const gt_jv *o, const path_t *p, gt_proto_launch *l, gt_error *err) {
    const gt_jv *v = gt_jv_get(o, "scale"), *t;
    path_t q = at_key(p, "scale"), tq = at_key(&q, "target");
    gt_proto_scale *sc = &l->scale;
    if (!v)
        return GT_E_OK;
    if (!gt_jv_is(v, GT_JV_OBJ))
        return bad(err, &q, "an object with \"metric\" and \"target\"");
    gt_err e;
    if ((e = get_str(v, "metric", &q, 1, NULL, &sc->metric, err)) ||
        (e = get_str(v, "port", &q, 0, l->nports ? l->ports[0] : NULL, &sc->port, err)) ||
        (e = get_str(v, "path", &q, 0, "/metrics", &sc->path, err)) ||
        (e = get_secs(v, "period_s", &q, 1000, &sc->period_ms, err)) ||
        (e = get_secs(v, "up_window_s", &q, 30000, &sc->up_ms, err)) ||
        (e = get_secs(v, "down_window_s", &q, 600000, &sc->down_ms, err)))
        return e;
    t = gt_jv_get(v, "target");
    if (!gt_jv_is_number(t) || !(gt_jv_number(t) > 0 && gt_jv_number(t) <= 1e9))
        return bad(err, &tq, "a number above 0");
    sc->target = gt_jv_number(t);
    if (!sc->port) {
        path_t pq = at_key(&q, "port");
        return gt_fail(err, GT_E_INVALID, path_str(&pq),
                       "the job has no port to read the metric from");
    }
    if (sc->period_ms < 1) {
        path_t pq = at_key(&q, "period_s");
        return bad(err, &pq, "a number of seconds above 0");
    }
    return GT_E_OK;
}

/* Ports, probes: what a service's replicas need beyond a command. */
static gt_err decode_serve(const gt_jv *o, const path_t *p, gt_proto_launch *l, gt_error *err) {
    gt_err e;
    if ((e = decode_strs(o, "ports", p, GT_PROTO_MAX_PORTS, &l->ports, &l->nports, err)))
        return e;
    if (!l->nports && !strcmp(l->kind, "serve")) { /* a service gets one port, "http" */
        if (!(l->ports = alloc_n(1, sizeof *l->ports)) || !(l->ports[0] = strdup("http")))
            return gt_fail(err, GT_E_NOMEM, "ports", "out of memory");
        l->nports = 1;
    }
    if ((e = decode_probe(o, "readiness", p, &l->readiness, err)) ||
        (e = decode_probe(o, "liveness", p, &l->liveness, err)) || (e = decode_scale(o, p, l, err)))
        return e;
    return GT_E_OK;
}

static gt_err decode_progress(const gt_jv *o, const path_t *p, gt_proto_launch *l, gt_error *err) {
    const gt_jv *pg = gt_jv_get(o, "progress");
    if (!pg)
        return GT_E_OK;
    path_t q = at_key(p, "progress");
    if (!gt_jv_is(pg, GT_JV_OBJ))
        return bad(err, &q, "an object");
    gt_err e = get_secs(pg, "timeout_s", &q, 0, &l->progress_ms, err);
    return e ? e : get_str(pg, "file", &q, 0, NULL, &l->progress_file, err);
}

static gt_err decode_launch(const gt_jv *o, const path_t *p, gt_proto_launch *l, gt_error *err) {
    gt_err e;
    if ((e = get_str(o, "name", p, 0, "", &l->name, err)) ||
        (e = get_str(o, "tenant", p, 0, "default", &l->tenant, err)) ||
        (e = get_str(o, "kind", p, 0, "train", &l->kind, err)) || (e = decode_argv(o, p, l, err)) ||
        (e = decode_env(gt_jv_get(o, "env"), p, l, err)) ||
        (e = get_str(o, "workdir", p, 0, NULL, &l->workdir, err)) ||
        (e = get_str(o, "user", p, 0, NULL, &l->user, err)) ||
        (e = get_str(o, "output", p, 0, NULL, &l->output, err)) ||
        (e = get_str(o, "error", p, 0, NULL, &l->error, err)) ||
        (e = get_secs(o, "grace_s", p, -1, &l->grace_ms, err)) ||
        (e = get_secs(o, "duration_s", p, -1, &l->duration_ms, err)) ||
        (e = get_secs(o, "time_limit_s", p, 0, &l->time_limit_ms, err)) ||
        (e = get_i64(o, "memory_mb", p, INT64_MAX / (1 << 20), &l->memory_mb, err)) ||
        (e = get_i64(o, "pids_max", p, INT32_MAX, &l->pids_max, err)) ||
        (e = decode_progress(o, p, l, err)) || (e = decode_serve(o, p, l, err)))
        return e;
    return GT_E_OK;
}

/* ---- start and stop ---- */

static gt_err decode_rank(const gt_jv *o, const path_t *p, gt_proto_rank *r, gt_error *err) {
    if (!gt_jv_is(o, GT_JV_OBJ))
        return bad(err, p, "an object");
    const gt_jv *gpus;
    gt_err e;
    if ((e = get_u32(o, "rank", p, 1, &r->rank, err)) ||
        (e = get_u32(o, "local_rank", p, 0, &r->local_rank, err)) ||
        (e = get_i32(o, "cpus", p, &r->cpus, err)) ||
        (e = get_array(o, "gpus", p, 0, GT_PROTO_MAX_GPUS, &gpus, err)))
        return e;
    path_t q = at_key(p, "gpus");
    for (size_t i = 0; gpus && i < gt_jv_size(gpus); i++) {
        const gt_jv *g = gt_jv_at(gpus, i);
        path_t r2 = at_index(&q, i);
        if (!gt_jv_is(g, GT_JV_INT) || gt_jv_int(g) < 0 || gt_jv_int(g) >= GT_PROTO_MAX_GPUS)
            return bad(err, &r2, "a GPU index from 0 to 63");
        if (r->gpus >> gt_jv_int(g) & 1)
            return bad(err, &r2, "each GPU index once");
        r->gpus |= 1ull << gt_jv_int(g);
    }
    return GT_E_OK;
}

static gt_err decode_hosts(const gt_jv *o, const path_t *p, gt_proto_start *m, gt_error *err) {
    const gt_jv *hosts;
    gt_err e = get_array(o, "hosts", p, 0, MAX_NODES, &hosts, err);
    size_t n = hosts ? gt_jv_size(hosts) : 0;
    if (e || n == 0)
        return e;
    path_t q = at_key(p, "hosts");
    if (!(m->hosts = alloc_n(n, sizeof *m->hosts)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    for (size_t i = 0; i < n; i++) {
        const gt_jv *h = gt_jv_at(hosts, i);
        path_t r = at_index(&q, i);
        if (!gt_jv_is(h, GT_JV_OBJ))
            return bad(err, &r, "an object");
        m->nhosts++;
        if ((e = get_str(h, "host", &r, 0, "127.0.0.1", &m->hosts[i].host, err)) ||
            (e = get_u32(h, "slots", &r, 0, &m->hosts[i].slots, err)))
            return e;
    }
    return GT_E_OK;
}

static gt_err decode_start(const gt_jv *o, const path_t *p, gt_proto_start *m, gt_error *err) {
    const gt_jv *ranks;
    gt_err e;
    if ((e = get_u32(o, "job", p, 1, &m->job, err)) ||
        (e = get_u32(o, "unit", p, 1, &m->unit, err)) ||
        (e = get_u32(o, "gen", p, 1, &m->gen, err)) ||
        (e = get_str(o, "node", p, 1, NULL, &m->node, err)) ||
        (e = get_u32(o, "world_size", p, 0, &m->world_size, err)) ||
        (e = get_u32(o, "local_world_size", p, 0, &m->local_world_size, err)) ||
        (e = get_u32(o, "node_rank", p, 0, &m->node_rank, err)) ||
        (e = get_u32(o, "nnodes", p, 0, &m->nnodes, err)) ||
        (e = get_str(o, "master_addr", p, 0, "127.0.0.1", &m->master_addr, err)) ||
        (e = get_u32(o, "master_port", p, 0, &m->master_port, err)) ||
        (e = get_i32(o, "cpus", p, &m->cpus, err)) ||
        (e = get_u32(o, "restarts", p, 0, &m->restarts, err)) ||
        (e = get_i32(o, "gpu_milli", p, &m->gpu_milli, err)) ||
        (e = get_i64(o, "gpu_memory_mb", p, 1LL << 40, &m->gpu_memory_mb, err)) ||
        (e = get_array(o, "ranks", p, 1, GT_PROTO_MAX_RANKS, &ranks, err)) ||
        (e = decode_hosts(o, p, m, err)) || (e = decode_launch(o, p, &m->launch, err)))
        return e;
    path_t q = at_key(p, "ranks");
    size_t n = gt_jv_size(ranks);
    if (n == 0)
        return gt_fail(err, GT_E_INVALID, path_str(&q), "expected at least one rank");
    if (!(m->ranks = alloc_n(n, sizeof *m->ranks)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    for (size_t i = 0; i < n; i++) {
        path_t r = at_index(&q, i);
        if ((e = decode_rank(gt_jv_at(ranks, i), &r, &m->ranks[i], err)))
            return e;
        m->nranks++;
    }
    path_t gpu_milli_at = at_key(p, "gpu_milli");
    if (m->gpu_milli < 0 || m->gpu_milli > 999)
        return gt_fail(err, GT_E_INVALID, path_str(&gpu_milli_at),
                       "expected thousandths of one GPU, 0 to 999");
    if ((m->gpu_milli || m->gpu_memory_mb) &&
        (m->nranks != 1 || !m->ranks[0].gpus || (m->ranks[0].gpus & (m->ranks[0].gpus - 1))))
        return gt_fail(err, GT_E_INVALID, path_str(&gpu_milli_at),
                       "a share is part of one GPU: one rank with one GPU");
    return GT_E_OK;
}

static gt_err decode_stop(const gt_jv *o, const path_t *p, gt_proto_stop *m, gt_error *err) {
    gt_err e;
    if ((e = get_u32(o, "job", p, 1, &m->job, err)) ||
        (e = get_u32(o, "unit", p, 1, &m->unit, err)) ||
        (e = get_u32(o, "gen", p, 1, &m->gen, err)) ||
        (e = get_str(o, "node", p, 1, NULL, &m->node, err)) ||
        (e = get_str(o, "reason", p, 0, "", &m->reason, err)) ||
        (e = get_secs(o, "grace_s", p, -1, &m->grace_ms, err)))
        return e;
    return GT_E_OK;
}

static gt_err decode_item(const gt_jv *o, const path_t *p, gt_proto_item *m, gt_error *err) {
    memset(m, 0, sizeof *m);
    if (!gt_jv_is(o, GT_JV_OBJ))
        return bad(err, p, "an object");
    const gt_jv *op = gt_jv_get(o, "op");
    path_t q = at_key(p, "op");
    const char *s = gt_jv_str(op);
    gt_err e;
    if (s && !strcmp(s, "start")) {
        m->kind = GT_PROTO_ITEM_START;
        e = decode_start(o, p, &m->start, err);
    } else if (s && !strcmp(s, "stop")) {
        m->kind = GT_PROTO_ITEM_STOP;
        e = decode_stop(o, p, &m->stop, err);
    } else {
        return bad(err, &q, "\"start\" or \"stop\"");
    }
    if (e)
        gt_proto_item_free(m);
    return e;
}

static gt_err decode_items(const gt_jv *o, const path_t *p, gt_proto_item **items, size_t *n,
                           gt_error *err) {
    const gt_jv *arr;
    gt_err e = get_array(o, "items", p, 1, MAX_ITEMS, &arr, err);
    if (e)
        return e;
    size_t k = gt_jv_size(arr);
    path_t q = at_key(p, "items");
    if (!(*items = alloc_n(k, sizeof **items)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    for (size_t i = 0; i < k; i++) {
        path_t r = at_index(&q, i);
        if ((e = decode_item(gt_jv_at(arr, i), &r, &(*items)[i], err)))
            return e;
        (*n)++;
    }
    return GT_E_OK;
}

/* ---- the top level of every message ---- */

/* Parse text into an object; the root path is empty. */
static const gt_jv *load(const char *text, size_t len, gt_jdoc **doc, gt_error *err, gt_err *e) {
    char msg[96];
    size_t pos = 0;
    const gt_jv *o = NULL;
    *doc = gt_jdoc_parse(text, len, &o, msg, sizeof msg, &pos);
    *e = GT_E_OK;
    if (!*doc) {
        *e = gt_fail(err, strcmp(msg, "out of memory") ? GT_E_PARSE : GT_E_NOMEM, "message",
                     "not JSON: %s (at byte %zu)", msg, pos);
        o = NULL;
    } else if (!gt_jv_is(o, GT_JV_OBJ)) {
        gt_jdoc_free(*doc);
        *doc = NULL;
        o = NULL;
        *e = gt_fail(err, GT_E_INVALID, "message", "expected a JSON object");
    }
    return o;
}

gt_err gt_proto_item_decode(const char *text, size_t len, gt_proto_item *out, gt_error *err) {
    gt_err e;
    memset(out, 0, sizeof *out);
    gt_jdoc *doc;
    const gt_jv *o = load(text, len, &doc, err, &e);
    path_t root = {NULL, "", 0};
    if (o)
        e = decode_item(o, &root, out, err);
    gt_jdoc_free(doc);
    return e;
}

gt_err gt_proto_launch_decode(const char *text, size_t len, gt_proto_launch *out, gt_error *err) {
    gt_err e;
    memset(out, 0, sizeof *out);
    gt_jdoc *doc;
    const gt_jv *o = load(text, len, &doc, err, &e);
    path_t root = {NULL, "", 0};
    if (o && (e = decode_launch(o, &root, out, err)))
        gt_proto_launch_free(out);
    gt_jdoc_free(doc);
    return e;
}

static gt_err decode_node(const gt_jv *o, const path_t *p, gt_proto_node *n, gt_error *err) {
    if (!gt_jv_is(o, GT_JV_OBJ))
        return bad(err, p, "an object");
    gt_err e;
    int32_t gpus = 0, cpus = 0;
    if ((e = get_str(o, "name", p, 1, NULL, &n->name, err)) ||
        (e = get_i32(o, "gpus", p, &gpus, err)) || (e = get_i32(o, "cpus", p, &cpus, err)) ||
        (e = get_i64(o, "memory_mb", p, INT64_MAX / (1 << 20), &n->memory_mb, err)) ||
        (e = get_str(o, "gpu_model", p, 0, "", &n->gpu_model, err)) ||
        (e = get_str(o, "pool", p, 0, NULL, &n->pool, err)))
        return e;
    const gt_jv *mps = gt_jv_get(o, "mps");
    if (mps && !gt_jv_is_bool(mps)) {
        path_t m = at_key(p, "mps");
        return bad(err, &m, "true or false");
    }
    n->mps = mps && gt_jv_is(mps, GT_JV_TRUE);
    path_t q = at_key(p, gpus < 0 ? "gpus" : "cpus");
    if (gpus < 0 || cpus < 0)
        return bad(err, &q, "a count of 0 or more");
    n->gpus = gpus;
    n->cpus = cpus;
    return GT_E_OK;
}

/* The protocol version: absent means 1 (peers from before the field); present, 1 or more. */
static gt_err get_proto(const gt_jv *o, const path_t *p, uint32_t *out, gt_error *err) {
    gt_err e = get_u32(o, "proto", p, 0, out, err);
    path_t q = at_key(p, "proto");
    if (!e && gt_jv_get(o, "proto") && *out == 0)
        return bad(err, &q, "a protocol version of 1 or more");
    if (!e && *out == 0)
        *out = 1;
    return e;
}

static gt_err decode_register(const gt_jv *o, gt_proto_register *m, gt_error *err) {
    path_t root = {NULL, "", 0};
    const gt_jv *nodes;
    gt_err e;
    if ((e = get_proto(o, &root, &m->proto, err)) ||
        (e = get_str(o, "agent", &root, 1, NULL, &m->agent, err)) ||
        (e = get_str(o, "url", &root, 0, "", &m->url, err)) ||
        (e = get_array(o, "nodes", &root, 1, MAX_NODES, &nodes, err)))
        return e;
    path_t q = at_key(&root, "nodes");
    size_t n = gt_jv_size(nodes);
    if (n == 0)
        return gt_fail(err, GT_E_INVALID, path_str(&q), "expected at least one node");
    if (!(m->nodes = alloc_n(n, sizeof *m->nodes)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    for (size_t i = 0; i < n; i++) {
        path_t r = at_index(&q, i);
        m->nnodes++;
        if ((e = decode_node(gt_jv_at(nodes, i), &r, &m->nodes[i], err)))
            return e;
    }
    return GT_E_OK;
}

gt_err gt_proto_register_decode(const char *text, size_t len, gt_proto_register *out,
                                gt_error *err) {
    gt_err e;
    memset(out, 0, sizeof *out);
    gt_jdoc *doc;
    const gt_jv *o = load(text, len, &doc, err, &e);
    if (o && (e = decode_register(o, out, err)))
        gt_proto_register_free(out);
    gt_jdoc_free(doc);
    return e;
}

/* "renamed": {"asked-name": "pool-slot", ...} */
static gt_err decode_renames(const gt_jv *r, gt_proto_welcome *w, gt_error *err) {
    path_t q = {NULL, ".renamed", 0};
    if (!r)
        return GT_E_OK;
    if (!gt_jv_is(r, GT_JV_OBJ) || gt_jv_size(r) > MAX_ITEMS)
        return bad(err, &q, "an object of node names");
    if (!(w->renames = alloc_n(gt_jv_size(r), sizeof *w->renames)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    const char *k;
    const gt_jv *v;
    gt_jv_foreach(r, k, v) {
        path_t x = at_key(&q, k);
        if (!gt_jv_is(v, GT_JV_STR) || !*k || !gt_jv_str(v)[0])
            return bad(err, &x, "a node name");
        gt_proto_rename *n = &w->renames[w->nrenames++];
        if (!(n->from = strdup(k)) || !(n->to = strdup(gt_jv_str(v))))
            return gt_fail(err, GT_E_NOMEM, path_str(&x), "out of memory");
    }
    return GT_E_OK;
}

gt_err gt_proto_welcome_decode(const char *text, size_t len, gt_proto_welcome *out, gt_error *err) {
    gt_err e;
    memset(out, 0, sizeof *out);
    gt_jdoc *doc;
    const gt_jv *o = load(text, len, &doc, err, &e);
    path_t root = {NULL, "", 0};
    uint64_t hb = 0, lease = 0;
    if (o && !((e = get_proto(o, &root, &out->proto, err)) ||
               (e = get_uint(o, "session", &root, UINT64_MAX, 1, 0, &out->session, err)) ||
               (e = get_uint(o, "heartbeat_s", &root, 86400, 0, 5, &hb, err)) ||
               (e = get_uint(o, "lease_s", &root, 86400, 0, 0, &lease, err)) ||
               (e = get_uint(o, "seq", &root, UINT64_MAX, 0, 0, &out->seq, err)) ||
               (e = get_str(o, "logs_key", &root, 0, NULL, &out->logs_key, err)) ||
               (e = decode_items(o, &root, &out->items, &out->nitems, err)))) {
        out->heartbeat_s = (int32_t)hb;
        out->lease_s = (int32_t)lease;
        e = decode_renames(gt_jv_get(o, "renamed"), out, err);
    }
    if (e)
        gt_proto_welcome_free(out);
    gt_jdoc_free(doc);
    return e;
}

gt_err gt_proto_heartbeat_decode(const char *text, size_t len, gt_proto_heartbeat *out,
                                 gt_error *err) {
    gt_err e;
    memset(out, 0, sizeof *out);
    gt_jdoc *doc;
    const gt_jv *o = load(text, len, &doc, err, &e);
    path_t root = {NULL, "", 0};
    if (o && ((e = get_str(o, "agent", &root, 1, NULL, &out->agent, err)) ||
              (e = get_uint(o, "session", &root, UINT64_MAX, 1, 0, &out->session, err))))
        gt_proto_heartbeat_free(out);
    gt_jdoc_free(doc);
    return e;
}

gt_err gt_proto_batch_decode(const char *text, size_t len, gt_proto_batch *out, gt_error *err) {
    gt_err e;
    memset(out, 0, sizeof *out);
    gt_jdoc *doc;
    const gt_jv *o = load(text, len, &doc, err, &e);
    path_t root = {NULL, "", 0};
    if (o && ((e = get_uint(o, "seq", &root, UINT64_MAX, 1, 0, &out->seq, err)) ||
              (e = decode_items(o, &root, &out->items, &out->nitems, err))))
        gt_proto_batch_free(out);
    gt_jdoc_free(doc);
    return e;
}

/* ---- events ---- */

/* A started event's "ports": {"http": 20001, ...}, each a TCP port 1..65535. */
static gt_err decode_ports(const gt_jv *o, const path_t *p, gt_proto_event *ev, gt_error *err) {
    const gt_jv *v = gt_jv_get(o, "ports");
    path_t q = at_key(p, "ports");
    if (!v)
        return GT_E_OK;
    if (!gt_jv_is(v, GT_JV_OBJ) || gt_jv_size(v) > GT_PROTO_MAX_PORTS)
        return bad(err, &q, "an object of at most 16 ports by name");
    if (!(ev->ports = alloc_n(gt_jv_size(v), sizeof *ev->ports)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    const char *k;
    const gt_jv *x;
    gt_jv_foreach(v, k, x) {
        path_t r = at_key(&q, k);
        if (!gt_jv_is(x, GT_JV_INT) || gt_jv_int(x) < 1 || gt_jv_int(x) > 65535)
            return bad(err, &r, "a port from 1 to 65535");
        gt_proto_port *pt = &ev->ports[ev->nports];
        if (!(pt->name = strdup(k)))
            return gt_fail(err, GT_E_NOMEM, path_str(&r), "out of memory");
        pt->port = (uint32_t)gt_jv_int(x);
        ev->nports++;
    }
    return GT_E_OK;
}

static gt_err decode_event(const gt_jv *o, const path_t *p, gt_proto_event *ev, gt_error *err) {
    if (!gt_jv_is(o, GT_JV_OBJ))
        return bad(err, p, "an object");
    const char *type = gt_jv_str(gt_jv_get(o, "type"));
    path_t q = at_key(p, "type");
    static const char *const types[] = {"started", "exited", "ready", "unready", "metric", "port"};
    ev->kind = 0;
    for (int i = 0; type && i < 6 && !ev->kind; i++)
        if (!strcmp(type, types[i]))
            ev->kind = (gt_proto_event_kind)(GT_PROTO_EV_STARTED + i);
    if (!ev->kind)
        return bad(err, &q,
                   "\"started\", \"exited\", \"ready\", \"unready\", \"metric\" or \"port\"");
    uint64_t pid = 0;
    gt_err e;
    if ((e = get_u32(o, "job", p, 1, &ev->job, err)) ||
        (e = get_u32(o, "unit", p, 1, &ev->unit, err)) ||
        (e = get_u32(o, "gen", p, 1, &ev->gen, err)) ||
        (e = get_u32(o, "rank", p, 1, &ev->rank, err)) ||
        (e = get_str(o, "node", p, 0, "", &ev->node, err)) ||
        (e = get_uint(o, "pid", p, INT32_MAX, 0, 0, &pid, err)) ||
        (e = get_i32(o, "exit_code", p, &ev->exit_code, err)) ||
        (e = get_i32(o, "signal", p, &ev->signal, err)) ||
        (e = get_str(o, "reason", p, 0, "", &ev->reason, err)) ||
        (e = get_u32(o, "ranks", p, 0, &ev->ranks, err)))
        return e;
    /* What an event of its kind does not carry is left at its default (the encoder writes
     * pid for `started`, the exit fields for `exited`). */
    ev->pid = ev->kind == GT_PROTO_EV_STARTED ? (int64_t)pid : 0;
    path_t r = at_key(p, "ranks");
    if (gt_jv_get(o, "ranks") && (ev->ranks == 0 || ev->ranks > 65535))
        return bad(err, &r, "a count from 1 to 65535");
    ev->ranks = ev->ranks ? ev->ranks : 1;
    if (ev->kind == GT_PROTO_EV_METRIC) {
        const gt_jv *v = gt_jv_get(o, "value");
        path_t vq = at_key(p, "value");
        double x = gt_jv_number(v);
        if (!gt_jv_is_number(v) || !(x == -1 || (x >= 0 && x <= 1e300)))
            return bad(err, &vq, "a number >= 0 (or -1: not read)");
        ev->value = x;
    }
    return ev->kind == GT_PROTO_EV_STARTED ? decode_ports(o, p, ev, err) : GT_E_OK;
}

static gt_err decode_events(const gt_jv *o, gt_proto_events *m, gt_error *err) {
    path_t root = {NULL, "", 0};
    const gt_jv *evs;
    gt_err e;
    if ((e = get_str(o, "agent", &root, 0, "", &m->agent, err)) ||
        (e = get_uint(o, "session", &root, UINT64_MAX, 0, 0, &m->session, err)) ||
        (e = get_array(o, "events", &root, 1, MAX_ITEMS, &evs, err)))
        return e;
    size_t n = gt_jv_size(evs);
    path_t q = at_key(&root, "events");
    if (!(m->events = alloc_n(n, sizeof *m->events)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    for (size_t i = 0; i < n; i++) {
        path_t r = at_index(&q, i);
        m->nevents++;
        if ((e = decode_event(gt_jv_at(evs, i), &r, &m->events[i], err)))
            return e;
    }
    return GT_E_OK;
}

gt_err gt_proto_events_decode(const char *text, size_t len, gt_proto_events *out, gt_error *err) {
    gt_err e;
    memset(out, 0, sizeof *out);
    gt_jdoc *doc;
    const gt_jv *o = load(text, len, &doc, err, &e);
    if (o && (e = decode_events(o, out, err)))
        gt_proto_events_free(out);
    gt_jdoc_free(doc);
    return e;
}

/* ---- versions ---- */

gt_err gt_proto_check_version(uint32_t theirs, const char *who, gt_error *err) {
    if (theirs >= GT_PROTO_MIN && theirs <= GT_PROTO_VERSION)
        return GT_E_OK;
    const char *me = strcmp(who, "agent") ? "agent" : "gantryd";
    return gt_fail(err, GT_E_PROTO_VERSION, "proto",
                   "the %s speaks protocol version %u, this %s speaks %u to %u: upgrade %s%s", who,
                   theirs, me, GT_PROTO_MIN, GT_PROTO_VERSION,
                   theirs < GT_PROTO_MIN ? (strcmp(who, "agent") ? "" : "the ")
                                         : (strcmp(me, "agent") ? "" : "the "),
                   theirs < GT_PROTO_MIN ? who : me);
}

/* ---- node health ---- */

static gt_err decode_node_health(const gt_jv *o, const path_t *p, gt_proto_node_health *n,
                                 gt_error *err) {
    if (!gt_jv_is(o, GT_JV_OBJ))
        return bad(err, p, "an object");
    const gt_jv *h = gt_jv_get(o, "healthy");
    path_t q = at_key(p, "healthy");
    gt_err e = get_str(o, "node", p, 1, NULL, &n->node, err);
    if (e)
        return e;
    if (!gt_jv_is_bool(h))
        return h ? bad(err, &q, "true or false")
                 : gt_fail(err, GT_E_INVALID, path_str(&q), "missing");
    n->healthy = gt_jv_is(h, GT_JV_TRUE);
    return get_str(o, "reason", p, 0, "", &n->reason, err);
}

static gt_err decode_health(const gt_jv *o, gt_proto_health *m, gt_error *err) {
    path_t root = {NULL, "", 0};
    const gt_jv *nodes;
    gt_err e;
    if ((e = get_str(o, "agent", &root, 0, "", &m->agent, err)) ||
        (e = get_uint(o, "session", &root, UINT64_MAX, 0, 0, &m->session, err)) ||
        (e = get_array(o, "nodes", &root, 1, MAX_NODES, &nodes, err)))
        return e;
    size_t n = gt_jv_size(nodes);
    path_t q = at_key(&root, "nodes");
    if (n == 0)
        return bad(err, &q, "a list of at least one node");
    if (!(m->nodes = alloc_n(n, sizeof *m->nodes)))
        return gt_fail(err, GT_E_NOMEM, path_str(&q), "out of memory");
    for (size_t i = 0; i < n; i++) {
        path_t r = at_index(&q, i);
        m->nnodes++;
        if ((e = decode_node_health(gt_jv_at(nodes, i), &r, &m->nodes[i], err)))
            return e;
    }
    return GT_E_OK;
}

gt_err gt_proto_health_decode(const char *text, size_t len, gt_proto_health *out, gt_error *err) {
    gt_err e;
    memset(out, 0, sizeof *out);
    gt_jdoc *doc;
    const gt_jv *o = load(text, len, &doc, err, &e);
    if (o && (e = decode_health(o, out, err)))
        gt_proto_health_free(out);
    gt_jdoc_free(doc);
    return e;
}
