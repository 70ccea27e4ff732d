/* SPDX-License-Identifier: MIT
 * The agent's main loop: register (again whenever the controller forgets the session),
 * apply assignment items from the poller, tick units, report exits. Two threads beside
 * it: the poller (long-polls assignments) and the heartbeat.
 * A controller that cannot be reached is retried; running ranks keep running meanwhile. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "core/config.h"
#include "sys/clock.h"
#include "sys/hw.h"
#include "sys/notify.h"
#include "util/vec.h"

static volatile sig_atomic_t stop_flag;

void gt_agent_stop(void) {
    stop_flag = 1;
}

int agent_path(char *out, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < size;
}

int64_t agent_now(void) {
    return gt_clock_mono_ms();
}

int64_t agent_clock(const agent *a) {
    return a->clock ? a->clock() : agent_now();
}

int64_t agent_wall_s(void) {
    return gt_clock_wall_ms() / 1000;
}

void agent_log(const agent *a, const char *fmt, ...) {
    if (a->o.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    gt_vlog(GT_LOG_INFO, "gantry-agent", fmt, ap);
    va_end(ap);
}

void agent_log_at(const agent *a, gt_log_level level, const char *fmt, ...) {
    if (a->o.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    gt_vlog(level, "gantry-agent", fmt, ap);
    va_end(ap);
}

/* ---- talking to the controller ---- */

/* A refusal that retrying soon will not change (the controller speaks another protocol
 * version): wait this long before the next registration, and say why each time. */
#define REFUSED_RETRY_MS 10000

/* Nodes that joined a pool are the slots gantryd bound them to: their names from now on,
 * kept for the next start. */
static void renamed(agent *a, const gt_proto_welcome *w) {
    for (size_t i = 0; i < w->nrenames; i++)
        for (uint32_t k = 0; k < a->reg.nnodes; k++) {
            gt_proto_node *n = &a->reg.nodes[k];
            char *to = strdup(w->renames[i].to);
            if (strcmp(n->name, w->renames[i].from) || !to) {
                free(to);
                continue;
            }
            if (strcmp(a->pool_node, to))
                agent_log(a, "node %s joined pool %s as %s", n->name, n->pool ? n->pool : "?", to);
            free(n->name);
            n->name = to;
            snprintf(a->pool_node, sizeof a->pool_node, "%s", to);
        }
}

static void registered(agent *a, gt_proto_welcome *w) {
    renamed(a, w);
    a->session = w->session;
    a->proto = w->proto;
    agent_units_reconcile(a, w->items, w->nitems);
    agent_probes_resend(a);
    pthread_mutex_lock(&a->mu);
    a->heartbeat_s = w->heartbeat_s;
    a->lease_ms = (int64_t)w->lease_s * 1000;
    a->contact_ms = agent_now();
    a->fenced = 0;
    a->psession = a->session;
    snprintf(a->logs_key, sizeof a->logs_key, "%s", w->logs_key ? w->logs_key : "");
    a->seq = w->seq;
    a->need_register = 0;
    for (size_t i = 0; i < a->nqueue; i++)
        gt_proto_item_free(&a->queue[i]);
    a->nqueue = 0;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    agent_log(a, "registered %u node(s) with %s (protocol %u)", a->reg.nnodes, a->o.server,
              w->proto);
    if (!a->notified) { /* set up and registered: a unit of Type=notify is started */
        char status[400];
        snprintf(status, sizeof status, "registered %u node(s) with %s", a->reg.nnodes,
                 a->o.server);
        a->notified = 1;
        gt_notify_ready(status);
    }
}

/* The welcome's body: registered, or why not (logged). */
static void welcome(agent *a, const gt_http_answer *ans) {
    gt_proto_welcome w;
    gt_error err = {0};
    if (gt_proto_welcome_decode(ans->body, ans->len, &w, &err) ||
        gt_proto_check_version(w.proto, "gantryd", &err)) {
        agent_log_at(a, GT_LOG_WARNING, "cannot use the registration's answer: %s: %s; retrying",
                     err.where, err.msg);
        a->refused_until = agent_now() + REFUSED_RETRY_MS;
    } else {
        registered(a, &w);
    }
    gt_proto_welcome_free(&w);
}

