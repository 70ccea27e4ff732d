/* SPDX-License-Identifier: MIT
 * Agents: registration, heartbeats, assignment queues, exit events, and the timer that
 * marks silent nodes down.
 *
 * An agent registers its nodes and gets a session and the full list of what should run
 * on them (it stops anything else and starts what it never started). Later changes come
 * as items with increasing seq on its queue, which it long-polls with the last seq it
 * saw (that also acknowledges, and frees, older items). Items made while a batch is
 * applied are held in c->pend and reach the queues only after the batch's journal commit:
 * an agent never starts work the journal does not have. */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "sys/clock.h"
#include "sys/entropy.h"
#include "util/strbuf.h"
#include "util/vec.h"

#define AGENTS_CHECK_MS 100 /* silent agents and long-poll deadlines are checked this often */

void ctld_agent_push(gt_ctld *c, uint32_t node, char *json) {
    if (!gt_vec_reserve((void **)&c->pend, &c->pend_cap, c->npend + 1, sizeof *c->pend)) {
        gt_log(GT_LOG_ERR, "gantryd", "out of memory (assignments)");
        abort();
    }
    c->pend[c->npend++] = (struct ctld_pend){node, json};
}

static void agent_append(ctld_agent *a, char *json) {
    ctld_item *it = malloc(sizeof *it);
    if (!it) {
        gt_log(GT_LOG_ERR, "gantryd", "out of memory (agent queue)");
        abort();
    }
    it->json = json;
    it->next = NULL;
    it->seq = ++a->seq;
    if (a->tail)
        a->tail->next = it;
    else
        a->head = it;
    a->tail = it;
}

/* The poll's answer: the items after `since` (a->mu held). Dropping acknowledged items
 * is drop_acked's job. */
static char *render_items(const ctld_agent *a, uint64_t since) {
    size_t n = 0;
    for (ctld_item *it = a->head; it; it = it->next)
        n += it->seq > since;
    const char **texts = malloc((n ? n : 1) * sizeof *texts);
    if (!texts)
        return NULL;
    n = 0;
    for (ctld_item *it = a->head; it; it = it->next)
        if (it->seq > since)
            texts[n++] = it->json;
    char *s = gt_proto_batch_encode(a->seq, texts, n);
    free(texts);
    return s;
}

/* Answer the parked poll when it has something to see (or always, with `force`: the agent
 * is gone or the deadline passed). Any thread; takes a->mu. */
static void wake_waiter(ctld_agent *a, int force) {
    pthread_mutex_lock(&a->mu);
    gt_http_later *l = a->waiter;
    char *body = NULL;
    if (l && (force || a->seq > a->waiter_since)) {
        body = render_items(a, a->waiter_since);
        a->waiter = NULL;
    } else {
        l = NULL;
    }
    pthread_mutex_unlock(&a->mu);
    if (!l)
        return;
    gt_http_resp r = {.status = 200, .body = body, .len = body ? strlen(body) : 0};
    if (!body) {
        r.status = 503;
        r.body = strdup("{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}");
        r.len = r.body ? strlen(r.body) : 0;
    }
    gt_http_answer_later(l, &r);
}

void ctld_agents_flush(gt_ctld *c) {
    for (size_t i = 0; i < c->npend; i++) {
        int32_t ai = c->node_agent[c->pend[i].node];
        if (ai < 0) {
            free(c->pend[i].json);
            continue;
        }
        ctld_agent *a = c->agents[ai];
        pthread_mutex_lock(&a->mu);
        agent_append(a, c->pend[i].json);
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
    }
    /* Wake each parked poll once, after all of the batch's items are queued. */
    for (size_t i = 0; i < c->npend; i++) {
        int32_t ai = c->node_agent[c->pend[i].node];
        if (ai >= 0)
            wake_waiter(c->agents[ai], 0);
    }
    c->npend = 0;
}

static void agent_gone(ctld_agent *a) {
    pthread_mutex_lock(&a->mu);
    a->gone = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    wake_waiter(a, 1);
}

