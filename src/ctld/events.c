/* SPDX-License-Identifier: MIT
 * Events (events.h): a ring of the latest CTLD_EVENTS_KEEP, each kept as its JSON text with
 * the tenant that may see it, and the long-polls waiting for the next one (parked on the
 * state thread like the endpoint watches). Sequence numbers are consecutive within a run
 * of gantryd, so an event's place in the ring is its number modulo the ring's size. */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "proto/json.h"
#include "sys/clock.h"
#include "util/strbuf.h"

#define NO_TENANT UINT32_MAX

static void ring_init(gt_ctld *c) {
    if (c->ev)
        return;
    c->ev = calloc(CTLD_EVENTS_KEEP, sizeof *c->ev);
    c->ev_base = c->ev_first = c->ev_next = (uint64_t)gt_clock_wall_ms() * 1000;
}

/* The time as the API writes it (ctld_time_json), for the run of events at one time. */
static const char *time_text(gt_ctld *c, int64_t t) {
    if (c->ev_time_ms != t || !c->ev_time_text[0]) {
        json_t *v = json_pack("[o]", ctld_time_json(t));
        char *s = v ? gt_json_dumps(v, JSON_COMPACT) : NULL; /* "[T]" */
        json_decref(v);
        size_t n = s ? strlen(s) : 0;
        if (n < 3 || n - 2 >= sizeof c->ev_time_text) {
            free(s);
            return "null";
        }
        memcpy(c->ev_time_text, s + 1, n - 2);
        c->ev_time_text[n - 2] = 0;
        c->ev_time_ms = t;
        free(s);
    }
    return c->ev_time_text;
}

/* Keep the event whose text m holds so far: "{" and its own members (none, or some, each
 * after a comma but the first); job, seq, time, type and "}" follow. Takes m's buffer. */
static void keep(gt_ctld *c, int64_t t, const char *type, uint32_t job, gt_sb *m) {
    ring_init(c);
    gt_job_info ji;
    uint32_t tenant = job != GT_NONE && gt_sched_job(c->sched, job, &ji) ? ji.tenant : NO_TENANT;
    if (job != GT_NONE) {
        gt_sb_puts(m, m->len > 1 ? ",\"job\":" : "\"job\":");
        gt_json_put_int(m, job);
    }
    gt_sb_puts(m, m->len > 1 ? ",\"seq\":" : "\"seq\":");
    gt_json_put_int(m, (json_int_t)c->ev_next);
    gt_sb_puts(m, ",\"time\":");
    gt_sb_puts(m, time_text(c, t));
    gt_sb_puts(m, ",\"type\":");
    gt_json_put_str(m, type, 1);
    gt_sb_putc(m, '}');
    char *text = gt_sb_take(m);
    if (!text || !c->ev) {
        free(text);
        return; /* out of memory: this one is not kept (the numbers stay consecutive) */
    }
    struct ctld_event *e = &c->ev[c->ev_next % CTLD_EVENTS_KEEP];
    free(e->text);
    *e = (struct ctld_event){c->ev_next, tenant, job, text};
    c->ev_next++;
    if (c->ev_next - c->ev_first > CTLD_EVENTS_KEEP)
        c->ev_first = c->ev_next - CTLD_EVENTS_KEEP;
}