static void do_register(agent *a) {
    if (agent_now() < a->refused_until)
        return;
    /* A pool node always asks under its own name: gantryd finds the slot it is bound to by
     * that name (or binds a free one), and says the slot's name again in the welcome. */
    for (uint32_t k = 0; a->o.pool && k < a->reg.nnodes; k++) {
        char *own = a->reg.nodes[k].pool ? strdup(a->o.node) : NULL;
        if (own) {
            free(a->reg.nodes[k].name);
            a->reg.nodes[k].name = own;
        }
    }
    char url[300], *body = gt_proto_register_encode(&a->reg);
    snprintf(url, sizeof url, "%s/v1/agent/register", a->o.server);
    gt_http_answer ans;
    gt_error err;
    if (!body || gt_http_call(a->http, "POST", url, body, 60000, &ans, &err) != GT_E_OK) {
        free(body);
        return;
    }
    free(body);
    if (ans.status == 200) {
        welcome(a, &ans);
    } else if (ans.status == 410) { /* its node left its pool (gantry node remove) */
        agent_log_at(a, GT_LOG_WARNING, "this node left its pool; stopping");
        gt_agent_stop();
    } else {
        /* 409: another protocol version (the body says which side to upgrade) */
        agent_log_at(a, GT_LOG_WARNING, "registration refused (%d): %.*s; retrying", ans.status,
                     (int)ans.len, ans.body ? ans.body : "");
        if (ans.status == 409)
            a->refused_until = agent_now() + REFUSED_RETRY_MS;
    }
    gt_http_answer_free(&ans);
}

static void lost_session(agent *a) {
    pthread_mutex_lock(&a->mu);
    a->need_register = 1;
    a->psession = 0;
    pthread_mutex_unlock(&a->mu);
}

/* Each part the controller takes is acknowledged at once (events.c). */
static void send_events(agent *a) {
    if (!a->ev.nevents)
        return;
    int st = agent_events_send(a, 30000);
    if (st == 404)
        lost_session(a);
}

/* ---- the heartbeat thread: liveness must not wait for the main loop (spawning many
 * ranks, or an events call queued behind a busy controller, can take seconds) ---- */

void agent_timed_wait(agent *a, int64_t ms) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L)
        dl.tv_sec++, dl.tv_nsec -= 1000000000L;
    pthread_cond_timedwait(&a->cv, &a->mu, &dl);
}

void *agent_heartbeat_main(void *arg) {
    agent *a = arg;
    gt_http_client *h = gt_http_client_new(a->o.token);
    if (h)
        gt_http_client_abort_on(h, &a->abort_poll);
    char url[300];
    snprintf(url, sizeof url, "%s/v1/agent/heartbeat", a->o.server);
    pthread_mutex_lock(&a->mu);
    while (!a->stop) {
        uint64_t session = a->psession;
        int period = a->heartbeat_s > 0 ? a->heartbeat_s : 5;
        if (session && h) {
            gt_proto_heartbeat hb = {a->id, session};
            char *body = gt_proto_heartbeat_encode(&hb);
            pthread_mutex_unlock(&a->mu);
            gt_http_answer ans;
            gt_error err;
            int st = body && gt_http_call(h, "POST", url, body, 10000, &ans, &err) == GT_E_OK
                         ? ans.status
                         : 0;
            if (st)
                gt_http_answer_free(&ans);
            free(body);
            pthread_mutex_lock(&a->mu);
            if (st) /* any answer: the controller is there (a 404: it forgot us) */
                a->contact_ms = agent_now(), a->fenced = 0;
            if (st == 410) { /* its node left its pool (gantry node remove) */
                pthread_mutex_unlock(&a->mu);
                agent_log_at(a, GT_LOG_WARNING, "this node left its pool; stopping");
                gt_agent_stop();
                pthread_mutex_lock(&a->mu);
            }
            if (st == 404 && session == a->psession)
                a->need_register = 1, a->psession = 0;
        }
        /* The cv is shared (the poller broadcasts on every batch of items): wait out the
         * whole period, not just until the next wake-up. */
        int64_t until = agent_now() + (session ? period * 1000 : 200);
        while (!a->stop && agent_now() < until && (session || !a->psession))
            agent_timed_wait(a, until - agent_now());
    }
    pthread_mutex_unlock(&a->mu);
    gt_http_client_free(h);
    return NULL;
}

/* ---- the poller thread ---- */

