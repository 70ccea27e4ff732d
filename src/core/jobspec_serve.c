/* SPDX-License-Identifier: MIT
 * The fields of a job spec that make a service's replicas reachable and checked:
 *
 *   "ports": ["http", "metrics"]   names of the ports the agent gives each replica on its
 *                                  node (any kind; a service without "ports" gets "http")
 *   "readiness": PROBE             may the replica take traffic (serve only)
 *   "liveness": PROBE              is it alive; failing restarts it (serve only)
 *   PROBE = {"http": {"path": "/ready", "port": "http"}  |  "command": ["cmd", ...],
 *            "period_s": 10, "timeout_s": 1, "initial_delay_s": 0,
 *            "failure_threshold": 3, "success_threshold": 1}
 *   "scale": {"metric": "requests_in_flight", "target": 4,   follow the load (serve only):
 *             "port": "http", "path": "/metrics",           the agent reads the metric from
 *             "period_s": 1, "up_window_s": 30,             each replica; gantryd keeps
 *             "down_window_s": 600}                         ceil(sum / target) replicas
 *
 * Checked here, whole, so a bad spec is refused at submit with the field named
 * ("readiness.http.port: 'admin' is not one of the job's ports (http)"); like command and
 * env they are not stored in gt_jobspec: the agent reads them from the launch message
 * (proto.h), whose decoder applies the same defaults. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/jobspec_int.h"

#define MAX_PORTS 16
#define MAX_PATH 256

int core_jobspec_name_ok(const char *s, size_t max) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max || s[0] < 'a' || s[0] > 'z')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

static gt_err check_ports(json_t *ports, const char *where, gt_error *err) {
    if (!json_is_array(ports) || json_array_size(ports) == 0 || json_array_size(ports) > MAX_PORTS)
        return gt_fail(err, GT_E_INVALID, where, "ports: expected a list of 1 to %d port names",
                       MAX_PORTS);
    size_t i, k;
    json_t *x;
    json_array_foreach(ports, i, x) {
        const char *name = json_string_value(x);
        if (!name || !core_jobspec_name_ok(name, 15))
            return gt_fail(err, GT_E_INVALID, where,
                           "ports[%zu]: expected a name of 1 to 15 characters: a lowercase "
                           "letter, then lowercase letters, digits or '-'",
                           i);
        for (k = 0; k < i; k++)
            if (!strcmp(name, json_string_value(json_array_get(ports, k))))
                return gt_fail(err, GT_E_INVALID, where, "ports: '%s' is named twice", name);
    }
    return GT_E_OK;
}

/* 1 when `name` is one of the job's ports (a service without "ports" has "http"). */
static int has_port(json_t *ports, gt_kind kind, const char *name) {
    if (!ports)
        return kind == GT_KIND_SERVE && !strcmp(name, "http");
    size_t i;
    json_t *x;
    json_array_foreach(ports, i, x) {
        if (!strcmp(json_string_value(x), name))
            return 1;
    }
    return 0;
}

/* A number of seconds in [lo, hi]. */
static gt_err check_secs(json_t *v, const char *probe, const char *key, double lo, double hi,
                         const char *where, gt_error *err) {
    double s = json_number_value(v);
    if (!json_is_number(v) || !(s >= lo && s <= hi))
        return gt_fail(err, GT_E_RANGE, where, "%s.%s: expected seconds from %g to %g", probe, key,
                       lo, hi);
    return GT_E_OK;
}

static gt_err check_count(json_t *v, const char *probe, const char *key, const char *where,
                          gt_error *err) {
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100)
        return gt_fail(err, GT_E_RANGE, where, "%s.%s: expected an integer from 1 to 100", probe,
                       key);
    return GT_E_OK;
}

