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

int64_t agent_wall_s(void) {
    return gt_clock_wall_ms() / 1000;
}

void agent_log(const agent *a, const char *fmt, ...) {
    if (a->o.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gantry-agent: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- talking to the controller ---- */

static int call(agent *a, const char *method, const char *path, json_t *body, long timeout_ms,
                json_t **answer) {
    char url[300];
    snprintf(url, sizeof url, "%s%s", a->o.server, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    gt_http_answer ans;
    gt_error err;
    int status = 0;
    if (gt_http_call(a->http, method, url, text, timeout_ms, &ans, &err) == GT_E_OK) {
        status = ans.status;
        if (answer)
            *answer = json_loadb(ans.body, ans.len, 0, NULL);
        if (status >= 400 && status != 404)
            agent_log(a, "%s %s: %d %s", method, path, status, ans.body);
        gt_http_answer_free(&ans);
    }
    free(text);
    return status;
}

static void do_register(agent *a) {
    json_t *body = json_pack("{s:s, s:s, s:O}", "agent", a->id, "url", a->url, "nodes", a->nodes);
    json_t *ans = NULL;
    int st = call(a, "POST", "/v1/agent/register", body, 60000, &ans);
    json_decref(body);
    if (st == 200 && ans) {
        a->session = (uint64_t)json_integer_value(json_object_get(ans, "session"));
        units_reconcile(a, json_object_get(ans, "items"));
        pthread_mutex_lock(&a->mu);
        a->heartbeat_s = (int)json_integer_value(json_object_get(ans, "heartbeat_s"));
        a->psession = a->session;
        a->seq = (uint64_t)json_integer_value(json_object_get(ans, "seq"));
        a->need_register = 0;
        json_array_clear(a->queue);
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
        agent_log(a, "registered %zu node(s) with %s", json_array_size(a->nodes), a->o.server);
    } else if (st) {
        agent_log(a, "registration refused (%d); retrying", st);
    }
    json_decref(ans);
}

static void lost_session(agent *a) {
    pthread_mutex_lock(&a->mu);
    a->need_register = 1;
    a->psession = 0;
    pthread_mutex_unlock(&a->mu);
}

static void mark_reported(agent *a) {
    for (size_t i = 0; i < a->nunits; i++) {
        a_unit *u = a->units[i];
        int acked = 0;
        for (int k = 0; k < u->nranks; k++)
            if (u->ranks[k].reported == 2) {
                u->ranks[k].reported = 1;
                acked = 1;
            }
        if (acked)
            records_acked(a, u);
    }
}

static void send_events(agent *a) {
    if (!json_array_size(a->events))
        return;
    json_t *body = json_pack("{s:s, s:I, s:O}", "agent", a->id, "session", (json_int_t)a->session,
                             "events", a->events);
    int st = call(a, "POST", "/v1/agent/events", body, 30000, NULL);
    json_decref(body);
    if (st == 200) {
        json_array_clear(a->events);
        mark_reported(a);
    } else if (st == 404) {
        lost_session(a);
    }
}

/* ---- the heartbeat thread: liveness must not wait for the main loop (spawning many
 * ranks, or an events call queued behind a busy controller, can take seconds) ---- */

static void timed_wait(agent *a, int64_t ms) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L)
        dl.tv_sec++, dl.tv_nsec -= 1000000000L;
    pthread_cond_timedwait(&a->cv, &a->mu, &dl);
}

void *heartbeat_main_entry(void *arg) {
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
            char body[200];
            snprintf(body, sizeof body, "{\"agent\":\"%s\",\"session\":%llu}", a->id,
                     (unsigned long long)session);
            pthread_mutex_unlock(&a->mu);
            gt_http_answer ans;
            gt_error err;
            int st =
                gt_http_call(h, "POST", url, body, 10000, &ans, &err) == GT_E_OK ? ans.status : 0;
            if (st)
                gt_http_answer_free(&ans);
            pthread_mutex_lock(&a->mu);
            if (st == 404 && session == a->psession)
                a->need_register = 1, a->psession = 0;
        }
        /* The cv is shared (the poller broadcasts on every batch of items): wait out the
         * whole period, not just until the next wake-up. */
        int64_t until = agent_now() + (session ? period * 1000 : 200);
        while (!a->stop && agent_now() < until && (session || !a->psession))
            timed_wait(a, until - agent_now());
    }
    pthread_mutex_unlock(&a->mu);
    gt_http_client_free(h);
    return NULL;
}