/* Move a batch's items to the main loop's queue (a->mu held); 0 when out of memory, and
 * then the agent registers again (its welcome brings the full set). */
static int queue_items(agent *a, gt_proto_batch *b) {
    a->seq = b->seq;
    if (!b->nitems)
        return 1;
    if (!gt_vec_reserve((void **)&a->queue, &a->queue_cap, a->nqueue + b->nitems,
                        sizeof *a->queue)) {
        a->need_register = 1, a->psession = 0;
        return 0;
    }
    memcpy(a->queue + a->nqueue, b->items, b->nitems * sizeof *b->items);
    a->nqueue += b->nitems;
    b->nitems = 0; /* moved */
    return 1;
}

void *agent_poller_main(void *arg) {
    agent *a = arg;
    gt_http_client *h = gt_http_client_new(a->o.token);
    if (h)
        gt_http_client_abort_on(h, &a->abort_poll);
    pthread_mutex_lock(&a->mu);
    while (!a->stop) {
        if (!a->psession) {
            pthread_cond_wait(&a->cv, &a->mu);
            continue;
        }
        char url[400];
        snprintf(url, sizeof url, "%s/v1/agent/assignments?agent=%s&session=%llu&seq=%llu&wait=20",
                 a->o.server, a->id, (unsigned long long)a->psession, (unsigned long long)a->seq);
        uint64_t session = a->psession;
        pthread_mutex_unlock(&a->mu);
        gt_http_answer ans;
        gt_error err = {0};
        int ok = h && gt_http_call(h, "GET", url, NULL, 30000, &ans, &err) == GT_E_OK;
        int status = ok ? ans.status : 0, bad = 0;
        gt_proto_batch b = {0};
        if (status == 200 && gt_proto_batch_decode(ans.body, ans.len, &b, &err)) {
            agent_log_at(a, GT_LOG_WARNING, "cannot read assignments: %s: %s; registering again",
                         err.where, err.msg);
            bad = 1;
        }
        if (ok)
            gt_http_answer_free(&ans);
        if (!ok)
            sleep(1);
        pthread_mutex_lock(&a->mu);
        if (session != a->psession) {
            gt_proto_batch_free(&b);
            continue;
        }
        if (status == 404 || bad) /* a full set comes with the next registration */
            a->need_register = 1, a->psession = 0;
        if (status == 200 && !bad && queue_items(a, &b))
            pthread_cond_broadcast(&a->cv);
        gt_proto_batch_free(&b);
    }
    pthread_mutex_unlock(&a->mu);
    gt_http_client_free(h);
    return NULL;
}

/* ---- main loop ---- */

/* Fencing. A controller that has not answered for its lease (node_timeout - heartbeat)
 * is about to mark these nodes down and start their units elsewhere: stop them now (no
 * grace: the new generation must not meet the old one), so that two generations of a job
 * never run at once. Said once; registering again ends it. A controller that is only
 * restarting does the same to running work when it stays away that long. */
static void fence(agent *a) {
    pthread_mutex_lock(&a->mu);
    int64_t lease = a->lease_ms, since = agent_now() - a->contact_ms;
    int due = lease > 0 && a->contact_ms > 0 && since > lease && !a->fenced;
    if (due)
        a->fenced = 1;
    pthread_mutex_unlock(&a->mu);
    if (!due)
        return;
    size_t n = 0;
    for (size_t i = 0; i < a->nunits; i++) {
        a_unit *u = a->units[i];
        if (u->stopping && u->fenced)
            continue;
        u->fenced = 1;
        agent_unit_stop(a, u, 0);
        n++;
    }
    pthread_mutex_lock(&a->mu);
    a->stats.fenced_total++;
    pthread_mutex_unlock(&a->mu);
    agent_log_at(a, GT_LOG_WARNING,
                 "no answer from the controller for %.1f s (lease %.0f s): stopped %zu unit(s), "
                 "which it starts elsewhere",
                 (double)since / 1000.0, (double)lease / 1000.0, n);
}

/* The job's own grace_s, else the stop's (the scheduler's preemption grace), else 10 s. */
static int64_t stop_grace(const a_unit *u, const gt_proto_stop *stop) {
    if (u->start.launch.grace_ms >= 0 || stop->grace_ms < 0)
        return u->grace_ms;
    return stop->grace_ms;
}