static gt_err check_http(json_t *h, const char *probe, json_t *ports, gt_kind kind,
                         const char *where, gt_error *err) {
    const char *path = json_string_value(json_object_get(h, "path"));
    const char *port = json_string_value(json_object_get(h, "port"));
    if (!json_is_object(h) || !path || !port || json_object_size(h) != 2)
        return gt_fail(err, GT_E_INVALID, where,
                       "%s.http: expected {\"path\": \"/...\", \"port\": NAME}", probe);
    size_t n = strlen(path);
    if (path[0] != '/' || n >= MAX_PATH)
        return gt_fail(err, GT_E_INVALID, where,
                       "%s.http.path: expected a path starting with '/' (at most 255 bytes)",
                       probe);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)path[i] <= ' ' || path[i] == 127)
            return gt_fail(err, GT_E_INVALID, where,
                           "%s.http.path: no spaces or control characters", probe);
    if (!has_port(ports, kind, port))
        return gt_fail(err, GT_E_INVALID, where,
                       "%s.http.port: '%.32s' is not one of the job's ports%s", probe, port,
                       ports ? "" : " (a service without \"ports\" has one: http)");
    return GT_E_OK;
}

static gt_err check_command(json_t *cmd, const char *probe, const char *where, gt_error *err) {
    if (!json_is_array(cmd) || json_array_size(cmd) == 0)
        return gt_fail(err, GT_E_INVALID, where, "%s.command: expected a list of at least one word",
                       probe);
    size_t i;
    json_t *x;
    json_array_foreach(cmd, i, x) {
        if (!json_is_string(x))
            return gt_fail(err, GT_E_INVALID, where, "%s.command[%zu]: expected a string", probe,
                           i);
    }
    return GT_E_OK;
}

static gt_err check_probe(json_t *p, const char *probe, json_t *ports, gt_kind kind,
                          const char *where, gt_error *err) {
    if (kind != GT_KIND_SERVE)
        return gt_fail(err, GT_E_INVALID, where, "%s: only for kind serve", probe);
    if (!json_is_object(p))
        return gt_fail(err, GT_E_INVALID, where,
                       "%s: expected an object with \"http\" or \"command\"", probe);
    json_t *http = json_object_get(p, "http"), *cmd = json_object_get(p, "command");
    if (!http == !cmd)
        return gt_fail(err, GT_E_INVALID, where,
                       "%s: expected exactly one of \"http\" and \"command\"", probe);
    gt_err e = http ? check_http(http, probe, ports, kind, where, err)
                    : check_command(cmd, probe, where, err);
    const char *key;
    json_t *v;
    json_object_foreach(p, key, v) {
        if (e)
            break;
        if (!strcmp(key, "http") || !strcmp(key, "command"))
            continue;
        if (!strcmp(key, "period_s") || !strcmp(key, "timeout_s"))
            e = check_secs(v, probe, key, 0.05, 3600, where, err);
        else if (!strcmp(key, "initial_delay_s"))
            e = check_secs(v, probe, key, 0, 86400, where, err);
        else if (!strcmp(key, "failure_threshold") || !strcmp(key, "success_threshold"))
            e = check_count(v, probe, key, where, err);
        else
            e = gt_fail(err, GT_E_UNKNOWN_FIELD, where, "%s.%s: unknown field", probe, key);
    }
    return e;
}

/* A Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*, 1..128 bytes. */
static int metric_name_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 128 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == ':'))
            return 0;
    return 1;
}

static gt_err check_scale_key(json_t *v, const char *key, json_t *ports, gt_kind kind,
                              const char *where, gt_error *err) {
    const char *s = json_string_value(v);
    if (!strcmp(key, "metric"))
        return s && metric_name_ok(s)
                   ? GT_E_OK
                   : gt_fail(err, GT_E_INVALID, where,
                             "scale.metric: expected a Prometheus metric name ([a-zA-Z_:]"
                             "[a-zA-Z0-9_:]*, at most 128 bytes)");
    if (!strcmp(key, "target"))
        return check_secs(v, "scale", "target", 1e-6, 1e9, where, err) == GT_E_OK
                   ? GT_E_OK
                   : gt_fail(err, GT_E_RANGE, where,
                             "scale.target: expected a number above 0 (at most 1e9): the "
                             "metric's value one replica should carry");
    if (!strcmp(key, "port"))
        return s && has_port(ports, kind, s)
                   ? GT_E_OK
                   : gt_fail(err, GT_E_INVALID, where,
                             "scale.port: expected one of the job's port names");
    if (!strcmp(key, "path"))
        return s && s[0] == '/' && strlen(s) < MAX_PATH && !strpbrk(s, " \t\r\n")
                   ? GT_E_OK
                   : gt_fail(err, GT_E_INVALID, where,
                             "scale.path: expected a path starting with '/'");
    if (!strcmp(key, "period_s"))
        return check_secs(v, "scale", key, 0.1, 3600, where, err);
    if (!strcmp(key, "up_window_s"))
        return check_secs(v, "scale", key, 0, 3600, where, err);
    if (!strcmp(key, "down_window_s"))
        return check_secs(v, "scale", key, 0, 86400, where, err);
    return gt_fail(err, GT_E_UNKNOWN_FIELD, where, "scale.%s: unknown field", key);
}

