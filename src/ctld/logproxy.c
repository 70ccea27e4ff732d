/* SPDX-License-Identifier: MIT
 * The log proxy: `GET /v1/jobs/ID/logs` fetches the bytes from the agent of the node that
 * ran the rank. An agent that does not answer (hung, or its host gone) holds a fetch up to
 * LOGS_TIMEOUT_MS; that must not hold the HTTP server's threads, which every other request
 * needs. So a logs request is deferred (gt_http_defer) and handed to the proxy's own few
 * threads, which fetch and answer it later. At most LOGS_MAX_WAITING wait for them; more
 * are refused at once (503, try again). At most LOGS_PER_AGENT fetches go to one agent at
 * a time, so one hung agent holds no more than that many of the threads; one that let a
 * fetch time out is not tried again for LOGS_BACKOFF_MS (503 at once meanwhile). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "sys/clock.h"
#include "sys/http_client.h"
#include "util/secret.h"

#define LOGS_TIMEOUT_MS 10000
#define LOGS_MAX_WAITING 1024
#define LOGS_BACKOFF_MS 10000
#define LOGS_PER_AGENT 2

struct ctld_logfetch {
    struct ctld_logfetch *next;
    gt_http_later *later;
    char url[512];
    char key[72]; /* the agent's logs_key */
    int ended;    /* the rank has ended (the controller knows): done once all is read */
};

static void error_body(gt_http_resp *resp, int status, const char *code, const char *msg) {
    resp->status = status;
    if (asprintf(&resp->body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, msg) < 0)
        resp->body = NULL;
    resp->len = resp->body ? strlen(resp->body) : 0;
}

/* Fetch url with h and fill resp (200 with the bytes and the offset headers, or an error). */
static void fetch(gt_http_client *h, const char *url, int ended, gt_http_resp *resp) {
    gt_http_answer a;
    gt_error e;
    if (!h || gt_http_call(h, "GET", url, NULL, LOGS_TIMEOUT_MS, &a, &e)) {
        error_body(resp, 503, "unavailable", "cannot reach the agent of that node");
        return;
    }
    if (a.status != 200) {
        int st = a.status;
        gt_http_answer_free(&a);
        if (st == 404)
            error_body(resp, 404, "not_found",
                       "the node has no logs for that rank (its records were removed?)");
        else
            error_body(resp, 502, "unavailable", "the node's agent could not serve the logs");
        return;
    }
    resp->status = 200;
    resp->body = a.body;
    resp->len = a.len;
    resp->content_type = "text/plain";
    char v[32];
    snprintf(v, sizeof v, "%lld", a.offset);
    gt_http_resp_header(resp, "X-Gantry-Offset", v);
    gt_http_resp_header(resp, "X-Gantry-Done", a.done && ended ? "1" : "0");
}

/* The agent's address: url up to "/logs/". */
static size_t base_len(const char *url) {
    const char *l = strstr(url, "/logs/");
    return l ? (size_t)(l - url) : strlen(url);
}

/* The table entry of url's agent (p->mu held); NULL when it has none. */
static struct ctld_logagent *agent_of(ctld_logproxy *p, const char *url) {
    size_t n = base_len(url);
    for (int i = 0; i < CTLD_LOG_AGENTS; i++)
        if (p->agents[i].base && strlen(p->agents[i].base) == n &&
            !strncmp(p->agents[i].base, url, n))
            return &p->agents[i];
    return NULL;
}

/* url's agent's entry, made if need be in a slot with no fetch in flight (the one whose
 * back-off ended first); NULL if every slot has fetches in flight (cannot happen: there
 * are more slots than threads) or out of memory. */
static struct ctld_logagent *agent_entry(ctld_logproxy *p, const char *url) {
    struct ctld_logagent *a = agent_of(p, url), *slot = NULL;
    for (int i = 0; !a && i < CTLD_LOG_AGENTS; i++)
        if (!p->agents[i].inflight && (!slot || p->agents[i].off_until < slot->off_until))
            slot = &p->agents[i];
    if (a || !slot)
        return a;
    char *base = strndup(url, base_len(url));
    if (!base)
        return NULL;
    free(slot->base);
    slot->base = base;
    slot->off_until = 0;
    return slot;
}

