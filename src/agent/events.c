/* SPDX-License-Identifier: MIT
 * Events the agent owes the controller: a rank started (its pid), ranks exited (how). They
 * queue in a->ev until a POST /v1/agent/events is answered 200; a lost session keeps them
 * for the next one, so no exit is ever dropped. Main loop only. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "util/vec.h"

/* Append ev (its strings copied); out of memory drops the event with a log line (the
 * controller learns of the exit again when the agent registers: it reconciles). */
static gt_proto_port *ports_copy(const a_unit *u, int *ok) {
    gt_proto_port *p = u->nports ? calloc(u->nports, sizeof *p) : NULL;
    *ok = !u->nports || p;
    for (uint32_t i = 0; p && i < u->nports; i++) {
        p[i].port = u->ports[i].port;
        if (!(p[i].name = strdup(u->ports[i].name)))
            *ok = 0;
    }
    return p;
}

static void ports_free(gt_proto_port *p, uint32_t n) {
    for (uint32_t i = 0; p && i < n; i++)
        free(p[i].name);
    free(p);
}

static void push(agent *a, gt_proto_event ev) {
    char *node = strdup(ev.node), *reason = strdup(ev.reason ? ev.reason : "");
    if (!node || !reason ||
        !gt_vec_reserve((void **)&a->ev.events, &a->ev_cap, a->ev.nevents + 1,
                        sizeof *a->ev.events)) {
        free(node);
        free(reason);
        ports_free(ev.ports, ev.nports);
        agent_log_at(a, GT_LOG_ERR, "out of memory: an event of job %u unit %u is lost", ev.job,
                     ev.unit);
        return;
    }
    ev.node = node;
    ev.reason = reason;
    a->ev.events[a->ev.nevents++] = ev;
}

void agent_events_started(agent *a, const a_unit *u, uint32_t rank, int64_t pid) {
    int ok;
    gt_proto_port *ports = ports_copy(u, &ok);
    if (!ok) {
        ports_free(ports, u->nports);
        agent_log_at(a, GT_LOG_ERR, "out of memory: job %u unit %u's ports go unreported", u->job,
                     u->unit);
        ports = NULL;
    }
    push(a, (gt_proto_event){.kind = GT_PROTO_EV_STARTED,
                             .ports = ports,
                             .nports = ports ? u->nports : 0,
                             .job = u->job,
                             .unit = u->unit,
                             .gen = u->gen,
                             .rank = rank,
                             .node = (char *)u->node,
                             .pid = pid});
}

void agent_events_exited(agent *a, const a_unit *u, uint32_t rank, const gt_proc_status *st,
                         const char *reason, int ranks) {
    push(a, (gt_proto_event){.kind = GT_PROTO_EV_EXITED,
                             .job = u->job,
                             .unit = u->unit,
                             .gen = u->gen,
                             .rank = rank,
                             .node = (char *)u->node,
                             .exit_code = st->exit_code,
                             .signal = st->signal,
                             .reason = (char *)reason,
                             .ranks = (uint32_t)ranks});
}

void agent_events_ready(agent *a, const a_unit *u, int ready, const char *detail) {
    if (a->proto < 2)
        return; /* a version 1 controller would refuse the whole report */
    push(a, (gt_proto_event){.kind = ready ? GT_PROTO_EV_READY : GT_PROTO_EV_UNREADY,
                             .job = u->job,
                             .unit = u->unit,
                             .gen = u->gen,
                             .rank = u->start.nranks ? u->start.ranks[0].rank : 0,
                             .node = (char *)u->node,
                             .reason = (char *)(ready ? "" : detail)});
}

void agent_events_port(agent *a, const a_unit *u, const char *why) {
    if (a->proto < 2)
        return;
    push(a, (gt_proto_event){.kind = GT_PROTO_EV_PORT,
                             .job = u->job,
                             .unit = u->unit,
                             .gen = u->gen,
                             .rank = u->start.nranks ? u->start.ranks[0].rank : 0,
                             .node = (char *)u->node,
                             .reason = (char *)why});
}