/* ---- the poller thread ---- */

void *poller_main_entry(void *arg) {
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
        gt_error err;
        int ok = h && gt_http_call(h, "GET", url, NULL, 30000, &ans, &err) == GT_E_OK;
        json_t *o = ok && ans.status == 200 ? json_loadb(ans.body, ans.len, 0, NULL) : NULL;
        int status = ok ? ans.status : 0;
        if (ok)
            gt_http_answer_free(&ans);
        if (!ok)
            sleep(1);
        pthread_mutex_lock(&a->mu);
        if (session != a->psession) {
            json_decref(o);
            continue;
        }
        if (status == 404)
            a->need_register = 1, a->psession = 0;
        if (o) {
            a->seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
            json_array_extend(a->queue, json_object_get(o, "items"));
            pthread_cond_broadcast(&a->cv);
        }
        json_decref(o);
    }
    pthread_mutex_unlock(&a->mu);
    gt_http_client_free(h);
    return NULL;
}

/* ---- main loop ---- */

/* The job's own grace_s, else the stop's (the scheduler's preemption grace), else 10 s. */
static int64_t stop_grace(const a_unit *u, json_t *stop) {
    json_t *g = json_object_get(stop, "grace_s");
    if (json_is_number(json_object_get(u->item, "grace_s")) || !json_is_number(g))
        return u->grace_ms;
    return (int64_t)(json_number_value(g) * 1000);
}

static void apply_items(agent *a) {
    pthread_mutex_lock(&a->mu);
    json_t *q = a->queue;
    a->queue = json_array();
    pthread_mutex_unlock(&a->mu);
    size_t i;
    json_t *it;
    json_array_foreach(q, i, it) {
        const char *op = json_string_value(json_object_get(it, "op"));
        if (op && !strcmp(op, "start")) {
            unit_start(a, it);
            continue;
        }
        a_unit *u = unit_find(a, (uint32_t)json_integer_value(json_object_get(it, "job")),
                              (uint32_t)json_integer_value(json_object_get(it, "unit")),
                              (uint32_t)json_integer_value(json_object_get(it, "gen")),
                              json_string_value(json_object_get(it, "node"))
                                  ? json_string_value(json_object_get(it, "node"))
                                  : "");
        if (u && !u->stopping)
            unit_stop(a, u, stop_grace(u, it));
        else if (!u)
            units_drop_deferred(a, it);
    }
    json_decref(q);
}

/* ---- the reaper thread: a rank's supervisor that ends (SIGCHLD) wakes the main loop at
 * once, so exits are seen and reported without waiting for the next tick ---- */

void *reaper_main_entry(void *arg) {
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
    if (!json_array_size(a->queue) && !stop_flag && !a->kick)
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
        units_tick(a);
        units_start_deferred(a);
        if (!reg || !a->need_register)
            send_events(a);
        if (agent_now() >= next_gc) {
            units_gc(a);
            next_gc = agent_now() + 1000;
        }
        records_expire(a); /* every round (about 10 a second when idle): keeps up with starts */
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
    /* Units that have ended leave no cgroup behind (up to 1 s for their last processes);
     * running ones keep running, to be adopted by the next agent. */
    for (int i = 0; i < 20; i++) {
        units_tick(&a);
        if (!units_releasing(&a))
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
    if (a.reaper_started) {
        pthread_kill(a.reaper, SIGCHLD); /* out of its sigwait: it sees stop_flag */
        pthread_join(a.reaper, NULL);
    }
    gt_http_stop(a.logs);
    units_free(&a);
    records_free(&a);
    json_decref(a.events);
    json_decref(a.queue);
    json_decref(a.deferred);
    json_decref(a.nodes);
    gt_http_client_free(a.http);
    agent_log(&a, "stopped (running ranks keep running; a restarted agent adopts them)");
    return 0;
}
