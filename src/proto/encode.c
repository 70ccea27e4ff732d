/* SPDX-License-Identifier: MIT
 * Struct -> JSON text for every controller <-> agent message (proto.h). The field names
 * here and in decode.c are the wire format; docs/api.md lists them. Optional fields are
 * left out when unset, so a message reads as the smallest JSON that says it. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "proto/json.h"
#include "proto/proto.h"
#include "util/strbuf.h"

/* json_object_set_new that tolerates a NULL value (out of memory): marks the object bad. */
static void put(json_t *o, const char *key, json_t *v, int *bad) {
    if (!v || json_object_set_new(o, key, v))
        *bad = 1;
}

static void put_str(json_t *o, const char *key, const char *s, int *bad) {
    if (s)
        put(o, key, json_string(s), bad);
}

static void put_int(json_t *o, const char *key, int64_t x, int *bad) {
    put(o, key, json_integer((json_int_t)x), bad);
}

/* Milliseconds as seconds, the unit of the job spec. */
static void put_secs(json_t *o, const char *key, int64_t ms, int *bad) {
    if (ms % 1000 == 0)
        put_int(o, key, ms / 1000, bad);
    else
        put(o, key, json_real((double)ms / 1000.0), bad);
}

static char *dump(json_t *o, int bad) {
    char *s = o && !bad ? gt_json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static json_t *str_array(char *const *v, uint32_t n, int *bad) {
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i])))
            *bad = 1;
    if (!a)
        *bad = 1;
    return a;
}

static void put_probe(json_t *o, const char *key, const gt_proto_probe *p, int *bad) {
    if (p->kind == GT_PROTO_PROBE_NONE)
        return;
    json_t *x = json_object();
    if (p->kind == GT_PROTO_PROBE_HTTP) {
        json_t *h = json_object();
        put_str(h, "path", p->path, bad);
        put_str(h, "port", p->port, bad);
        put(x, "http", h, bad);
    } else {
        put(x, "command", str_array(p->argv, p->argc, bad), bad);
    }
    put_secs(x, "period_s", p->period_ms, bad);
    put_secs(x, "timeout_s", p->timeout_ms, bad);
    put_secs(x, "initial_delay_s", p->initial_delay_ms, bad);
    put_int(x, "failure_threshold", p->failure_threshold, bad);
    put_int(x, "success_threshold", p->success_threshold, bad);
    put(o, key, x, bad);
}

static void put_scale(json_t *o, const gt_proto_scale *sc, int *bad) {
    if (!sc->metric)
        return;
    json_t *x = json_object();
    put_str(x, "metric", sc->metric, bad);
    put(x, "target", json_real(sc->target), bad);
    put_str(x, "port", sc->port, bad);
    put_str(x, "path", sc->path, bad);
    put_secs(x, "period_s", sc->period_ms, bad);
    put_secs(x, "up_window_s", sc->up_ms, bad);
    put_secs(x, "down_window_s", sc->down_ms, bad);
    put(o, "scale", x, bad);
}

