/* SPDX-License-Identifier: MIT
 * Ownership and comparison of protocol messages (proto.h): free, deep copy, equality. */
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

static void strs_free(char **v, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void probe_free(gt_proto_probe *p) {
    free(p->path);
    free(p->port);
    strs_free(p->argv, p->argc);
    memset(p, 0, sizeof *p);
}

void gt_proto_launch_free(gt_proto_launch *m) {
    if (!m)
        return;
    free(m->scale.metric);
    free(m->scale.port);
    free(m->scale.path);
    strs_free(m->ports, m->nports);
    probe_free(&m->readiness);
    probe_free(&m->liveness);
    free(m->name);
    free(m->tenant);
    free(m->kind);
    for (uint32_t i = 0; i < m->argc; i++)
        free(m->argv[i]);
    free(m->argv);
    for (uint32_t i = 0; i < m->nenv; i++) {
        free(m->env[i].key);
        free(m->env[i].value);
    }
    free(m->env);
    free(m->workdir);
    free(m->user);
    free(m->output);
    free(m->progress_file);
    free(m->error);
    memset(m, 0, sizeof *m);
}

void gt_proto_start_free(gt_proto_start *m) {
    if (!m)
        return;
    free(m->node);
    free(m->master_addr);
    free(m->ranks);
    for (uint32_t i = 0; i < m->nhosts; i++)
        free(m->hosts[i].host);
    free(m->hosts);
    gt_proto_launch_free(&m->launch);
    memset(m, 0, sizeof *m);
}

void gt_proto_stop_free(gt_proto_stop *m) {
    if (!m)
        return;
    free(m->node);
    free(m->reason);
    memset(m, 0, sizeof *m);
}

void gt_proto_item_free(gt_proto_item *m) {
    if (!m)
        return;
    if (m->kind == GT_PROTO_ITEM_START)
        gt_proto_start_free(&m->start);
    else if (m->kind == GT_PROTO_ITEM_STOP)
        gt_proto_stop_free(&m->stop);
    memset(m, 0, sizeof *m);
}

static void items_free(gt_proto_item *items, size_t n) {
    for (size_t i = 0; i < n; i++)
        gt_proto_item_free(&items[i]);
    free(items);
}

void gt_proto_register_free(gt_proto_register *m) {
    if (!m)
        return;
    free(m->agent);
    free(m->url);
    for (uint32_t i = 0; i < m->nnodes; i++) {
        free(m->nodes[i].name);
        free(m->nodes[i].gpu_model);
        free(m->nodes[i].pool);
    }
    free(m->nodes);
    memset(m, 0, sizeof *m);
}

void gt_proto_welcome_free(gt_proto_welcome *m) {
    if (!m)
        return;
    items_free(m->items, m->nitems);
    for (size_t i = 0; i < m->nrenames; i++) {
        free(m->renames[i].from);
        free(m->renames[i].to);
    }
    free(m->renames);
    free(m->logs_key);
    memset(m, 0, sizeof *m);
}

void gt_proto_heartbeat_free(gt_proto_heartbeat *m) {
    if (!m)
        return;
    free(m->agent);
    memset(m, 0, sizeof *m);
}

void gt_proto_batch_free(gt_proto_batch *m) {
    if (!m)
        return;
    items_free(m->items, m->nitems);
    memset(m, 0, sizeof *m);
}

void gt_proto_events_free(gt_proto_events *m) {
    if (!m)
        return;
    free(m->agent);
    for (size_t i = 0; i < m->nevents; i++) {
        free(m->events[i].node);
        free(m->events[i].reason);
        for (uint32_t k = 0; k < m->events[i].nports; k++)
            free(m->events[i].ports[k].name);
        free(m->events[i].ports);
    }
    free(m->events);
    memset(m, 0, sizeof *m);
}

void gt_proto_health_free(gt_proto_health *m) {
    if (!m)
        return;
    free(m->agent);
    for (uint32_t i = 0; i < m->nnodes; i++) {
        free(m->nodes[i].node);
        free(m->nodes[i].reason);
    }
    free(m->nodes);
    memset(m, 0, sizeof *m);
}

/* ---- copy ---- */

/* *dst = a copy of src (NULL stays NULL); 0 when out of memory. */
static int dup_str(char **dst, const char *src) {
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

/* o->v = a copy of v (n strings); 0 when out of memory (what was copied is counted in *on). */
static int strs_copy(char *const *v, uint32_t n, char ***ov, uint32_t *on) {
    if (n && !(*ov = calloc(n, sizeof **ov)))
        return 0;
    for (; *on < n; (*on)++)
        if (!dup_str(&(*ov)[*on], v[*on]))
            return 0;
    return 1;
}

static int probe_copy(const gt_proto_probe *m, gt_proto_probe *o) {
    *o = *m;
    o->path = o->port = NULL;
    o->argv = NULL;
    o->argc = 0;
    return dup_str(&o->path, m->path) && dup_str(&o->port, m->port) &&
           strs_copy(m->argv, m->argc, &o->argv, &o->argc);
}

static int scale_copy(const gt_proto_scale *m, gt_proto_scale *o) {
    *o = *m;
    o->metric = o->port = o->path = NULL;
    return dup_str(&o->metric, m->metric) && dup_str(&o->port, m->port) &&
           dup_str(&o->path, m->path);
}

static int launch_copy(const gt_proto_launch *m, gt_proto_launch *o) {
    *o = (gt_proto_launch){.grace_ms = m->grace_ms,
                           .duration_ms = m->duration_ms,
                           .time_limit_ms = m->time_limit_ms,
                           .memory_mb = m->memory_mb,
                           .pids_max = m->pids_max,
                           .progress_ms = m->progress_ms};
    if (!dup_str(&o->name, m->name) || !dup_str(&o->tenant, m->tenant) ||
        !dup_str(&o->kind, m->kind) || !dup_str(&o->workdir, m->workdir) ||
        !dup_str(&o->user, m->user) || !dup_str(&o->output, m->output) ||
        !dup_str(&o->error, m->error) || !dup_str(&o->progress_file, m->progress_file) ||
        !strs_copy(m->ports, m->nports, &o->ports, &o->nports) ||
        !probe_copy(&m->readiness, &o->readiness) || !probe_copy(&m->liveness, &o->liveness) ||
        !scale_copy(&m->scale, &o->scale))
        return 0;
    if (m->argc && !(o->argv = calloc(m->argc, sizeof *o->argv)))
        return 0;
    for (; o->argc < m->argc; o->argc++)
        if (!dup_str(&o->argv[o->argc], m->argv[o->argc]))
            return 0;
    if (m->nenv && !(o->env = calloc(m->nenv, sizeof *o->env)))
        return 0;
    for (; o->nenv < m->nenv; o->nenv++) {
        gt_proto_env *e = &o->env[o->nenv];
        if (!dup_str(&e->key, m->env[o->nenv].key) || !dup_str(&e->value, m->env[o->nenv].value)) {
            free(e->key);
            return 0;
        }
    }
    return 1;
}

static int start_copy(const gt_proto_start *m, gt_proto_start *o) {
    *o = *m;
    o->node = o->master_addr = NULL;
    o->ranks = NULL;
    o->hosts = NULL;
    o->nhosts = 0;
    memset(&o->launch, 0, sizeof o->launch);
    if (!dup_str(&o->node, m->node) || !dup_str(&o->master_addr, m->master_addr) ||
        !launch_copy(&m->launch, &o->launch))
        return 0;
    if (!(o->ranks = malloc((m->nranks ? m->nranks : 1) * sizeof *o->ranks)))
        return 0;
    if (m->nranks)
        memcpy(o->ranks, m->ranks, m->nranks * sizeof *o->ranks);
    if (m->nhosts && !(o->hosts = calloc(m->nhosts, sizeof *o->hosts)))
        return 0;
    for (; o->nhosts < m->nhosts; o->nhosts++) {
        o->hosts[o->nhosts].slots = m->hosts[o->nhosts].slots;
        if (!dup_str(&o->hosts[o->nhosts].host, m->hosts[o->nhosts].host))
            return 0;
    }
    return 1;
}

gt_err gt_proto_start_copy(const gt_proto_start *m, gt_proto_start *out) {
    if (start_copy(m, out))
        return GT_E_OK;
    gt_proto_start_free(out);
    return GT_E_NOMEM;
}

/* ---- equality ---- */

static int same_str(const char *a, const char *b) {
    return a == b || (a && b && !strcmp(a, b));
}

static int strs_equal(char *const *a, uint32_t na, char *const *b, uint32_t nb) {
    if (na != nb)
        return 0;
    for (uint32_t i = 0; i < na; i++)
        if (!same_str(a[i], b[i]))
            return 0;
    return 1;
}

static int probe_equal(const gt_proto_probe *a, const gt_proto_probe *b) {
    return a->kind == b->kind && same_str(a->path, b->path) && same_str(a->port, b->port) &&
           strs_equal(a->argv, a->argc, b->argv, b->argc) && a->period_ms == b->period_ms &&
           a->timeout_ms == b->timeout_ms && a->initial_delay_ms == b->initial_delay_ms &&
           a->failure_threshold == b->failure_threshold &&
           a->success_threshold == b->success_threshold;
}

int gt_proto_launch_equal(const gt_proto_launch *a, const gt_proto_launch *b) {
    if (!same_str(a->name, b->name) || !same_str(a->tenant, b->tenant) ||
        !same_str(a->kind, b->kind) || !same_str(a->workdir, b->workdir) ||
        !same_str(a->user, b->user) || !same_str(a->output, b->output) ||
        !same_str(a->error, b->error) || a->argc != b->argc || a->nenv != b->nenv ||
        a->grace_ms != b->grace_ms || a->duration_ms != b->duration_ms ||
        a->time_limit_ms != b->time_limit_ms || a->memory_mb != b->memory_mb ||
        a->pids_max != b->pids_max || a->progress_ms != b->progress_ms ||
        !same_str(a->progress_file, b->progress_file) ||
        !strs_equal(a->ports, a->nports, b->ports, b->nports) ||
        !probe_equal(&a->readiness, &b->readiness) || !probe_equal(&a->liveness, &b->liveness) ||
        !same_str(a->scale.metric, b->scale.metric) || !same_str(a->scale.port, b->scale.port) ||
        !same_str(a->scale.path, b->scale.path) || a->scale.target != b->scale.target ||
        a->scale.period_ms != b->scale.period_ms || a->scale.up_ms != b->scale.up_ms ||
        a->scale.down_ms != b->scale.down_ms)
        return 0;
    for (uint32_t i = 0; i < a->argc; i++)
        if (!same_str(a->argv[i], b->argv[i]))
            return 0;
    for (uint32_t i = 0; i < a->nenv; i++)
        if (!same_str(a->env[i].key, b->env[i].key) || !same_str(a->env[i].value, b->env[i].value))
            return 0;
    return 1;
}

static int start_equal(const gt_proto_start *a, const gt_proto_start *b) {
    if (a->job != b->job || a->unit != b->unit || a->gen != b->gen || !same_str(a->node, b->node) ||
        a->world_size != b->world_size || a->local_world_size != b->local_world_size ||
        a->node_rank != b->node_rank || a->nnodes != b->nnodes ||
        !same_str(a->master_addr, b->master_addr) || a->master_port != b->master_port ||
        a->cpus != b->cpus || a->restarts != b->restarts || a->nranks != b->nranks ||
        a->gpu_milli != b->gpu_milli || a->gpu_memory_mb != b->gpu_memory_mb ||
        a->nhosts != b->nhosts || !gt_proto_launch_equal(&a->launch, &b->launch))
        return 0;
    for (uint32_t i = 0; i < a->nranks; i++)
        if (a->ranks[i].rank != b->ranks[i].rank ||
            a->ranks[i].local_rank != b->ranks[i].local_rank ||
            a->ranks[i].gpus != b->ranks[i].gpus || a->ranks[i].cpus != b->ranks[i].cpus)
            return 0;
    for (uint32_t i = 0; i < a->nhosts; i++)
        if (!same_str(a->hosts[i].host, b->hosts[i].host) || a->hosts[i].slots != b->hosts[i].slots)
            return 0;
    return 1;
}

int gt_proto_item_equal(const gt_proto_item *a, const gt_proto_item *b) {
    if (a->kind != b->kind)
        return 0;
    if (a->kind == GT_PROTO_ITEM_START)
        return start_equal(&a->start, &b->start);
    const gt_proto_stop *x = &a->stop, *y = &b->stop;
    return x->job == y->job && x->unit == y->unit && x->gen == y->gen &&
           same_str(x->node, y->node) && same_str(x->reason, y->reason) &&
           x->grace_ms == y->grace_ms;
}

int gt_proto_register_equal(const gt_proto_register *a, const gt_proto_register *b) {
    if (a->proto != b->proto || !same_str(a->agent, b->agent) || !same_str(a->url, b->url) ||
        a->nnodes != b->nnodes)
        return 0;
    for (uint32_t i = 0; i < a->nnodes; i++) {
        const gt_proto_node *x = &a->nodes[i], *y = &b->nodes[i];
        if (!same_str(x->name, y->name) || x->gpus != y->gpus || x->cpus != y->cpus ||
            x->memory_mb != y->memory_mb || !same_str(x->gpu_model, y->gpu_model) ||
            !same_str(x->pool, y->pool) || x->mps != y->mps)
            return 0;
    }
    return 1;
}

static int ports_equal(const gt_proto_event *a, const gt_proto_event *b) {
    if (a->nports != b->nports)
        return 0;
    for (uint32_t i = 0; i < a->nports; i++)
        if (!same_str(a->ports[i].name, b->ports[i].name) || a->ports[i].port != b->ports[i].port)
            return 0;
    return 1;
}

int gt_proto_events_equal(const gt_proto_events *a, const gt_proto_events *b) {
    if (!same_str(a->agent, b->agent) || a->session != b->session || a->nevents != b->nevents)
        return 0;
    for (size_t i = 0; i < a->nevents; i++) {
        const gt_proto_event *x = &a->events[i], *y = &b->events[i];
        if (x->kind != y->kind || x->job != y->job || x->unit != y->unit || x->gen != y->gen ||
            x->rank != y->rank || !same_str(x->node, y->node))
            return 0;
        if (x->kind == GT_PROTO_EV_STARTED ? x->pid != y->pid || !ports_equal(x, y)
            : x->kind == GT_PROTO_EV_EXITED
                ? x->exit_code != y->exit_code || x->signal != y->signal || x->ranks != y->ranks ||
                      !same_str(x->reason, y->reason)
            : x->kind == GT_PROTO_EV_UNREADY || x->kind == GT_PROTO_EV_PORT
                ? !same_str(x->reason, y->reason)
            : x->kind == GT_PROTO_EV_METRIC
                ? x->value != y->value || (x->value < 0 && !same_str(x->reason, y->reason))
                : 0)
            return 0;
    }
    return 1;
}

int gt_proto_same_unit(uint32_t job, uint32_t unit, uint32_t gen, const char *node,
                       const gt_proto_start *m) {
    return m->job == job && m->unit == unit && m->gen == gen && same_str(node, m->node);
}

int gt_proto_health_equal(const gt_proto_health *a, const gt_proto_health *b) {
    if (!same_str(a->agent, b->agent) || a->session != b->session || a->nnodes != b->nnodes)
        return 0;
    for (uint32_t i = 0; i < a->nnodes; i++)
        if (!same_str(a->nodes[i].node, b->nodes[i].node) ||
            !a->nodes[i].healthy != !b->nodes[i].healthy ||
            !same_str(a->nodes[i].reason, b->nodes[i].reason))
            return 0;
    return 1;
}