void ctld_agents_wake_all(gt_ctld *c) {
    pthread_mutex_lock(&c->agents_mu);
    for (uint32_t i = 0; i < c->nagents; i++)
        agent_gone(c->agents[i]);
    pthread_mutex_unlock(&c->agents_mu);
}

void ctld_agents_free(gt_ctld *c) {
    for (uint32_t i = 0; i < c->nagents; i++) {
        ctld_agent *a = c->agents[i];
        for (ctld_item *it = a->head, *nx; it; it = nx) {
            nx = it->next;
            free(it->json);
            free(it);
        }
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        free(a->nodes);
        free(a);
    }
    free(c->agents);
    gt_u64map_free(&c->sessions);
    for (size_t i = 0; i < c->npend; i++)
        free(c->pend[i].json);
    free(c->pend);
}

/* ---- registration (state thread) ---- */

static gt_err check_node(gt_ctld *c, const ctld_principal *who, const gt_proto_node *n, size_t i,
                         uint32_t *out, gt_error *err) {
    const gt_topo *t = gt_sched_topo(c->sched);
    char where[48];
    snprintf(where, sizeof where, "nodes[%zu]", i);
    uint32_t v = n->pool ? ctld_pool_slot(c, n, where, err) : gt_topo_find(t, n->name);
    if (n->pool && v == GT_NONE)
        return err ? err->code : GT_E_STATE;
    if (v == GT_NONE || t->level[v] != t->nlevels - 1)
        return gt_fail(err, GT_E_NOT_FOUND, where,
                       "node '%.64s' is not in the cluster config; add it to the fleet, or start "
                       "its agent with --pool to join a pool of it",
                       n->name);
    gt_err e = ctld_register_allowed(c, who, n, v, where, err);
    if (e)
        return e;
    /* Fewer GPUs than the config says: it registers degraded, the missing ones off
     * (gpus_off below). Fewer cores or less memory: refused. */
    if (n->cpus < t->n_cpus[v] || n->memory_mb < t->n_mem[v])
        return gt_fail(err, GT_E_INVALID, where,
                       "node '%.64s' has %d CPUs, %lld MiB but the config says %d, %lld", n->name,
                       n->cpus, (long long)n->memory_mb, t->n_cpus[v], (long long)t->n_mem[v]);
    *out = v;
    return GT_E_OK;
}

static ctld_agent *agent_new(const gt_proto_register *m, const ctld_principal *who, uint32_t *nodes,
                             uint32_t n) {
    ctld_agent *a = calloc(1, sizeof *a);
    if (!a || gt_random_hex(a->logs_key, 16)) {
        free(a);
        return NULL;
    }
    a->who = who;
    snprintf(a->id, sizeof a->id, "%s", m->agent);
    snprintf(a->url, sizeof a->url, "%s", m->url ? m->url : "");
    const char *h = strstr(a->url, "://");
    snprintf(a->host, sizeof a->host, "%s", h ? h + 3 : "");
    char *colon = strchr(a->host, ':');
    if (colon)
        *colon = 0;
    a->nodes = nodes;
    a->nnodes = n;
    a->alive = 1;
    for (uint32_t i = 0; i < m->nnodes; i++)
        a->mps |= m->nodes[i].mps;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    atomic_store(&a->last_seen, gt_clock_mono_ms());
    return a;
}

static int32_t agent_add(gt_ctld *c, ctld_agent *a) {
    pthread_mutex_lock(&c->agents_mu);
    int32_t idx = -1;
    if (gt_vec_reserve32((void **)&c->agents, &c->agents_cap, (size_t)c->nagents + 1,
                         sizeof *c->agents, 16) &&
        (a->session = ctld_session_new(c)) && gt_u64map_put(&c->sessions, a->session, c->nagents)) {
        idx = (int32_t)c->nagents;
        c->agents[c->nagents++] = a;
    }
    pthread_mutex_unlock(&c->agents_mu);
    return idx;
}