static void put_launch(json_t *o, const gt_proto_launch *l, int *bad) {
    put_str(o, "name", l->name, bad);
    put_str(o, "tenant", l->tenant, bad);
    put_str(o, "kind", l->kind, bad);
    json_t *argv = json_array();
    for (uint32_t i = 0; argv && i < l->argc; i++)
        if (json_array_append_new(argv, json_string(l->argv[i])))
            *bad = 1;
    if (l->argc)
        put(o, "command", argv, bad);
    else
        json_decref(argv);
    if (l->nenv) {
        json_t *env = json_object();
        for (uint32_t i = 0; env && i < l->nenv; i++)
            put(env, l->env[i].key, json_string(l->env[i].value), bad);
        put(o, "env", env, bad);
    }
    put_str(o, "workdir", l->workdir, bad);
    put_str(o, "user", l->user, bad);
    put_str(o, "output", l->output, bad);
    put_str(o, "error", l->error, bad);
    if (l->grace_ms >= 0)
        put_secs(o, "grace_s", l->grace_ms, bad);
    if (l->duration_ms >= 0)
        put_secs(o, "duration_s", l->duration_ms, bad);
    if (l->time_limit_ms > 0)
        put_secs(o, "time_limit_s", l->time_limit_ms, bad);
    if (l->memory_mb > 0)
        put_int(o, "memory_mb", l->memory_mb, bad);
    if (l->pids_max > 0)
        put_int(o, "pids_max", l->pids_max, bad);
    if (l->progress_ms > 0) {
        json_t *pg = json_object();
        put_secs(pg, "timeout_s", l->progress_ms, bad);
        put_str(pg, "file", l->progress_file, bad);
        put(o, "progress", pg, bad);
    }
    if (l->nports)
        put(o, "ports", str_array(l->ports, l->nports, bad), bad);
    put_probe(o, "readiness", &l->readiness, bad);
    put_probe(o, "liveness", &l->liveness, bad);
    put_scale(o, &l->scale, bad);
}

/* An item's object with what names its unit on its node: op, job, unit, gen, node. */
static json_t *item_json(const char *op, uint32_t job, uint32_t unit, uint32_t gen,
                         const char *node, int *bad) {
    json_t *o = json_object();
    if (!o)
        return NULL;
    put_str(o, "op", op, bad);
    put_int(o, "job", job, bad);
    put_int(o, "unit", unit, bad);
    put_int(o, "gen", gen, bad);
    put_str(o, "node", node, bad);
    return o;
}

static json_t *stop_json(const gt_proto_stop *m, int *bad) {
    json_t *o = item_json("stop", m->job, m->unit, m->gen, m->node, bad);
    if (!o)
        return NULL;
    put_str(o, "reason", m->reason ? m->reason : "", bad);
    if (m->grace_ms >= 0)
        put_secs(o, "grace_s", m->grace_ms, bad);
    return o;
}

char *gt_proto_launch_fields(const gt_proto_launch *l) {
    int bad = 0;
    json_t *o = json_object();
    if (o)
        put_launch(o, l, &bad);
    char *s = dump(o, bad);
    size_t n = s ? strlen(s) : 0;
    if (n >= 2) { /* drop the braces */
        memmove(s, s + 1, n - 2);
        s[n - 2] = 0;
    }
    return s;
}

/* "KEY": then the value, after a comma unless it is the first member. */
static void key(gt_sb *b, const char *k) {
    if (b->len > 1)
        gt_sb_putc(b, ',');
    gt_sb_putc(b, '"');
    gt_sb_puts(b, k);
    gt_sb_puts(b, "\":");
}

static void kint(gt_sb *b, const char *k, int64_t v) {
    key(b, k);
    gt_json_put_int(b, (json_int_t)v);
}

static int kstr(gt_sb *b, const char *k, const char *s) {
    if (!s)
        return 0;
    key(b, k);
    return gt_json_put_str(b, s, 0);
}

/* Written by hand (members in the order the decoder documents; launch fields last): a task array
 * starts tens of thousands of these a second, and building them as values cost more than
 * the rest of the work. */