void agent_events_metric(agent *a, const a_unit *u, double value, const char *why) {
    if (a->proto < 2)
        return;
    push(a, (gt_proto_event){.kind = GT_PROTO_EV_METRIC,
                             .job = u->job,
                             .unit = u->unit,
                             .gen = u->gen,
                             .rank = u->start.nranks ? u->start.ranks[0].rank : 0,
                             .node = (char *)u->node,
                             .value = value,
                             .reason = (char *)(value < 0 ? why : "")});
}

/* Drop the first n events (sent). */
static void clear(agent *a, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(a->ev.events[i].node);
        free(a->ev.events[i].reason);
        ports_free(a->ev.events[i].ports, a->ev.events[i].nports);
    }
    if (n < a->ev.nevents)
        memmove(a->ev.events, a->ev.events + n, (a->ev.nevents - n) * sizeof *a->ev.events);
    a->ev.nevents -= n;
}

/* At most this many events a POST: an event is at most a few hundred bytes of JSON (a
 * reason is short), so a report stays well under gantryd's 4 MiB body limit however many
 * units one agent (or one emulating many nodes) ended since the last. */
#define EVENTS_PER_POST 4096

static int send_some(agent *a, long timeout_ms);

/* The controller took the first n events: the exits among them are acknowledged now, part
 * by part (a crash after one part of a long report must not send that part again: a
 * unit of several ranks would count a rank's exit twice). An exit event is one rank's (a
 * failure: `rank` is its number) or every queued rank of its unit that ended well
 * (units.c, report_exits). */
static void ack(agent *a, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const gt_proto_event *e = &a->ev.events[i];
        a_unit *u = e->kind == GT_PROTO_EV_EXITED
                        ? agent_unit_find(a, e->job, e->unit, e->gen, e->node)
                        : NULL;
        int acked = 0;
        for (int k = 0; u && k < u->nranks; k++) {
            const a_rank *r = &u->ranks[k];
            int mine = e->ranks > 1 ? r->st.exit_code == 0 && r->st.signal == 0
                                    : u->start.ranks[k].rank == e->rank;
            if (r->state == AGENT_RANK_QUEUED && mine) {
                agent_rank_to(&u->ranks[k], AGENT_RANK_ACKED);
                acked = 1;
            }
        }
        if (acked)
            agent_records_acked(a, u);
    }
}

int agent_events_send(agent *a, long timeout_ms) {
    int st = 200;
    while (a->ev.nevents && st == 200)
        st = send_some(a, timeout_ms);
    return st;
}

/* POST the first EVENTS_PER_POST events (or all); they are dropped once answered 200. */
static int send_some(agent *a, long timeout_ms) {
    size_t all = a->ev.nevents, n = all < EVENTS_PER_POST ? all : EVENTS_PER_POST;
    a->ev.agent = a->id;
    a->ev.session = a->session;
    a->ev.nevents = n; /* the encoder sends the first n */
    char *body = gt_proto_events_encode(&a->ev);
    a->ev.nevents = all;
    a->ev.agent = NULL; /* borrowed for the encoder */
    gt_http_answer ans;
    gt_error err;
    char url[300];
    snprintf(url, sizeof url, "%s/v1/agent/events", a->o.server);
    int st = 0;
    if (body && gt_http_call(a->http, "POST", url, body, timeout_ms, &ans, &err) == GT_E_OK) {
        st = ans.status;
        if (st >= 400 && st != 404)
            agent_log_at(a, GT_LOG_WARNING, "POST /v1/agent/events: %d %s", st, ans.body);
        gt_http_answer_free(&ans);
    }
    free(body);
    if (st == 200) {
        ack(a, n);
        clear(a, n);
    }
    return st;
}

void agent_events_free(agent *a) {
    clear(a, a->ev.nevents);
    free(a->ev.events);
    a->ev.events = NULL;
    a->ev_cap = 0;
}