/* A growable list of item texts (owned). */
typedef struct {
    char **v;
    size_t n, cap;
} textvec;

/* Takes s (NULL: out of memory); 0 when it could not be kept (then s is freed). */
static int textvec_push(textvec *t, char *s) {
    if (!s || !gt_vec_reserve((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v)) {
        free(s);
        return 0;
    }
    t->v[t->n++] = s;
    return 1;
}

static void textvec_free(textvec *t) {
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
}

/* The welcome of agent idx: its session and every active run's start items for its
 * nodes. NULL when out of memory. */
static char *welcome(gt_ctld *c, int32_t idx, const gt_proto_register *reg) {
    textvec items = {0};
    const ctld_agent *a = c->agents[idx];
    int ok = 1;
    for (uint32_t k = 0; k < a->nnodes && ok; k++) {
        const ctld_runvec *v = ctld_noderuns_of(c, a->nodes[k]);
        for (uint32_t i = 0; i < v->n && ok; i++) {
            const ctld_run *run = &c->jobs[v->v[i].job].runs[v->v[i].run];
            for (uint32_t s = 0; s < run->nslots && ok; s++)
                if (run->nodes[s] == a->nodes[k])
                    ok = textvec_push(&items, ctld_start_item(c, v->v[i].job, run, s));
        }
    }
    /* Fencing: a node that has not heard from us for node_timeout - heartbeat stops its
     * units, before we give up on it (node_timeout) and start them elsewhere. */
    int32_t lease = c->server.node_timeout_s - c->server.heartbeat_s;
    /* Nodes that joined a pool under their own names are its slots' from now on. */
    gt_proto_rename ren[16];
    size_t nren = 0;
    for (uint32_t k = 0; k < a->nnodes && k < reg->nnodes && nren < 16; k++) {
        const char *slot = gt_topo_name(gt_sched_topo(c->sched), a->nodes[k]);
        if (strcmp(slot, reg->nodes[k].name))
            ren[nren++] = (gt_proto_rename){reg->nodes[k].name, (char *)slot};
    }
    gt_proto_welcome w = {.proto = reg->proto,
                          .session = a->session,
                          .heartbeat_s = c->server.heartbeat_s,
                          .lease_s = lease > 0 ? lease : 1,
                          .renames = ren,
                          .nrenames = nren,
                          .logs_key = (char *)a->logs_key};
    char *text = ok ? gt_proto_welcome_encode(&w, (const char *const *)items.v, items.n) : NULL;
    textvec_free(&items);
    return text;
}

static gt_err register_nodes(gt_ctld *c, const ctld_principal *who, const gt_proto_register *m,
                             uint32_t **out, uint32_t *nout, gt_error *err) {
    uint32_t *v = malloc(m->nnodes * sizeof *v);
    if (!v)
        return gt_fail(err, GT_E_NOMEM, "body", "out of memory");
    for (uint32_t i = 0; i < m->nnodes; i++) {
        gt_err e = check_node(c, who, &m->nodes[i], i, &v[i], err);
        for (size_t k = 0; !e && k < i; k++)
            if (v[k] == v[i])
                e = gt_fail(err, GT_E_INVALID, "nodes", "node listed twice");
        if (e) {
            free(v);
            return e;
        }
    }
    *out = v;
    *nout = m->nnodes;
    return GT_E_OK;
}

/* The GPUs an agent found on node v: those the config gives it beyond that count are off
 * (journaled op "gpus", so a restart keeps them off until the agent says otherwise); the
 * reason is said again at each registration. */
static void gpus_found(gt_ctld *c, uint32_t v, int32_t found, int64_t t) {
    const gt_topo *topo = gt_sched_topo(c->sched);
    int32_t want = topo->n_gpus[v];
    uint32_t all = want >= 32 ? UINT32_MAX : (1u << want) - 1u;
    uint32_t off = found >= want ? 0 : all & ~(found <= 0 ? 0 : (1u << found) - 1u);
    free(c->node_gpu_note[v]);
    c->node_gpu_note[v] = NULL;
    if (off) {
        char why[160];
        snprintf(why, sizeof why, "its agent found %d of the %d GPUs the config gives it",
                 found < 0 ? 0 : found, want);
        c->node_gpu_note[v] = strdup(why);
    }
    if (topo->n_gpu_off_mask[v] == off)
        return;
    json_t *b = json_pack("{s:s, s:I}", "node", gt_topo_name(topo, v), "off", (json_int_t)off);
    gt_error err;
    if (b && ctld_do(c, t, "gpus", b, &err) == GT_E_OK) {
        if (off)
            ctld_log_at(c, GT_LOG_WARNING, "node %s is degraded: %s; GPUs %d-%d are off",
                        gt_topo_name(topo, v), c->node_gpu_note[v] ? c->node_gpu_note[v] : "",
                        found < 0 ? 0 : found, want - 1);
        else
            ctld_log(c, "node %s has all its GPUs again", gt_topo_name(topo, v));
    }
    json_decref(b);
}

/* A pool node that comes back under a slot's name that is no longer bound (it left its
 * pool: gantry node remove): told 410, on which its agent stops. */
static int left_pool(gt_ctld *c, ctld_req *r) {
    const gt_topo *t = gt_sched_topo(c->sched);
    for (uint32_t i = 0; i < r->reg.nnodes; i++) {
        const gt_proto_node *n = &r->reg.nodes[i];
        uint32_t v = n->pool ? gt_topo_find(t, n->name) : GT_NONE;
        if (v == GT_NONE || !gt_topo_is_node(t, v) || !t->n_pool[v] || c->slot_as[v])
            continue;
        r->status = 410;
        r->out = ctld_error_body(GT_E_STATE, "nodes",
                                 "this node left its pool (gantry node remove); stop the agent");
        return 1;
    }
    return 0;
}

void ctld_exec_register(gt_ctld *c, ctld_req *r, int64_t t) {
    gt_error err = {0};
    uint32_t *v = NULL, n = 0;
    if (left_pool(c, r))
        return;
    if (register_nodes(c, r->who, &r->reg, &v, &n, &err)) {
        if (err.code == GT_E_FORBIDDEN)
            ctld_log_at(c, GT_LOG_WARNING, "agent %.63s refused: %s", r->reg.agent, err.msg);
        ctld_answer_err(r, &err);
        return;
    }
    ctld_agent *a = agent_new(&r->reg, r->who, v, n);
    int32_t idx = a ? agent_add(c, a) : -1;
    if (idx < 0) {
        if (a)
            free(a->nodes), free(a);
        else
            free(v);
        gt_fail(&err, GT_E_NOMEM, "agent", "out of memory");
        ctld_answer_err(r, &err);
        return;
    }
    const gt_topo *topo = gt_sched_topo(c->sched);
    for (uint32_t i = 0; i < n; i++) {
        int32_t old = c->node_agent[v[i]];
        c->node_agent[v[i]] = idx;
        if (old >= 0 && old != idx) {
            c->agents[old]->alive = 0; /* superseded by this registration */
            agent_gone(c->agents[old]);
        }
        if (ctld_node_state(c, v[i]) == GT_NODE_DOWN) {
            json_t *b = json_pack("{s:s}", "node", gt_topo_name(topo, v[i]));
            ctld_do(c, t, "up", b, &err);
            json_decref(b);
        }
        gpus_found(c, v[i], r->reg.nodes[i].gpus, t);
        if (r->reg.nodes[i].pool)
            ctld_pool_bind(c, v[i], r->reg.nodes[i].name, t);
    }
    ctld_log(c, "agent %s registered %u node(s), session %llu, protocol %u", a->id, n,
             (unsigned long long)a->session, r->reg.proto);
    r->out = welcome(c, idx, &r->reg);
    r->status = 200;
    if (!r->out) {
        gt_fail(&err, GT_E_NOMEM, "agent", "out of memory");
        ctld_answer_err(r, &err);
    }
}

/* ---- events (state thread) ---- */

/* A rank started: kept in memory only (the journal has the start decision), for the API. */
static void on_started(gt_ctld *c, const gt_proto_event *ev) {
    ctld_run *run = ctld_run_find(c, ev->job, ev->unit);
    if (run && run->gen == ev->gen && run->started < run->ranks)
        run->started++;
}

/* An end the agent caused (a time limit, a failed liveness probe, the memory limit) is a
 * failure even when the rank exits 0 on its SIGTERM. Other reasons only explain an exit
 * code or a signal (a note a rank's supervisor left, e.g. on a busy machine, does not turn
 * a clean exit into a failure). */
static int caused_end(const char *why) {
    static const char *const causes[] = {"TIMEOUT:", "LIVENESS:", "OUT_OF_MEMORY:", "HUNG:"};
    for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++)
        if (!strncmp(why, causes[i], strlen(causes[i])))
            return 1;
    return 0;
}