char *gt_proto_start_encode(const gt_proto_start *m) {
    char *own = m->launch_fields ? NULL : gt_proto_launch_fields(&m->launch);
    const char *launch = m->launch_fields ? m->launch_fields : own;
    gt_sb b;
    gt_sb_init(&b);
    gt_sb_putc(&b, '{');
    int bad = !launch || kstr(&b, "op", "start");
    kint(&b, "job", m->job);
    kint(&b, "unit", m->unit);
    kint(&b, "gen", m->gen);
    bad |= kstr(&b, "node", m->node);
    key(&b, "ranks");
    gt_sb_putc(&b, '[');
    for (uint32_t k = 0; k < m->nranks; k++) {
        const gt_proto_rank *r = &m->ranks[k];
        gt_sb_puts(&b, k ? ",{\"rank\":" : "{\"rank\":");
        gt_json_put_int(&b, r->rank);
        gt_sb_puts(&b, ",\"local_rank\":");
        gt_json_put_int(&b, r->local_rank);
        gt_sb_puts(&b, ",\"gpus\":[");
        for (int g = 0, n = 0; g < GT_PROTO_MAX_GPUS; g++)
            if (r->gpus >> g & 1) {
                if (n++)
                    gt_sb_putc(&b, ',');
                gt_json_put_int(&b, g);
            }
        gt_sb_puts(&b, "],\"cpus\":");
        gt_json_put_int(&b, r->cpus);
        gt_sb_putc(&b, '}');
    }
    gt_sb_putc(&b, ']');
    kint(&b, "world_size", m->world_size);
    kint(&b, "local_world_size", m->local_world_size);
    kint(&b, "node_rank", m->node_rank);
    kint(&b, "nnodes", m->nnodes);
    bad |= kstr(&b, "master_addr", m->master_addr);
    kint(&b, "master_port", m->master_port);
    if (m->nhosts) {
        key(&b, "hosts");
        gt_sb_putc(&b, '[');
        for (uint32_t k = 0; k < m->nhosts; k++) {
            gt_sb_puts(&b, k ? ",{" : "{");
            if (m->hosts[k].host) {
                gt_sb_puts(&b, "\"host\":");
                bad |= gt_json_put_str(&b, m->hosts[k].host, 0);
                gt_sb_putc(&b, ',');
            }
            gt_sb_puts(&b, "\"slots\":");
            gt_json_put_int(&b, m->hosts[k].slots);
            gt_sb_putc(&b, '}');
        }
        gt_sb_putc(&b, ']');
    }
    kint(&b, "cpus", m->cpus);
    kint(&b, "restarts", m->restarts);
    if (m->gpu_milli)
        kint(&b, "gpu_milli", m->gpu_milli);
    if (m->gpu_memory_mb)
        kint(&b, "gpu_memory_mb", m->gpu_memory_mb);
    if (launch && *launch) {
        gt_sb_putc(&b, ',');
        gt_sb_puts(&b, launch);
    }
    gt_sb_putc(&b, '}');
    free(own);
    if (bad) {
        gt_sb_free(&b);
        return NULL;
    }
    return gt_sb_take(&b); /* NULL when any append failed */
}

char *gt_proto_stop_encode(const gt_proto_stop *m) {
    int bad = 0;
    json_t *o = stop_json(m, &bad);
    return dump(o, bad);
}

char *gt_proto_item_encode(const gt_proto_item *m) {
    return m->kind == GT_PROTO_ITEM_START  ? gt_proto_start_encode(&m->start)
           : m->kind == GT_PROTO_ITEM_STOP ? gt_proto_stop_encode(&m->stop)
                                           : NULL;
}

char *gt_proto_register_encode(const gt_proto_register *m) {
    int bad = 0;
    json_t *o = json_object(), *nodes = json_array();
    for (uint32_t i = 0; nodes && i < m->nnodes; i++) {
        const gt_proto_node *n = &m->nodes[i];
        json_t *x = json_object();
        put_str(x, "name", n->name, &bad);
        put_int(x, "gpus", n->gpus, &bad);
        put_str(x, "gpu_model", n->gpu_model ? n->gpu_model : "", &bad);
        if (n->pool)
            put_str(x, "pool", n->pool, &bad);
        if (n->mps)
            put(x, "mps", json_true(), &bad);
        put_int(x, "cpus", n->cpus, &bad);
        put_int(x, "memory_mb", n->memory_mb, &bad);
        if (!x || json_array_append_new(nodes, x))
            bad = 1;
    }
    if (!o) {
        json_decref(nodes);
        return NULL;
    }
    put_int(o, "proto", m->proto, &bad);
    put_str(o, "agent", m->agent, &bad);
    put_str(o, "url", m->url ? m->url : "", &bad);
    put(o, "nodes", nodes, &bad);
    return dump(o, bad);
}

