/* SPDX-License-Identifier: MIT
 * The log proxy (logproxy.c): its own threads fetch a rank's logs from the agent that
 * ran it, so that no HTTP thread waits on an agent. Its fields are under its mu. */
#ifndef GT_CTLD_LOGPROXY_H
#define GT_CTLD_LOGPROXY_H

#include <pthread.h>
#include <stdint.h>

#include "ctld/ctld.h"
#include "sys/http_server.h"
#include "util/error.h"

/* The log proxy's threads and the fetches waiting for them (logproxy.c). */
#define CTLD_LOG_THREADS 8
#define CTLD_LOG_AGENTS 64 /* agents with fetches in flight or backing off (> threads) */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ctld_logfetch *head, *tail; /* mu */
    int waiting;                       /* mu */
    int stop;                          /* mu */
    pthread_t threads[CTLD_LOG_THREADS];
    int nthreads; /* started; 0: fetches are made on the caller's thread */
    int started;  /* mu and cv exist */
    struct ctld_logagent {
        char *base;            /* the agent's address, http://HOST:PORT (owned); NULL: free */
        int inflight;          /* fetches from it under way */
        int64_t off_until;     /* monotonic ms: no fetch from it before (it timed out) */
    } agents[CTLD_LOG_AGENTS]; /* mu */
} ctld_logproxy;

/* logproxy.c: fetch a rank's logs from its agent (url: the agent's /logs/... address) on
 * the proxy's threads and answer req from there (deferred); resp is left untouched then.
 * Where the request cannot be deferred, or before start, it is fetched and answered here.
 * key: the agent's logs_key (its session's token for the controller, agents.h); ended: the
 * rank has ended, so X-Gantry-Done can say 1 once everything is read. */
void ctld_logproxy_fetch(gt_ctld *c, const gt_http_req *req, const char *url, const char *key,
                         int ended, gt_http_resp *resp);
int ctld_logproxy_start(gt_ctld *c, gt_error *err);
/* Answers what still waits with 503 and joins the threads (a fetch in flight ends first);
 * requests that come later are answered 503. Free after the HTTP server has stopped. */
void ctld_logproxy_stop(gt_ctld *c);
void ctld_logproxy_free(gt_ctld *c);

#endif