/* An exit of the report, to be applied and journaled with the others around it (one
 * "exits" entry, apply.c); "failed": an exit code, a signal, or an end the agent caused. */
static ctld_exit exit_of(const gt_proto_event *ev) {
    const char *why = ev->reason ? ev->reason : "";
    return (ctld_exit){.job = ev->job,
                       .unit = ev->unit,
                       .gen = ev->gen,
                       .rank = (int32_t)ev->rank,
                       .code = ev->exit_code,
                       .sig = ev->signal,
                       .ranks = (int32_t)ev->ranks,
                       .failed = ev->exit_code || ev->signal || caused_end(why),
                       .reason = why};
}

/* Event i of the report refused (agent_auth.c): into the answer's "refused", and logged
 * (the first of a report in full, the count at the end). */
static void refuse(gt_ctld *c, const ctld_agent *a, json_t **refused, size_t i,
                   const gt_proto_event *ev, const char *why) {
    if (!*refused) {
        *refused = json_array();
        ctld_log_at(c, GT_LOG_WARNING, "agent %s reported about job %u unit %u: refused, %s", a->id,
                    ev->job, ev->unit, why);
    }
    json_array_append_new(*refused, json_pack("{s:I, s:I, s:I, s:s}", "index", (json_int_t)i, "job",
                                              (json_int_t)ev->job, "unit", (json_int_t)ev->unit,
                                              "reason", why));
}