char *gt_proto_heartbeat_encode(const gt_proto_heartbeat *m) {
    int bad = 0;
    json_t *o = json_object();
    if (!o)
        return NULL;
    put_str(o, "agent", m->agent, &bad);
    put_int(o, "session", (int64_t)m->session, &bad);
    return dump(o, bad);
}

/* ",\"k\":" then the value's text. */
static void next_key(gt_sb *b, const char *k) {
    gt_sb_putc(b, ',');
    gt_sb_putc(b, '"');
    gt_sb_puts(b, k);
    gt_sb_puts(b, "\":");
}

/* One event's object, written by hand (an agent reports tens of thousands a second). */
static int event_text(gt_sb *b, const gt_proto_event *e) {
    static const char *const types[] = {
        [GT_PROTO_EV_STARTED] = "started", [GT_PROTO_EV_EXITED] = "exited",
        [GT_PROTO_EV_READY] = "ready",     [GT_PROTO_EV_UNREADY] = "unready",
        [GT_PROTO_EV_METRIC] = "metric",   [GT_PROTO_EV_PORT] = "port"};
    int bad = 0;
    gt_sb_puts(b, "{\"type\":\"");
    gt_sb_puts(b, e->kind >= GT_PROTO_EV_STARTED && e->kind <= GT_PROTO_EV_PORT ? types[e->kind]
                                                                                : "exited");
    gt_sb_puts(b, "\",\"job\":");
    gt_json_put_int(b, e->job);
    gt_sb_puts(b, ",\"unit\":");
    gt_json_put_int(b, e->unit);
    gt_sb_puts(b, ",\"gen\":");
    gt_json_put_int(b, e->gen);
    if (e->node) {
        next_key(b, "node");
        bad |= gt_json_put_str(b, e->node, 0);
    }
    next_key(b, "rank");
    gt_json_put_int(b, e->rank);
    const char *reason = e->reason ? e->reason : "";
    if (e->kind == GT_PROTO_EV_STARTED) {
        next_key(b, "pid");
        gt_json_put_int(b, e->pid);
        for (uint32_t i = 0; i < e->nports; i++) {
            if (i == 0)
                next_key(b, "ports");
            gt_sb_putc(b, i ? ',' : '{');
            bad |= gt_json_put_str(b, e->ports[i].name, 0);
            gt_sb_putc(b, ':');
            gt_json_put_int(b, e->ports[i].port);
        }
        if (e->nports)
            gt_sb_putc(b, '}');
    } else if (e->kind == GT_PROTO_EV_UNREADY || e->kind == GT_PROTO_EV_PORT) {
        next_key(b, "reason");
        bad |= gt_json_put_str(b, reason, 0);
    } else if (e->kind == GT_PROTO_EV_METRIC) {
        next_key(b, "value");
        bad |= gt_json_put_real(b, e->value);
        if (e->value < 0) {
            next_key(b, "reason");
            bad |= gt_json_put_str(b, reason, 0);
        }
    } else if (e->kind == GT_PROTO_EV_EXITED) {
        next_key(b, "exit_code");
        gt_json_put_int(b, e->exit_code);
        next_key(b, "signal");
        gt_json_put_int(b, e->signal);
        next_key(b, "reason");
        bad |= gt_json_put_str(b, reason, 0);
        next_key(b, "ranks");
        gt_json_put_int(b, e->ranks ? e->ranks : 1);
    }
    gt_sb_putc(b, '}');
    return bad;
}