/* The first waiting fetch whose agent has room for one more in flight; unlinked. */
static struct ctld_logfetch *take(ctld_logproxy *p) {
    for (struct ctld_logfetch **at = &p->head, *prev = NULL; *at; prev = *at, at = &(*at)->next) {
        struct ctld_logagent *a = agent_of(p, (*at)->url);
        if (!p->stop && a && a->inflight >= LOGS_PER_AGENT)
            continue;
        struct ctld_logfetch *f = *at;
        *at = f->next;
        if (p->tail == f)
            p->tail = prev;
        p->waiting--;
        return f;
    }
    return NULL;
}

static void *proxy_main(void *arg) {
    gt_ctld *c = arg;
    ctld_logproxy *p = &c->logproxy;
    gt_http_client *h = gt_http_client_new(NULL); /* one per thread: kept alive */
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct ctld_logfetch *f = take(p);
        if (!f && p->stop && !p->head)
            break;
        if (!f) {
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        int64_t t0 = gt_clock_mono_ms();
        struct ctld_logagent *a = p->stop ? NULL : agent_entry(p, f->url);
        int stop = p->stop, off = a && a->off_until > t0;
        if (a && !off)
            a->inflight++;
        pthread_mutex_unlock(&p->mu);
        gt_http_resp resp = {0};
        if (stop) /* the controller is stopping: answer what waits, fetch nothing more */
            error_body(&resp, 503, "unavailable", "the controller is stopping");
        else if (off)
            error_body(&resp, 503, "unavailable",
                       "the agent of that node did not answer just now; try again later");
        else if (!h || !gt_http_client_token(h, f->key))
            error_body(&resp, 503, "unavailable", "out of memory");
        else
            fetch(h, f->url, f->ended, &resp);
        gt_secret_wipe(f->key, sizeof f->key);
        /* no answer within half the time allowed: leave that agent alone for a while */
        int64_t t1 = gt_clock_mono_ms();
        int hung = a && !off && h && resp.status == 503 && t1 - t0 >= LOGS_TIMEOUT_MS / 2;
        gt_http_answer_later(f->later, &resp);
        free(f);
        pthread_mutex_lock(&p->mu);
        if (a && !off) {
            a->inflight--;
            if (hung)
                a->off_until = t1 + LOGS_BACKOFF_MS;
            pthread_cond_broadcast(&p->cv); /* fetches for that agent may go now */
        }
    }
    pthread_mutex_unlock(&p->mu);
    gt_http_client_free(h);
    return NULL;
}

int ctld_logproxy_start(gt_ctld *c, gt_error *err) {
    ctld_logproxy *p = &c->logproxy;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->started = 1;
    for (p->nthreads = 0; p->nthreads < CTLD_LOG_THREADS; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, proxy_main, c)) {
            gt_fail(err, GT_E_IO, "thread", "cannot start the log proxy's threads");
            return 0;
        }
    return 1;
}

void ctld_logproxy_stop(gt_ctld *c) {
    ctld_logproxy *p = &c->logproxy;
    if (!p->started)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
}

void ctld_logproxy_free(gt_ctld *c) {
    ctld_logproxy *p = &c->logproxy;
    if (!p->started)
        return;
    for (int i = 0; i < CTLD_LOG_AGENTS; i++)
        free(p->agents[i].base);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    memset(p, 0, sizeof *p);
}

void ctld_logproxy_fetch(gt_ctld *c, const gt_http_req *req, const char *url, const char *key,
                         int ended, gt_http_resp *resp) {
    ctld_logproxy *p = &c->logproxy;
    /* started is set before the HTTP server starts and cleared after it stopped */
    gt_http_later *later = p->started && p->nthreads ? gt_http_defer(req) : NULL;
    if (!later) { /* no threads, or a server that cannot defer (the fake twin): here */
        gt_http_client *h = gt_http_client_new(key);
        fetch(h, url, ended, resp);
        gt_http_client_free(h);
        return;
    }
    struct ctld_logfetch *f = calloc(1, sizeof *f);
    gt_http_resp now = {0};
    pthread_mutex_lock(&p->mu);
    int take = f && !p->stop && p->waiting < LOGS_MAX_WAITING;
    if (take) {
        f->later = later;
        snprintf(f->url, sizeof f->url, "%s", url);
        snprintf(f->key, sizeof f->key, "%s", key);
        f->ended = ended;
        *(p->tail ? &p->tail->next : &p->head) = f;
        p->tail = f;
        p->waiting++;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    if (take)
        return;
    free(f);
    error_body(&now, 503, "unavailable",
               "too many log requests are waiting for agents; try again in a few seconds");
    gt_http_answer_later(later, &now);
}