static gt_err check_scale(json_t *sc, json_t *ports, const gt_jobspec *s, const char *where,
                          gt_error *err) {
    if (s->kind != GT_KIND_SERVE)
        return gt_fail(err, GT_E_INVALID, where, "scale: only for kind serve");
    if (!json_is_object(sc) || !json_object_get(sc, "metric") || !json_object_get(sc, "target"))
        return gt_fail(err, GT_E_INVALID, where,
                       "scale: expected an object with \"metric\" and \"target\"");
    const char *key;
    json_t *v;
    json_object_foreach(sc, key, v) {
        gt_err e = check_scale_key(v, key, ports, s->kind, where, err);
        if (e)
            return e;
    }
    if (!json_object_get(sc, "port") && !ports && s->kind != GT_KIND_SERVE)
        return gt_fail(err, GT_E_INVALID, where, "scale.port: the job has no port");
    return GT_E_OK;
}

gt_err core_jobspec_check_serve(const json_t *root, const gt_jobspec *s, const char *where,
                                gt_error *err) {
    json_t *o = (json_t *)root; /* jansson's getters take non-const pointers; only read */
    json_t *ports = json_object_get(o, "ports");
    gt_err e = GT_E_OK;
    if (ports && (e = check_ports(ports, where, err)))
        return e;
    static const char *const probes[] = {"readiness", "liveness"};
    for (int i = 0; i < 2 && !e; i++) {
        json_t *p = json_object_get(o, probes[i]);
        if (p)
            e = check_probe(p, probes[i], ports, s->kind, where, err);
    }
    json_t *sc = json_object_get(o, "scale");
    if (!e && sc)
        e = check_scale(sc, ports, s, where, err);
    json_t *mu = json_object_get(o, "max_unavailable"),
           *dl = json_object_get(o, "update_deadline_s");
    if (!e && s->kind != GT_KIND_SERVE && (s->max_surge || mu || dl))
        e = gt_fail(err, GT_E_INVALID, where, "%s: only for kind serve",
                    s->max_surge ? "max_surge"
                    : mu         ? "max_unavailable"
                                 : "update_deadline_s");
    if (!e && mu &&
        (!json_is_integer(mu) || json_integer_value(mu) < 0 ||
         json_integer_value(mu) > s->replicas_max))
        e = gt_fail(err, GT_E_RANGE, where,
                    "max_unavailable: expected an integer from 0 to replicas.max (%d)",
                    s->replicas_max);
    if (!e && dl &&
        (!json_is_number(dl) || !(json_number_value(dl) >= 1) || json_number_value(dl) > 86400))
        e = gt_fail(err, GT_E_RANGE, where, "update_deadline_s: expected seconds from 1 to 86400");
    if (!e && (s->max_surge > s->replicas_max))
        e = gt_fail(err, GT_E_RANGE, where, "max_surge: at most replicas.max (%d)",
                    s->replicas_max);
    if (!e && s->kind != GT_KIND_SERVE && s->restart_window_ms)
        e = gt_fail(err, GT_E_INVALID, where, "restart_window_s: only for kind serve");
    if (!e && s->kind == GT_KIND_TRAIN && s->restart_backoff_ms)
        e = gt_fail(err, GT_E_INVALID, where,
                    "restart_backoff_s: only for kind serve (a replica) and tasks (a task)");
    return e;
}