char *gt_proto_events_encode(const gt_proto_events *m) {
    gt_sb b;
    gt_sb_init(&b);
    gt_sb_reserve(&b, 64 + m->nevents * 112); /* an exit is about 100 bytes */
    gt_sb_puts(&b, "{\"agent\":");
    int bad = !m->agent || gt_json_put_str(&b, m->agent, 0);
    gt_sb_puts(&b, ",\"session\":");
    gt_json_put_int(&b, (json_int_t)m->session);
    gt_sb_puts(&b, ",\"events\":[");
    for (size_t i = 0; i < m->nevents; i++) {
        if (i)
            gt_sb_putc(&b, ',');
        bad |= event_text(&b, &m->events[i]);
    }
    gt_sb_puts(&b, "]}");
    if (bad || b.oom) {
        gt_sb_free(&b);
        return NULL;
    }
    return gt_sb_take(&b);
}

char *gt_proto_health_encode(const gt_proto_health *m) {
    int bad = 0;
    json_t *o = json_object(), *nodes = json_array();
    for (uint32_t i = 0; nodes && i < m->nnodes; i++) {
        const gt_proto_node_health *n = &m->nodes[i];
        json_t *x = json_object();
        put_str(x, "node", n->node, &bad);
        put(x, "healthy", json_boolean(n->healthy), &bad);
        put_str(x, "reason", n->reason ? n->reason : "", &bad);
        if (!x || json_array_append_new(nodes, x))
            bad = 1;
    }
    if (!o) {
        json_decref(nodes);
        return NULL;
    }
    put_str(o, "agent", m->agent, &bad);
    put_int(o, "session", (int64_t)m->session, &bad);
    put(o, "nodes", nodes, &bad);
    return dump(o, bad);
}

/* The items as a JSON array written from their texts (no parse and re-dump per item). */
static void items_text(gt_sb *b, const char *const *items, size_t n) {
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 1;
    gt_sb_reserve(b, len + 16); /* one growth, not a doubling every few items */
    gt_sb_puts(b, "\"items\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            gt_sb_putc(b, ',');
        gt_sb_puts(b, items[i]);
    }
    gt_sb_puts(b, "]}");
}

/* "KEY":V, into b (takes v; NULL or a failed dump sets b->oom). */
static void put_member(gt_sb *b, const char *key, json_t *v) {
    char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
    if (t)
        gt_sb_printf(b, "\"%s\":%s,", key, t);
    else
        b->oom = 1;
    free(t);
    json_decref(v);
}

char *gt_proto_welcome_encode(const gt_proto_welcome *w, const char *const *items, size_t nitems) {
    gt_sb b;
    gt_sb_init(&b);
    gt_sb_printf(&b, "{\"proto\":%u,\"session\":%llu,\"heartbeat_s\":%d,\"seq\":%llu,", w->proto,
                 (unsigned long long)w->session, w->heartbeat_s, (unsigned long long)w->seq);
    if (w->lease_s > 0)
        gt_sb_printf(&b, "\"lease_s\":%d,", w->lease_s);
    if (w->logs_key && *w->logs_key)
        put_member(&b, "logs_key", json_string(w->logs_key));
    if (w->nrenames) {
        json_t *r = json_object();
        for (size_t i = 0; r && i < w->nrenames; i++)
            json_object_set_new(r, w->renames[i].from, json_string(w->renames[i].to));
        put_member(&b, "renamed", r);
    }
    items_text(&b, items, nitems);
    if (b.oom) {
        gt_sb_free(&b);
        return NULL;
    }
    return gt_sb_take(&b);
}

char *gt_proto_batch_encode(uint64_t seq, const char *const *items, size_t nitems) {
    gt_sb b;
    gt_sb_init(&b);
    gt_sb_printf(&b, "{\"seq\":%llu,", (unsigned long long)seq);
    items_text(&b, items, nitems);
    if (b.oom) {
        gt_sb_free(&b);
        return NULL;
    }
    return gt_sb_take(&b);
}
