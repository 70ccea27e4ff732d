/* SPDX-License-Identifier: MIT
 * The log proxy: `GET /v1/jobs/ID/logs` fetches the bytes from the agent of the node that
 * ran the rank. An agent that does not answer (hung, or its host gone) holds a fetch up to
 * LOGS_TIMEOUT_MS; that must not hold the HTTP server's threads, which every other request
 * needs. So a logs request is deferred (gt_http_defer) and handed to the proxy's own few
 * threads, which fetch and answer it later. At most LOGS_MAX_WAITING wait for them; more
 * are refused at once (503, try again). An agent that could not be reached is not tried
 * again for LOGS_BACKOFF_MS: requests for it are answered 503 at once meanwhile, so that
 * one hung agent holds no more than one round of the proxy's threads. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "sys/clock.h"
#include "sys/http_client.h"

#define LOGS_TIMEOUT_MS 10000
#define LOGS_MAX_WAITING 1024
#define LOGS_BACKOFF_MS 10000

struct ctld_logfetch {
    struct ctld_logfetch *next;
    gt_http_later *later;
    char url[512];
    int ended; /* the rank has ended (the controller knows): done once all is read */
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

/* 1 when the agent of url failed within the last LOGS_BACKOFF_MS (p->mu held). */
static int backing_off(ctld_logproxy *p, const char *url, int64_t now) {
    size_t n = base_len(url);
    for (int i = 0; i < CTLD_LOG_BACKOFF; i++)
        if (p->off[i].until > now && strlen(p->off[i].base) == n &&
            !strncmp(p->off[i].base, url, n))
            return 1;
    return 0;
}

/* Remember that the agent of url could not be reached (p->mu held): the oldest entry goes. */
static void back_off(ctld_logproxy *p, const char *url, int64_t now) {
    int slot = 0;
    for (int i = 1; i < CTLD_LOG_BACKOFF; i++)
        if (p->off[i].until < p->off[slot].until)
            slot = i;
    snprintf(p->off[slot].base, sizeof p->off[slot].base, "%.*s", (int)base_len(url), url);
    p->off[slot].until = now + LOGS_BACKOFF_MS;
}

static void *proxy_main(void *arg) {
    gt_ctld *c = arg;
    ctld_logproxy *p = &c->logproxy;
    gt_http_client *h = gt_http_client_new(c->node_token); /* one per thread: kept alive */
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct ctld_logfetch *f = p->head;
        if (!f && p->stop)
            break;
        if (!f) {
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        p->head = f->next;
        p->tail = p->head ? p->tail : NULL;
        p->waiting--;
        int stop = p->stop, off = backing_off(p, f->url, gt_clock_mono_ms());
        pthread_mutex_unlock(&p->mu);
        gt_http_resp resp = {0};
        if (stop) /* the controller is stopping: answer what waits, fetch nothing more */
            error_body(&resp, 503, "unavailable", "the controller is stopping");
        else if (off)
            error_body(&resp, 503, "unavailable",
                       "the agent of that node did not answer just now; try again later");
        else
            fetch(h, f->url, f->ended, &resp);
        int unreachable = !stop && !off && resp.status == 503;
        gt_http_answer_later(f->later, &resp);
        pthread_mutex_lock(&p->mu);
        if (unreachable)
            back_off(p, f->url, gt_clock_mono_ms());
        free(f);
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
    p->nthreads = 0;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    p->started = 0;
}

void ctld_logproxy_fetch(gt_ctld *c, const gt_http_req *req, const char *url, int ended,
                         gt_http_resp *resp) {
    ctld_logproxy *p = &c->logproxy;
    gt_http_later *later = p->nthreads ? gt_http_defer(req) : NULL;
    if (!later) { /* no threads, or a server that cannot defer (the fake twin): here */
        gt_http_client *h = gt_http_client_new(c->node_token);
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