/* The answer to a report: {} or {"refused": [{"index", "job", "unit", "reason"}, ...]}. */
static void events_answer(gt_ctld *c, ctld_req *r, const ctld_agent *a, json_t *refused) {
    if (refused && json_array_size(refused) > 1)
        ctld_log_at(c, GT_LOG_WARNING, "agent %s: %zu of the %zu events of its report refused",
                    a->id, json_array_size(refused), r->evs.nevents);
    ctld_answer_json(r, 200, refused ? json_pack("{s:o}", "refused", refused) : json_object());
}

void ctld_exec_events(gt_ctld *c, ctld_req *r, int64_t t) {
    gt_error err;
    const ctld_agent *a = ctld_agent_of(c, r->who, r->evs.agent, r->evs.session, &err);
    if (!a) {
        ctld_answer_err(r, &err);
        return;
    }
    /* consecutive exits go as one batch; without memory for it, one at a time */
    ctld_exit one, *batch = malloc((r->evs.nevents ? r->evs.nevents : 1) * sizeof *batch);
    size_t cap = batch ? r->evs.nevents : 1, n = 0;
    ctld_exit *buf = batch ? batch : &one;
    json_t *refused = NULL;
    char why[200];
    for (size_t i = 0; i < r->evs.nevents && !c->failed; i++) {
        const gt_proto_event *ev = &r->evs.events[i];
        if (ctld_event_foreign(c, a, ev, why, sizeof why)) {
            refuse(c, a, &refused, i, ev, why);
            continue;
        }
        if (ev->kind == GT_PROTO_EV_EXITED) {
            buf[n++] = exit_of(ev);
            if (n == cap) {
                ctld_exits(c, t, buf, n, &err);
                n = 0;
            }
            continue;
        }
        if (n) /* what came before this event is applied before it */
            ctld_exits(c, t, buf, n, &err);
        n = 0;
        if (ev->kind == GT_PROTO_EV_STARTED) {
            on_started(c, ev);
            ctld_service_started(c, ev, t);
        } else if (ev->kind == GT_PROTO_EV_METRIC) {
            ctld_service_metric(c, ev, t);
        } else if (ev->kind == GT_PROTO_EV_PORT) {
            ctld_service_port(c, ev, t);
        } else {
            ctld_service_ready(c, ev, t);
        }
    }
    if (n && !c->failed)
        ctld_exits(c, t, buf, n, &err);
    free(batch);
    events_answer(c, r, a, refused);
}