void ctld_event(gt_ctld *c, int64_t t, const char *type, uint32_t job, json_t *fields) {
    if (c->replaying) {
        json_decref(fields);
        return;
    }
    char *s = fields ? gt_json_dumps(fields, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(fields);
    size_t n = s ? strlen(s) : 0;
    gt_sb m;
    gt_sb_init(&m);
    gt_sb_putc(&m, '{');
    if (n >= 2)
        gt_sb_putn(&m, s + 1, n - 2); /* its members */
    free(s);
    keep(c, t, type, job, &m);
}

/* A unit's events, written by hand: a task array makes two a task, tens of thousands a
 * second. Members in the order the other events' have: their own, then job, seq, time,
 * type. */
/* A new buffer with a unit's first members: {"unit":U,"gen":G */
static void unit_members(gt_sb *m, uint32_t unit, uint32_t gen) {
    gt_sb_init(m);
    gt_sb_puts(m, "{\"unit\":");
    gt_json_put_int(m, unit);
    gt_sb_puts(m, ",\"gen\":");
    gt_json_put_int(m, gen);
}

void ctld_event_unit_started(gt_ctld *c, int64_t t, uint32_t job, uint32_t unit, uint32_t gen,
                             const uint32_t *nodes, uint32_t nnodes) {
    if (c->replaying)
        return;
    gt_sb m;
    unit_members(&m, unit, gen);
    gt_sb_puts(&m, ",\"nodes\":[");
    for (uint32_t k = 0; k < nnodes; k++) {
        if (k)
            gt_sb_putc(&m, ',');
        gt_json_put_str(&m, gt_topo_name(gt_sched_topo(c->sched), nodes[k]), 1);
    }
    gt_sb_putc(&m, ']');
    keep(c, t, "unit_started", job, &m);
}

void ctld_event_unit_ended(gt_ctld *c, int64_t t, uint32_t job, uint32_t unit, uint32_t gen,
                           const char *state, const ctld_unit_end *how) {
    if (c->replaying)
        return;
    gt_sb m;
    unit_members(&m, unit, gen);
    gt_sb_puts(&m, ",\"state\":");
    gt_json_put_str(&m, state, 1);
    if (how->why) {
        gt_sb_puts(&m, ",\"why\":");
        gt_json_put_str(&m, how->why, 1);
    } else {
        gt_sb_puts(&m, ",\"exit_code\":");
        gt_json_put_int(&m, how->exit_code);
        gt_sb_puts(&m, ",\"signal\":");
        gt_json_put_int(&m, how->signal);
        if (how->reason) {
            gt_sb_puts(&m, ",\"reason\":");
            if (gt_json_put_str(&m, how->reason, 1))
                gt_sb_puts(&m, "\"?\""); /* (not UTF-8: the agent cleans reasons) */
        }
    }
    keep(c, t, "unit_ended", job, &m);
}

void ctld_event_job(gt_ctld *c, uint32_t job, int64_t t) {
    gt_job_info ji;
    if (c->replaying || job >= c->njobs || !gt_sched_job(c->sched, job, &ji))
        return;
    ctld_job *jb = &c->jobs[job];
    if (jb->ev_state == (uint8_t)ji.state + 1)
        return;
    json_t *o = json_pack("{s:s}", "state", ctld_job_state_name((int)ji.state));
    if (o && jb->ev_state)
        json_object_set_new(o, "from", json_string(ctld_job_state_name(jb->ev_state - 1)));
    char why[200];
    const char *failure = ctld_job_failure(c, job, why, sizeof why);
    if (o && failure)
        json_object_set_new(o, "failure", json_string(failure));
    jb->ev_state = (uint8_t)ji.state + 1;
    ctld_event(c, t, "job", job, o);
}

/* ---- GET /v1/events ---- */

typedef struct {
    uint64_t since;
    uint32_t limit, job, tenant; /* tenant: the caller's (NO_TENANT: an admin, who sees all) */
} query_t;

static query_t query_of(gt_ctld *c, const ctld_req *r) {
    query_t q = {(uint64_t)json_integer_value(json_object_get(r->body, "since")),
                 (uint32_t)json_integer_value(json_object_get(r->body, "limit")), GT_NONE,
                 NO_TENANT};
    json_t *j = json_object_get(r->body, "job");
    if (j)
        q.job = (uint32_t)json_integer_value(j);
    if (r->who && r->who->role != ROLE_ADMIN) {
        q.tenant = NO_TENANT - 1; /* a tenant with no jobs yet: node events only */
        for (uint32_t i = 0; i < gt_sched_ntenants(c->sched); i++) {
            gt_tenant_info ti;
            if (gt_sched_tenant(c->sched, i, &ti) && !strcmp(ti.name, r->who->tenant))
                q.tenant = i;
        }
    }
    return q;
}

static int visible(const struct ctld_event *e, const query_t *q) {
    if (q->tenant != NO_TENANT && e->tenant != NO_TENANT && e->tenant != q->tenant)
        return 0;
    return q->job == GT_NONE || e->job == q->job;
}

/* The first event after q->since (its place in the ring), and *lost as in events.h. */
static uint64_t first_after(gt_ctld *c, const query_t *q, uint64_t *lost) {
    ring_init(c);
    *lost =
        q->since + 1 < c->ev_first && q->since + 1 >= c->ev_base ? c->ev_first - (q->since + 1) : 0;
    return q->since + 1 > c->ev_first ? q->since + 1 : c->ev_first;
}

/* The events after q->since that the caller may see, at most q->limit: a JSON array of
 * their texts (built as text: they are kept as text); *next, *lost as in events.h. */
static char *collect(gt_ctld *c, const query_t *q, uint64_t *next, uint64_t *lost, size_t *n) {
    uint64_t from = first_after(c, q, lost);
    *n = 0;
    *next = c->ev_next - 1; /* (a since beyond it learns the latest number) */
    gt_sb b;
    gt_sb_init(&b);
    gt_sb_putc(&b, '[');
    for (uint64_t s = from; s < c->ev_next && *n < q->limit; s++) {
        const struct ctld_event *e = &c->ev[s % CTLD_EVENTS_KEEP];
        *next = s;
        if (!e->text || e->seq != s || !visible(e, q))
            continue;
        gt_sb_printf(&b, "%s%s", *n ? "," : "", e->text);
        (*n)++;
    }
    gt_sb_putc(&b, ']');
    if (b.oom) {
        gt_sb_free(&b);
        return NULL;
    }
    return gt_sb_take(&b);
}

static void answer(gt_ctld *c, ctld_req *r, const query_t *q) {
    uint64_t next, lost;
    size_t n;
    char *list = collect(c, q, &next, &lost, &n);
    gt_sb b;
    gt_sb_init(&b);
    gt_sb_printf(&b, "{\"events\":%s,\"next\":%llu,\"lost\":%llu}", list ? list : "[]",
                 (unsigned long long)next, (unsigned long long)lost);
    free(list);
    r->status = 200;
    r->out = b.oom ? NULL : gt_sb_take(&b);
    if (!r->out) {
        gt_sb_free(&b);
        r->status = 503;
        r->out = strdup("{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}");
    }
}

/* Whether an answer now would carry anything: a look, no text built (parked watches ask
 * this every round). */
static int has_news(gt_ctld *c, const query_t *q) {
    uint64_t lost, s = first_after(c, q, &lost);
    for (; !lost && s < c->ev_next; s++) {
        const struct ctld_event *e = &c->ev[s % CTLD_EVENTS_KEEP];
        if (e->text && e->seq == s && visible(e, q))
            return 1;
    }
    return lost > 0;
}

void ctld_exec_event_list(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    query_t q = query_of(c, r);
    int64_t secs = json_integer_value(json_object_get(r->body, "wait"));
    if (!r->later || secs <= 0 || has_news(c, &q)) {
        answer(c, r, &q);
        return;
    }
    r->deadline_mono = gt_clock_mono_ms() + secs * 1000;
    r->parked = 1;
    r->wnext = c->ev_watch;
    c->ev_watch = r;
}

void ctld_events_tick(gt_ctld *c, int64_t now_mono, int stopping) {
    ctld_req **pp = &c->ev_watch;
    while (*pp) {
        ctld_req *r = *pp;
        query_t q = query_of(c, r);
        if (!stopping && now_mono < r->deadline_mono && !has_news(c, &q)) {
            pp = &r->wnext;
            continue;
        }
        *pp = r->wnext;
        r->parked = 0;
        answer(c, r, &q);
        ctld_answer_parked(c, r);
    }
}

void ctld_events_free(gt_ctld *c) {
    for (size_t i = 0; c->ev && i < CTLD_EVENTS_KEEP; i++)
        free(c->ev[i].text);
    free(c->ev);
    c->ev = NULL;
}