static void apply_items(agent *a) {
    pthread_mutex_lock(&a->mu);
    gt_proto_item *q = a->queue;
    size_t n = a->nqueue;
    a->queue = NULL;
    a->nqueue = a->queue_cap = 0;
    pthread_mutex_unlock(&a->mu);
    for (size_t i = 0; i < n; i++) {
        if (q[i].kind == GT_PROTO_ITEM_START) {
            agent_unit_start(a, &q[i].start);
            continue;
        }
        const gt_proto_stop *st = &q[i].stop;
        a_unit *u = agent_unit_find(a, st->job, st->unit, st->gen, st->node);
        if (u && !u->stopping)
            agent_unit_stop(a, u, stop_grace(u, st));
        else if (!u)
            agent_units_drop_deferred(a, st);
    }
    for (size_t i = 0; i < n; i++)
        gt_proto_item_free(&q[i]);
    free(q);
}

/* ---- the reaper thread: a rank's supervisor that ends (SIGCHLD) wakes the main loop at
 * once, so exits are seen and reported without waiting for the next tick ---- */

void *agent_reaper_main(void *arg) {
    agent *a = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    while (!stop_flag) {
        int sig;
        if (sigwait(&set, &sig) != 0)
            continue;
        pthread_mutex_lock(&a->mu);
        a->kick = 1;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
    }
    return NULL;
}

static void wait_a_little(agent *a, int ms) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_nsec += ms * 1000000L;
    if (dl.tv_nsec >= 1000000000L)
        dl.tv_sec++, dl.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&a->mu);
    if (!a->nqueue && !stop_flag && !a->kick)
        pthread_cond_timedwait(&a->cv, &a->mu, &dl);
    a->kick = 0;
    pthread_mutex_unlock(&a->mu);
}

static void loop(agent *a) {
    int64_t next_gc = 0;
    while (!stop_flag) {
        pthread_mutex_lock(&a->mu);
        int reg = a->need_register;
        pthread_mutex_unlock(&a->mu);
        if (reg)
            do_register(a);
        apply_items(a);
        fence(a);
        agent_units_tick(a);
        agent_probes_tick(a);
        agent_units_start_deferred(a);
        agent_stats_update(a);
        if (!reg || !a->need_register)
            send_events(a);
        if (agent_now() >= next_gc) {
            agent_units_gc(a);
            next_gc = agent_now() + 1000;
        }
        agent_records_expire(
            a); /* every round (about 10 a second when idle): keeps up with starts */
        pthread_mutex_lock(&a->mu);
        reg = a->need_register;
        pthread_mutex_unlock(&a->mu);
        wait_a_little(a, reg ? 1000 : 100);
    }
}

int agent_setup(agent *a, const gt_agent_opts *o);

int gt_agent_main(const gt_agent_opts *o) {
    agent a;
    memset(&a, 0, sizeof a);
    if (!agent_setup(&a, o))
        return 1;
    loop(&a);
    if (a.notified)
        gt_notify_stopping();
    /* Units that have ended leave no cgroup behind (up to 1 s for their last processes);
     * running ones keep running, to be adopted by the next agent. */
    for (int i = 0; i < 20; i++) {
        agent_units_tick(&a);
        if (!agent_units_releasing(&a))
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&a.mu);
    a.stop = 1;
    a.abort_poll = 1;
    pthread_cond_broadcast(&a.cv);
    pthread_mutex_unlock(&a.mu);
    pthread_join(a.poller, NULL);
    pthread_join(a.heartbeat, NULL);
    if (a.health_started)
        pthread_join(a.health, NULL);
    if (a.reaper_started) {
        pthread_kill(a.reaper, SIGCHLD); /* out of its sigwait: it sees stop_flag */
        pthread_join(a.reaper, NULL);
    }
    gt_http_stop(a.logs);
    agent_mps_stop(&a);
    agent_probers_stop(&a);
    agent_units_free(&a);
    agent_records_free(&a);
    agent_events_free(&a);
    for (size_t i = 0; i < a.nqueue; i++)
        gt_proto_item_free(&a.queue[i]);
    free(a.queue);
    gt_proto_register_free(&a.reg);
    gt_http_client_free(a.http);
    agent_log(&a, "stopped (running ranks keep running; a restarted agent adopts them)");
    return 0;
}