/* ---- timer (state thread): silent agents and orphan nodes go down ---- */

static void node_down(gt_ctld *c, uint32_t v, int64_t t) {
    if (ctld_node_state(c, v) == GT_NODE_DOWN)
        return;
    gt_error err;
    json_t *b = json_pack("{s:s}", "node", gt_topo_name(gt_sched_topo(c->sched), v));
    ctld_do(c, t, "down", b, &err);
    json_decref(b);
    ctld_log_at(c, GT_LOG_NOTICE, "node %s down: no heartbeat",
                gt_topo_name(gt_sched_topo(c->sched), v));
}

void ctld_agents_check(gt_ctld *c, int64_t now_mono, int64_t t) {
    /* Every round would walk every agent and node (10,000 each) up to a thousand times a
     * second under load; timeouts of seconds need no finer check than this. */
    if (now_mono < c->next_agents_check)
        return;
    c->next_agents_check = now_mono + AGENTS_CHECK_MS;
    int64_t limit = (int64_t)c->server.node_timeout_s * 1000;
    for (uint32_t i = 0; i < c->nagents; i++) {
        ctld_agent *a = c->agents[i];
        pthread_mutex_lock(&a->mu);
        int due = a->waiter && now_mono >= a->waiter_deadline;
        pthread_mutex_unlock(&a->mu);
        if (due)
            wake_waiter(a, 1);
        if (!a->alive || now_mono - atomic_load(&a->last_seen) <= limit)
            continue;
        a->alive = 0;
        agent_gone(a);
        for (uint32_t k = 0; k < a->nnodes; k++)
            if (c->node_agent[a->nodes[k]] == (int32_t)i) {
                c->node_agent[a->nodes[k]] = -1;
                node_down(c, a->nodes[k], t);
            }
    }
    if (now_mono - c->boot_mono <= limit)
        return;
    const gt_topo *topo = gt_sched_topo(c->sched);
    for (uint32_t v = 0; v < topo->nv; v++)
        if (topo->level[v] == topo->nlevels - 1 && c->node_agent[v] < 0)
            node_down(c, v, t);
}

/* ---- HTTP threads ---- */

static void http_error(gt_http_resp *resp, const gt_error *e) {
    resp->status = gt_err_http(e->code);
    resp->body = ctld_error_body(e->code, e->where, e->msg);
    resp->len = resp->body ? strlen(resp->body) : 0;
}

static void unknown_agent(gt_http_resp *resp) {
    resp->status = 404;
    const char *m = "{\"error\":{\"code\":\"unknown_agent\",\"message\":\"no such agent session; "
                    "register again\",\"where\":\"session\"}}";
    resp->body = strdup(m);
    resp->len = resp->body ? strlen(m) : 0;
}

void ctld_agent_heartbeat(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp) {
    gt_proto_heartbeat hb;
    gt_error err = {0};
    if (gt_proto_heartbeat_decode(req->body, req->body_len, &hb, &err)) {
        http_error(resp, &err);
        return;
    }
    ctld_agent *a = ctld_agent_of(c, r->who, hb.agent, hb.session, &err);
    gt_proto_heartbeat_free(&hb);
    if (!a && err.code != GT_E_NOT_FOUND) {
        http_error(resp, &err);
        return;
    }
    int gone = 1, removed = 0;
    if (a) {
        pthread_mutex_lock(&a->mu);
        gone = a->gone;
        removed = a->removed;
        pthread_mutex_unlock(&a->mu);
    }
    if (removed) { /* its node left its pool (gantry node remove): it should stop */
        resp->status = 410;
        resp->body = ctld_error_body(GT_E_STATE, "node", "its node left its pool; stop the agent");
        resp->len = resp->body ? strlen(resp->body) : 0;
        return;
    }
    if (gone) {
        unknown_agent(resp);
        return;
    }
    atomic_store(&a->last_seen, gt_clock_mono_ms());
    resp->body = strdup("{}");
    resp->len = resp->body ? 2 : 0;
}

static uint64_t query_u64(const gt_http_req *req, const char *key, uint64_t def) {
    const char *s = gt_http_query(req, key);
    if (!s || !*s)
        return def;
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    return *end ? def : (uint64_t)x;
}

/* Free the items the agent acknowledged (seq <= since). a->mu held. */
static void drop_acked(ctld_agent *a, uint64_t since) {
    while (a->head && a->head->seq <= since) {
        ctld_item *it = a->head;
        a->head = it->next;
        if (!a->head)
            a->tail = NULL;
        free(it->json);
        free(it);
    }
}

/* Without a server to park the request on (the fake twin): wait here, up to wait_ms.
 * a->mu held. */
static void wait_here(ctld_agent *a, uint64_t since, int64_t wait_ms) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += wait_ms / 1000;
    dl.tv_nsec += (wait_ms % 1000) * 1000000;
    if (dl.tv_nsec >= 1000000000)
        dl.tv_sec++, dl.tv_nsec -= 1000000000;
    while (a->seq <= since && !a->gone)
        if (pthread_cond_timedwait(&a->cv, &a->mu, &dl))
            break;
}

/* The long-poll: items after `seq` at once when there are some, else the request is
 * parked (no thread waits) until wake_waiter answers it. A second poll of the same agent
 * answers the first one. */
void ctld_agent_poll(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp) {
    gt_error err;
    ctld_agent *a =
        ctld_agent_of(c, r->who, gt_http_query(req, "agent"), query_u64(req, "session", 0), &err);
    if (!a && err.code == GT_E_NOT_FOUND) {
        unknown_agent(resp);
        return;
    }
    if (!a) {
        http_error(resp, &err);
        return;
    }
    uint64_t since = query_u64(req, "seq", 0);
    uint64_t wait = query_u64(req, "wait", 25);
    int64_t wait_ms = (int64_t)(wait > 60 ? 60 : wait) * 1000;
    atomic_store(&a->last_seen, gt_clock_mono_ms());
    pthread_mutex_lock(&a->mu);
    if (a->gone) {
        pthread_mutex_unlock(&a->mu);
        unknown_agent(resp);
        return;
    }
    drop_acked(a, since);
    gt_http_later *l = a->seq <= since && wait_ms > 0 ? gt_http_defer(req) : NULL;
    if (l) {
        gt_http_later *old = a->waiter;
        char *old_body = old ? render_items(a, a->waiter_since) : NULL;
        a->waiter = l;
        a->waiter_since = since;
        a->waiter_deadline = gt_clock_mono_ms() + wait_ms;
        pthread_mutex_unlock(&a->mu);
        if (old) {
            gt_http_resp prev = {
                .status = 200, .body = old_body, .len = old_body ? strlen(old_body) : 0};
            gt_http_answer_later(old, &prev);
        }
        return;
    }
    if (a->seq <= since)
        wait_here(a, since, wait_ms);
    resp->body = render_items(a, since);
    pthread_mutex_unlock(&a->mu);
    resp->len = resp->body ? strlen(resp->body) : 0;
}
